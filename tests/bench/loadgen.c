/*
 * loadgen HOST PORT N PATH [conc|hold]: N sessions one after another from
 * this one process — connect, greeting, then the greeting's ACK, an OPT
 * and the RRQ in one write, as a scripted client knows its command in
 * advance; the OACK, the data acknowledged window by window, close — so
 * the rate is the server's, not process start-up's.  Prints the seconds
 * elapsed.
 *
 * conc: the N sessions at once, a forked process each, each download
 * checked against the server's xxh128 SUM; exits 1 if any failed.
 * hold: N sessions greeted and then held idle, until a signal ends us;
 * prints "held N" once they all are.
 */
#include <err.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "conn.h"
#include "digest.h"
#include "exchange.h"
#include "options.h"
#include "packet.h"

static int
dial(const struct addrinfo *ai)
{
	int fd, on = 1;

	if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) == -1 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) == -1)
		err(1, "connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

static void
session(const struct addrinfo *ai, const char *path, int verify)
{
	char hex[DIGEST_HEX_MAX + 1];
	struct digest d;
	uint8_t out[EXCHANGE_LEN_MAX];
	struct xfer_opts ask, got;
	struct conn c;
	struct pkt p;
	size_t len;
	unsigned inwin = 0;
	uint16_t block;
	char why[128];
	int last;
	int fd = dial(ai);

	if (conn_init(&c, fd, NULL, NULL) == -1)
		errx(1, "out of memory");
	if (conn_recv(&c, BLKSIZE_DEFAULT, &p) != CONN_OK || p.op != PKT_DAT)
		errx(1, "no greeting");
	if ((len = exchange_request(out, path, verify, &ask)) == 0)
		errx(1, "%s: name too long", path);
	if (verify && digest_init(&d, DIGEST_XXH128) == -1)
		errx(1, "out of memory");
	conn_send(&c, out, len);
	if (conn_recv(&c, 0, &p) != CONN_OK || p.op != PKT_OACK ||
	    opts_from_oack(&p, &ask, &got, why, sizeof(why)) == -1)
		errx(1, "no OACK");
	for (;;) {
		if (conn_recv(&c, got.blksize, &p) != CONN_OK ||
		    p.op != PKT_DAT)
			errx(1, "%s: download failed", path);
		block = p.u.dat.block;
		last = p.u.dat.size < got.blksize;
		if (verify)
			digest_update(&d, p.u.dat.data, p.u.dat.size);
		if (verify && last) {
			digest_final(&d, hex);
			digest_free(&d);
			if (conn_recv(&c, 0, &p) != CONN_OK ||
			    p.op != PKT_SUM || strcmp(p.u.sum.digest, hex) != 0)
				errx(1, "%s: not byte-exact", path);
		}
		if (last || ++inwin == got.windowsize) {
			conn_send_ack(&c, block);
			inwin = 0;
		}
		if (last)
			break;
	}
	conn_free(&c);
	close(fd);
}

/* A session greeted and left idle: the server's child waits for a request. */
static int
greeted(const struct addrinfo *ai)
{
	uint8_t ack[PKT_ACK_LEN];
	struct conn c;
	struct pkt p;
	int fd = dial(ai);

	if (conn_init(&c, fd, NULL, NULL) == -1)
		errx(1, "out of memory");
	if (conn_recv(&c, BLKSIZE_DEFAULT, &p) != CONN_OK || p.op != PKT_DAT)
		errx(1, "no greeting");
	conn_send(&c, ack, (size_t)pkt_encode_ack(ack, sizeof(ack), 1));
	conn_free(&c);
	return fd;
}

/* N downloads at once, a process each: 0 when all were byte-exact. */
static int
concurrent(const struct addrinfo *ai, long n, const char *path)
{
	int status, failed = 0;
	long i;

	for (i = 0; i < n; i++) {
		switch (fork()) {
		case -1:
			err(1, "fork");
		case 0:
			session(ai, path, 1);
			_exit(0);
		}
	}
	for (i = 0; i < n; i++)
		if (wait(&status) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed = 1;
	return failed;
}

int
main(int argc, char *argv[])
{
	struct addrinfo hints, *ai;
	struct timespec t0, t1;
	const char *mode = argc == 6 ? argv[5] : "";
	int failed = 0;
	long i, n;

	if (argc != 5 && !(argc == 6 && (strcmp(mode, "conc") == 0 ||
	    strcmp(mode, "hold") == 0)))
		errx(2, "usage: loadgen host port sessions path [conc|hold]");
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
		errx(1, "%s: unknown host", argv[1]);
	n = atol(argv[3]);
	if (strcmp(mode, "hold") == 0) {
		for (i = 0; i < n; i++)
			(void)greeted(ai);
		printf("held %ld\n", n);
		fflush(stdout);
		for (;;)
			pause();
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(mode, "conc") == 0)
		failed = concurrent(ai, n, argv[4]);
	else
		for (i = 0; i < n; i++)
			session(ai, argv[4], 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	freeaddrinfo(ai);
	return failed;
}
