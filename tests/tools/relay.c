/*
 * Test-only TCP relay between the client and the server on loopback, cut
 * into packets with the codec, that misbehaves on purpose:
 *
 *   relay [-c s2c|c2s] [-k BYTES] [-s BYTES -m FILE] PORT
 *
 * -c flips one byte of one DAT payload per connection in that direction
 *    (the greeting aside), fixing nothing else: the corrupting relay;
 * -k forwards BYTES of server DAT payload, then drops both connections,
 *    as a server killed mid-download would;
 * -s forwards BYTES of server DAT payload, then forwards nothing more
 *    from the server and creates FILE, so a test knows it has stalled.
 *
 * It listens on 127.0.0.1 port 0, prints "relay port N", and serves each
 * connection in a child of its own until it is killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "packet.h"
#include "relay_common.h"

enum { S2C, C2S };

struct side {
	int from, to;
	uint8_t buf[2 * PKT_MAX_LEN];
	size_t len;
	unsigned dats;			/* DATs seen this way */
	int corrupt, done_corrupt;
};

static long cut = -1, stall = -1;
static const char *mark;
static unsigned long seed;

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Forwards every whole packet in the side's buffer, doing its mischief.
 * 0 to go on, -1 to end the connection, 1 once stalled.
 */
static int
pump(struct side *sd, int way, long *payload)
{
	struct pkt p;
	size_t used, off = 0;
	enum pkt_status st;
	uint8_t *pk;

	while (off < sd->len) {
		pk = sd->buf + off;
		st = pkt_decode(pk, sd->len - off, BLKSIZE_MAX, &p, &used);
		if (st == PKT_INCOMPLETE)
			break;
		if (st != PKT_OK)
			used = sd->len - off;	/* not ours to judge: pass */
		if (st == PKT_OK && p.op == PKT_DAT) {
			sd->dats++;
			/* The first server DAT is the greeting. */
			if (sd->corrupt && !sd->done_corrupt &&
			    p.u.dat.size > 0 && (way == C2S || sd->dats > 1)) {
				seed = seed * 6364136223846793005UL + 1;
				pk[PKT_DAT_HDR_LEN + (seed >> 33) %
				    p.u.dat.size] ^= 0x20;
				sd->done_corrupt = 1;
			}
			if (way == S2C && sd->dats > 1) {
				if (stall >= 0 && *payload >= stall) {
					if (mark != NULL)
						close(open(mark, O_WRONLY |
						    O_CREAT, 0644));
					return 1;
				}
				if (cut >= 0 && *payload >= cut)
					return -1;
				*payload += p.u.dat.size;
			}
		}
		if (write_all(sd->to, pk, used) == -1)
			return -1;
		off += used;
	}
	memmove(sd->buf, sd->buf + off, sd->len - off);
	sd->len -= off;
	return 0;
}

/* What every connection is relayed with. */
struct relay_conf {
	unsigned port;			/* the server's */
	const char *corrupt;		/* -c: "s2c", "c2s" or NULL */
};

/* One connection, in a child of its own (relay_common.h). */
static void
serve(int client, void *ctx)
{
	const struct relay_conf *conf = ctx;
	struct sockaddr_in a;
	struct side sd[2];
	struct pollfd pfd[2];
	long payload = 0;
	int server, i, stalled = 0, one = 1;
	ssize_t n;

	/* Each connection corrupts a byte of its own choosing. */
	seed = (unsigned long)getpid() * 2862933555777941757UL + 3037000493UL;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)conf->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((server = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(server, (struct sockaddr *)&a, sizeof(a)) == -1)
		_exit(1);
	/* Packets go on as they come, as the two ends send them. */
	setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(sd, 0, sizeof(sd));
	sd[S2C].from = server;
	sd[S2C].to = client;
	sd[C2S].from = client;
	sd[C2S].to = server;
	sd[S2C].corrupt = conf->corrupt != NULL &&
	    strcmp(conf->corrupt, "s2c") == 0;
	sd[C2S].corrupt = conf->corrupt != NULL &&
	    strcmp(conf->corrupt, "c2s") == 0;
	for (;;) {
		for (i = 0; i < 2; i++) {
			pfd[i].fd = sd[i].from;
			pfd[i].events = (i == S2C && stalled) ? 0 : POLLIN;
		}
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(sd[i].from, sd[i].buf + sd[i].len,
			    sizeof(sd[i].buf) - sd[i].len);
			if (n <= 0)
				_exit(0);	/* one side left: so do we */
			sd[i].len += (size_t)n;
			switch (pump(&sd[i], i, &payload)) {
			case -1:
				_exit(0);
			case 1:
				stalled = 1;
				break;
			}
		}
	}
	_exit(0);
}

int
main(int argc, char *argv[])
{
	struct relay_conf conf = { 0, NULL };
	int ch;

	while ((ch = getopt(argc, argv, "c:k:s:m:")) != -1) {
		switch (ch) {
		case 'c':
			conf.corrupt = optarg;
			break;
		case 'k':
			cut = atol(optarg);
			break;
		case 's':
			stall = atol(optarg);
			break;
		case 'm':
			mark = optarg;
			break;
		default:
			fprintf(stderr, "usage: relay [-c s2c|c2s] [-k bytes] "
			    "[-s bytes -m file] port\n");
			return 2;
		}
	}
	if (optind + 1 != argc)
		return 2;
	conf.port = (unsigned)atoi(argv[optind]);
	return relay_accept_loop("relay", "127.0.0.1", serve, &conf);
}
