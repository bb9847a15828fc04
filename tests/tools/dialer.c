/*
 * A test-only client for the cluster test (tests/cluster/run): sessions
 * from a chosen local address, so that a balancer's PROXY header names
 * it, and uploads held open mid-transfer.  Prints one line per outcome;
 * waits on standard input where the script must act in between.
 *
 *   dialer SRC HOST PORT hold N
 *       N sessions at once; a line "ok" (greeted) or "err CODE" each;
 *       then holds them until standard input ends.
 *   dialer SRC HOST PORT stall NAME BLOCKS
 *       an upload of NAME, BLOCKS blocks of 512 bytes sent and acked,
 *       then "ready"; a line on standard input sends the last (short)
 *       block and prints "ack" or "err CODE"; the end of input instead
 *       leaves with the upload unfinished.
 *
 * Exit status 0 when every step worked, 1 otherwise; every wait bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "conn.h"
#include "packet.h"

#define WAIT_SECONDS	30
#define HOLD_MAX	64

static int	dial(const char *, const char *, const char *);
static int	greet(struct conn *, int);
static int	stall(struct conn *, const char *, long);

static int
dial(const char *src, const char *host, const char *port)
{
	struct timeval tv = { WAIT_SECONDS, 0 };
	struct sockaddr_in a, s;
	int fd;

	memset(&a, 0, sizeof(a));
	memset(&s, 0, sizeof(s));
	a.sin_family = s.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
	    inet_pton(AF_INET, src, &s.sin_addr) != 1) {
		fprintf(stderr, "dialer: bad address\n");
		return -1;
	}
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&s, sizeof(s)) == -1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		fprintf(stderr, "dialer: %s: %s\n", src, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads the greeting and answers it: 0, or the ERR code, or -1. */
static int
greet(struct conn *c, int fd)
{
	struct pkt p;

	if (conn_init(c, fd, NULL, NULL) == -1 ||
	    conn_recv(c, BLKSIZE_DEFAULT, &p) != CONN_OK)
		return -1;
	if (p.op == PKT_ERR)
		return p.u.err.code;
	if (p.op != PKT_DAT || conn_send_ack(c, 1) != CONN_OK)
		return -1;
	return 0;
}

static int
stall(struct conn *c, const char *name, long blocks)
{
	uint8_t buf[PKT_DAT_HDR_LEN + 512], data[512];
	char line[64];
	struct pkt p;
	ssize_t n;
	long b;

	memset(data, 's', sizeof(data));
	n = pkt_encode_req(buf, sizeof(buf), PKT_WRQ, name);
	if (n < 0 || conn_send(c, buf, (size_t)n) != CONN_OK ||
	    conn_recv(c, 512, &p) != CONN_OK || p.op != PKT_ACK)
		return 1;
	for (b = 1; b <= blocks + 1; b++) {
		if (b == blocks + 1) {
			printf("ready\n");
			fflush(stdout);
			if (fgets(line, sizeof(line), stdin) == NULL)
				return 0;	/* left unfinished */
		}
		n = pkt_encode_dat(buf, sizeof(buf), (uint16_t)b, data,
		    b == blocks + 1 ? 5 : sizeof(data));
		if (conn_send(c, buf, (size_t)n) != CONN_OK ||
		    conn_recv(c, 512, &p) != CONN_OK)
			return 1;
		if (p.op == PKT_ERR) {
			printf("err %u\n", p.u.err.code);
			return 1;
		}
		if (p.op != PKT_ACK)
			return 1;
	}
	printf("ack\n");
	return 0;
}

int
main(int argc, char *argv[])
{
	struct conn c[HOLD_MAX];
	char line[64];
	int fds[HOLD_MAX], n, i, rc = 0, r;

	if (argc == 6 && strcmp(argv[4], "hold") == 0) {
		n = atoi(argv[5]);
		if (n < 1 || n > HOLD_MAX)
			return 1;
		for (i = 0; i < n; i++) {
			if ((fds[i] = dial(argv[1], argv[2], argv[3])) == -1)
				return 1;
			if ((r = greet(&c[i], fds[i])) == 0)
				printf("ok\n");
			else if (r > 0)
				printf("err %d\n", r);
			else
				return 1;
			fflush(stdout);
		}
		while (fgets(line, sizeof(line), stdin) != NULL)
			;
		for (i = 0; i < n; i++) {
			conn_free(&c[i]);
			close(fds[i]);
		}
		return 0;
	}
	if (argc == 7 && strcmp(argv[4], "stall") == 0) {
		if ((fds[0] = dial(argv[1], argv[2], argv[3])) == -1 ||
		    greet(&c[0], fds[0]) != 0)
			return 1;
		rc = stall(&c[0], argv[5], atol(argv[6]));
		conn_free(&c[0]);
		close(fds[0]);
		return rc;
	}
	fprintf(stderr, "usage: dialer src host port hold n | "
	    "stall name blocks\n");
	return 2;
}
