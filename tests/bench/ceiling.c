/*
 * The ceilings the benchmark compares us with, measured on loopback with
 * the same machine and moment:
 *
 *   ceiling pingpong N [poll] N round trips of a 518-byte message and a
 *                             4-byte reply: the plain protocol's limit
 *   ceiling tcpcopy FILE OUT [sync|sendfile|splice]
 *                             FILE over one TCP connection into OUT: the
 *                             wire's limit for a transfer to a file; with
 *                             "sync", OUT is fsynced before the clock
 *                             stops, as an upload is (the disk's limit);
 *                             with "sendfile" the sender moves the file's
 *                             pages without a copy, with "splice" the
 *                             receiver moves the socket's bytes into OUT
 *                             through a pipe: the zero-copy paths,
 *                             measured beside the copying one (issue 14)
 *   ceiling tcpsink OUT       a receiver for tcpsend: prints "port N",
 *                             then, one connection after another until
 *                             killed, writes what arrives into OUT (made
 *                             anew each time) and closes the connection
 *                             once OUT holds it all
 *   ceiling tcpsend FILE PORT FILE to 127.0.0.1 PORT, then waits for the
 *                             receiver to close: a raw TCP copy through
 *                             whatever listens there (a relay in front of
 *                             tcpsink), measured as our get is, from the
 *                             first byte asked to the last one stored
 *   ceiling forkloop N [poll] N connections, each accepted by a forked
 *                             child that writes one byte and exits: the
 *                             session-rate limit of fork-per-connection
 *   ceiling sessions N FILE   N connections, each served by a forked child
 *                             that speaks the load generator's exchange
 *                             (greeting, OPT and RRQ, OACK and one DAT of
 *                             FILE, the ACK) and nothing else: no sandbox,
 *                             no log, no bookkeeping; what such a session
 *                             costs on this machine, beside the bare fork
 *
 * With "poll", every read waits as protocol/conn.c does, polling before
 * it blocks (conn_poll_recv), so that a ceiling is one for our way of
 * waiting too.  CEILING_CPUS=A,B places the ping-pong's sender (the
 * server's part) on CPU A and its receiver on CPU B, as taskset places
 * the server and the client.  Each prints one number: seconds elapsed.
 */
#include <err.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "conn.h"
#include "exchange.h"
#include "options.h"
#include "packet.h"

static double	now(void);
static struct conn_poll poll_state;
static int	listen_any(unsigned *);
static int	dial(unsigned);
static void	tcpsink(const char *);
static double	tcpsend(const char *, unsigned);
static void	readn(int, void *, size_t);
static void	writen(int, const void *, size_t);
static void	place(int);
static pid_t	forking_server(int, void (*)(int));
static void	serve_bare(int);

/* Pins this process to the CPU CEILING_CPUS names for side (0 or 1). */
static void
place(int side)
{
	const char *cpus = getenv("CEILING_CPUS");
	cpu_set_t set;
	int a, b;

	if (cpus == NULL || sscanf(cpus, "%d,%d", &a, &b) != 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(side == 0 ? a : b, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1)
		err(1, "sched_setaffinity");
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
listen_any(unsigned *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(fd, 128) == -1 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) == -1)
		err(1, "listen");
	*port = ntohs(a.sin_port);
	return fd;
}

static int
dial(unsigned port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1)
		err(1, "connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

static void
readn(int fd, void *buf, size_t len)
{
	ssize_t n;
	char *p = buf;

	while (len > 0) {
		if ((n = conn_poll_recv(fd, p, len, &poll_state)) <= 0)
			errx(1, "short read");
		p += n;
		len -= (size_t)n;
	}
}

static void
writen(int fd, const void *buf, size_t len)
{
	ssize_t n;
	const char *p = buf;

	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0)
			err(1, "write");
		p += n;
		len -= (size_t)n;
	}
}

static double
pingpong(long n)
{
	char msg[518], ack[4];
	unsigned port;
	int l = listen_any(&port), fd, on = 1;
	double t0;
	long i;

	memset(msg, 'p', sizeof(msg));
	if (fork() == 0) {
		place(0);
		fd = accept(l, NULL, NULL);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		for (i = 0; i < n; i++) {
			writen(fd, msg, sizeof(msg));
			readn(fd, ack, sizeof(ack));
		}
		_exit(0);
	}
	place(1);
	fd = dial(port);
	t0 = now();
	for (i = 0; i < n; i++) {
		readn(fd, msg, sizeof(msg));
		writen(fd, ack, sizeof(ack));
	}
	wait(NULL);
	return now() - t0;
}

/* How tcpcopy moves the bytes. */
enum copy_mode { COPY_PLAIN, COPY_SYNC, COPY_SENDFILE, COPY_SPLICE };

