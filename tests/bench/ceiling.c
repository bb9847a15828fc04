/*
 * The ceilings the benchmark compares us with, measured on loopback with
 * the same machine and moment:
 *
 *   ceiling pingpong N [poll] N round trips of a 518-byte message and a
 *                             4-byte reply: the plain protocol's limit
 *   ceiling tcpcopy FILE OUT [sync]
 *                             FILE over one TCP connection into OUT: the
 *                             wire's limit for a transfer to a file; with
 *                             "sync", OUT is fsynced before the clock
 *                             stops, as an upload is (the disk's limit)
 *   ceiling forkloop N [poll] N connections, each accepted by a forked
 *                             child that writes one byte and exits: the
 *                             session-rate limit of fork-per-connection
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
#include <sys/socket.h>
#include <sys/wait.h>

#include "conn.h"

static double	now(void);
static struct conn_poll poll_state;
static int	listen_any(unsigned *);
static int	dial(unsigned);
static void	readn(int, void *, size_t);
static void	writen(int, const void *, size_t);
static void	place(int);

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

static double
tcpcopy(const char *in, const char *out, int sync)
{
	static char buf[1 << 18];
	unsigned port;
	int l = listen_any(&port), fd, src, dst;
	ssize_t n;
	double t0 = now();

	if (fork() == 0) {
		if ((src = open(in, O_RDONLY)) == -1)
			err(1, "%s", in);
		fd = dial(port);
		while ((n = read(src, buf, sizeof(buf))) > 0)
			writen(fd, buf, (size_t)n);
		_exit(0);
	}
	fd = accept(l, NULL, NULL);
	if ((dst = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		err(1, "%s", out);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		writen(dst, buf, (size_t)n);
	if (sync && fsync(dst) == -1)
		err(1, "fsync");
	close(dst);
	wait(NULL);
	return now() - t0;
}

static double
forkloop(long n)
{
	unsigned port;
	int l = listen_any(&port), fd;
	pid_t server;
	double t0;
	char c;
	long i;

	if ((server = fork()) == 0) {
		signal(SIGCHLD, SIG_IGN);	/* the kernel reaps */
		for (;;) {
			if ((fd = accept(l, NULL, NULL)) == -1)
				continue;
			if (fork() == 0) {
				writen(fd, "x", 1);
				_exit(0);
			}
			close(fd);
		}
	}
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

int
main(int argc, char *argv[])
{
	int polling = argc == 4 && strcmp(argv[3], "poll") == 0;

	poll_state.us = polling ? CONN_POLL_US : 0;
	if ((argc == 3 || polling) && strcmp(argv[1], "pingpong") == 0)
		printf("%.6f\n", pingpong(atol(argv[2])));
	else if ((argc == 4 || (argc == 5 && strcmp(argv[4], "sync") == 0)) &&
	    strcmp(argv[1], "tcpcopy") == 0)
		printf("%.6f\n", tcpcopy(argv[2], argv[3], argc == 5));
	else if ((argc == 3 || polling) && strcmp(argv[1], "forkloop") == 0)
		printf("%.6f\n", forkloop(atol(argv[2])));
	else
		errx(2, "usage: ceiling pingpong N [poll] | "
		    "tcpcopy FILE OUT [sync] | "
		    "forkloop N [poll]");
	return 0;
}