static double
tcpcopy(const char *in, const char *out, enum copy_mode mode)
{
	static char buf[1 << 18];
	unsigned port;
	int l = listen_any(&port), fd, src, dst, pipefd[2];
	struct stat st;
	off_t off = 0;
	ssize_t n, m;
	int status;
	double t0 = now();

	if (fork() == 0) {
		if ((src = open(in, O_RDONLY)) == -1 || fstat(src, &st) == -1)
			err(1, "%s", in);
		fd = dial(port);
		if (mode == COPY_SENDFILE) {
			while (off < st.st_size)
				if (sendfile(fd, src, &off, sizeof(buf)) <= 0)
					err(1, "sendfile");
		} else {
			while ((n = read(src, buf, sizeof(buf))) > 0)
				writen(fd, buf, (size_t)n);
		}
		_exit(0);
	}
	fd = accept(l, NULL, NULL);
	if ((dst = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		err(1, "%s", out);
	if (mode == COPY_SPLICE) {
		if (pipe(pipefd) == -1)
			err(1, "pipe");
		(void)fcntl(pipefd[1], F_SETPIPE_SZ, (int)sizeof(buf));
		while ((n = splice(fd, NULL, pipefd[1], NULL, sizeof(buf),
		    SPLICE_F_MOVE)) > 0)
			for (; n > 0; n -= m)
				if ((m = splice(pipefd[0], NULL, dst, NULL,
				    (size_t)n, SPLICE_F_MOVE)) <= 0)
					err(1, "splice");
		if (n == -1)
			err(1, "splice");
	} else {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			writen(dst, buf, (size_t)n);
	}
	if (mode == COPY_SYNC && fsync(dst) == -1)
		err(1, "fsync");
	close(dst);
	/* A sender that failed leaves a short copy: no figure for it. */
	if (wait(&status) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		errx(1, "the sender failed");
	return now() - t0;
}

/*
 * The receiving end of tcpsend, for ever: each connection's bytes into
 * out, then the connection closed, which tells the sender all is stored.
 */
static void
tcpsink(const char *out)
{
	static char buf[1 << 18];
	unsigned port;
	int l = listen_any(&port), fd, dst;
	ssize_t n;

	printf("port %u\n", port);
	fflush(stdout);
	for (;;) {
		if ((fd = accept(l, NULL, NULL)) == -1)
			err(1, "accept");
		if ((dst = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
			err(1, "%s", out);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			writen(dst, buf, (size_t)n);
		if (n == -1)
			err(1, "read");
		if (close(dst) == -1)
			err(1, "%s", out);
		close(fd);
	}
}

/*
 * FILE to port, the sending half shut at its end; done when the receiver
 * closes, that is when it has stored every byte.
 */
static double
tcpsend(const char *in, unsigned port)
{
	static char buf[1 << 18];
	double t0 = now();
	int fd = dial(port), src;
	ssize_t n;

	if ((src = open(in, O_RDONLY)) == -1)
		err(1, "%s", in);
	while ((n = read(src, buf, sizeof(buf))) > 0)
		writen(fd, buf, (size_t)n);
	if (n == -1)
		err(1, "%s", in);
	if (shutdown(fd, SHUT_WR) == -1)
		err(1, "shutdown");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		continue;
	if (n == -1)
		err(1, "read");
	return now() - t0;
}

/*
 * A server process that accepts on l for ever, forking a child for each
 * connection that runs serve(fd) and exits; SIGCHLD ignored, so the
 * kernel reaps.  Returns its pid, for the caller to kill.
 */
static pid_t
forking_server(int l, void (*serve)(int))
{
	pid_t server;
	int fd;

	if ((server = fork()) != 0)
		return server;
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		if ((fd = accept(l, NULL, NULL)) == -1)
			continue;
		if (fork() == 0) {
			close(l);
			serve(fd);
			_exit(0);
		}
		close(fd);
	}
}

static void
write_one_byte(int fd)
{
	writen(fd, "x", 1);
}

static double
forkloop(long n)
{
	unsigned port;
	int l = listen_any(&port), fd;
	pid_t server = forking_server(l, write_one_byte);
	double t0;
	char c;
	long i;

	t0 = now();
	for (i = 0; i < n; i++) {
		fd = dial(port);
		readn(fd, &c, 1);
		close(fd);
	}
	t0 = now() - t0;
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	return t0;
}

/*
 * Reads from fd into buf[0..size), after *have bytes already there, until
 * a whole packet starts at *at; returns it, or exits.  No conn: the bare
 * server owns one small buffer and nothing else.
 */
static void
next_packet(int fd, uint8_t *buf, size_t size, size_t *have, size_t *at,
    struct pkt *p)
{
	size_t used;
	ssize_t n;

	for (;;) {
		switch (pkt_decode(buf + *at, *have - *at, BLKSIZE_DEFAULT, p,
		    &used)) {
		case PKT_OK:
			*at += used;
			return;
		case PKT_INCOMPLETE:
			break;
		default:
			_exit(1);
		}
		if (*have == size ||
		    (n = recv(fd, buf + *have, size - *have, 0)) <= 0)
			_exit(1);
		*have += (size_t)n;
	}
}

/*
 * The bare exchange, server side, in a forked child: the greeting, ACK 1,
 * the OPT (answered as asked) and the RRQ, then the named file's one DAT
 * and its ACK; packets framed by the codec, as in the server.
 */
static void
serve_bare(int fd)
{
	static const char hello[] = "Hello from the bare session";
	uint8_t in[2048], out[PKT_DAT_HDR_LEN + 4096 + OPT_BODY_MAX + 2];
	size_t have = 0, at = 0;
	struct xfer_opts o;
	struct pkt p;
	ssize_t len, n;
	char why[64];
	int f, on = 1;

	/* As the server's listener does for every connection. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	len = pkt_encode_dat(out, sizeof(out), 1, hello, sizeof(hello) - 1);
	if (send(fd, out, (size_t)len, 0) != len)
		_exit(1);
	next_packet(fd, in, sizeof(in), &have, &at, &p);
	if (p.op != PKT_ACK)
		_exit(1);
	next_packet(fd, in, sizeof(in), &have, &at, &p);
	if (p.op != PKT_OPT || opts_from_opt(&p, BLKSIZE_MAX, WINDOWSIZE_MAX,
	    &o, why, sizeof(why)) == -1)
		_exit(1);
	len = opts_encode(out, sizeof(out), PKT_OACK, &o);
	next_packet(fd, in, sizeof(in), &have, &at, &p);
	if (p.op != PKT_RRQ || (f = open(p.u.req.path, O_RDONLY)) == -1 ||
	    (n = read(f, out + len + PKT_DAT_HDR_LEN, 4096)) < 0)
		_exit(1);
	pkt_put_dat_header(out + len, 1, (uint16_t)n);
	n += len + PKT_DAT_HDR_LEN;
	if (send(fd, out, (size_t)n, 0) != n)
		_exit(1);
	next_packet(fd, in, sizeof(in), &have, &at, &p);
	_exit(p.op == PKT_ACK ? 0 : 1);
}

/* The load generator's side of one bare session (tests/bench/loadgen.c). */
static void
client_bare(unsigned port, const char *path)
{
	uint8_t out[EXCHANGE_LEN_MAX];
	struct xfer_opts ask;
	struct conn c;
	struct pkt p;
	size_t len;
	int fd = dial(port);

	if (conn_init(&c, fd, NULL, NULL) == -1)
		errx(1, "out of memory");
	/* Waiting as the load generator's conn waits (conn_init's policy). */
	if (conn_recv(&c, 512, &p) != CONN_OK || p.op != PKT_DAT)
		errx(1, "no greeting");
	if ((len = exchange_request(out, path, 0, &ask)) == 0)
		errx(1, "%s: name too long", path);
	if (conn_send(&c, out, len) != CONN_OK ||
	    conn_recv(&c, 0, &p) != CONN_OK || p.op != PKT_OACK ||
	    conn_recv(&c, BLKSIZE_MAX, &p) != CONN_OK || p.op != PKT_DAT ||
	    conn_send_ack(&c, 1) != CONN_OK)
		errx(1, "bare session failed");
	conn_free(&c);
	close(fd);
}

static double
sessions(long n, const char *path)
{
	unsigned port;
	int l = listen_any(&port);
	pid_t server = forking_server(l, serve_bare);
	double t0;
	long i;

	t0 = now();
	for (i = 0; i < n; i++)
		client_bare(port, path);
	t0 = now() - t0;
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	return t0;
}

int
main(int argc, char *argv[])
{
	int polling = argc == 4 && strcmp(argv[3], "poll") == 0;
	enum copy_mode mode = COPY_PLAIN;

	poll_state.us = polling ? CONN_POLL_US : 0;
	if (argc == 5 && strcmp(argv[4], "sync") == 0)
		mode = COPY_SYNC;
	else if (argc == 5 && strcmp(argv[4], "sendfile") == 0)
		mode = COPY_SENDFILE;
	else if (argc == 5 && strcmp(argv[4], "splice") == 0)
		mode = COPY_SPLICE;
	if ((argc == 3 || polling) && strcmp(argv[1], "pingpong") == 0)
		printf("%.6f\n", pingpong(atol(argv[2])));
	else if ((argc == 4 || (argc == 5 && mode != COPY_PLAIN)) &&
	    strcmp(argv[1], "tcpcopy") == 0)
		printf("%.6f\n", tcpcopy(argv[2], argv[3], mode));
	else if (argc == 3 && strcmp(argv[1], "tcpsink") == 0)
		tcpsink(argv[2]);
	else if (argc == 4 && strcmp(argv[1], "tcpsend") == 0)
		printf("%.6f\n", tcpsend(argv[2], (unsigned)atoi(argv[3])));
	else if ((argc == 3 || polling) && strcmp(argv[1], "forkloop") == 0)
		printf("%.6f\n", forkloop(atol(argv[2])));
	else if (argc == 4 && strcmp(argv[1], "sessions") == 0)
		printf("%.6f\n", sessions(atol(argv[2]), argv[3]));
	else
		errx(2, "usage: ceiling pingpong N [poll] | "
		    "tcpcopy FILE OUT [sync|sendfile|splice] | "
		    "tcpsink OUT | tcpsend FILE PORT | "
		    "forkloop N [poll] | sessions N FILE");
	return 0;
}
