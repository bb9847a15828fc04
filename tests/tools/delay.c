/*
 * Test-only TCP relay that plays a real link: it delays each direction by
 * a fixed time, can cap each direction's rate, can cut the connection
 * after a number of bytes, and counts the turns the two ends take.  It
 * knows nothing of the protocol (it carries TLS as well), so it stands in
 * for netem, which this kernel lacks:
 *
 *   delay [-d MS] [-r BYTES_PER_S] [-k BYTES [-n N]] [-o FILE] [-b ADDR] PORT
 *
 * -d delays every byte by MS milliseconds each way (a round trip of 2 MS);
 * -r lets each direction carry at most BYTES_PER_S (bytes queue behind
 *    the ones before them, as on a serial link);
 * -k drops both connections once BYTES have crossed, both ways counted;
 * -n cuts (-k) only the first N connections, and carries the rest whole;
 * -o appends one line a connection to FILE when it ends:
 *    `c2s BYTES s2c BYTES turns N cpu_us US`, US the CPU time (user and
 *    system) its child spent: the relay's own cost, which the benchmark
 *    reports as bytes per CPU second (at least 1 GB/s, issue 23).
 *
 * A turn is counted when bytes arrive from one end while nothing is in
 * flight either way and the other end spoke last: that end had to wait
 * for the link.  A request and its answer are two turns, one round trip;
 * bytes streamed while others are in flight (a window's ACK, pipelined
 * requests) are not turns.  Round trips = turns / 2.
 *
 * It listens on 127.0.0.1 (or -b ADDR) port 0, prints "delay port N",
 * forwards to 127.0.0.1 PORT, and serves each connection in a child of
 * its own until it is killed.  With neither -d nor -r it splices, so
 * that it is never the bottleneck on loopback.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "relay_common.h"

enum { C2S, S2C };

enum {
	CHUNK_MAX = 256 * 1024,		/* one read */
	PIPE_LEN = 1024 * 1024,		/* one splice */
	QUEUE_MAX = 64 * 1024 * 1024	/* in flight one way, then stop reading */
};

/* Bytes read at one time, due at the other end at `due` (ns). */
struct chunk {
	struct chunk *next;
	uint64_t due;
	size_t len, off;
	uint8_t data[];
};

struct way {
	int from, to;
	struct chunk *head, *tail;
	size_t queued;			/* bytes read, not yet written */
	uint64_t link_free;		/* with -r: when the last byte is sent */
	uint64_t bytes;			/* read from `from` */
	int eof, shut;			/* `from` ended; `to` shut for writing */
	int pipe[2];			/* with no delay: spliced through it */
};

static uint64_t delay_ns, rate;		/* rate 0: no cap */
static long long cut_after = -1;
static long long cut_conns = -1;	/* -n: connections -k cuts; -1 all */
/* -n: connections begun so far, shared by the relay's children. */
static long long *conns_begun;
static const char *stats_file;
static int spliced;			/* no delay, no cap: splice(2) */
static size_t pipe_room;		/* what one pipe holds */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long long
number(const char *s, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max) {
		fprintf(stderr, "delay: %s: not a number from 0 to %lld\n",
		    s, max);
		exit(2);
	}
	return v;
}

/*
 * What a read or a splice of n bytes from w's end means: 1 bytes came
 * (counted), 0 nothing yet or the end (marked), -1 an error.
 */
static int
arrived(struct way *w, ssize_t n)
{
	if (n == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0) {
		w->eof = 1;
		return 0;
	}
	w->bytes += (size_t)n;
	return 1;
}

/*
 * Reads what `w->from` has, queued due after the delay (and behind the
 * bytes before it, with -r).  1 read, 0 nothing (or the end), -1 an
 * error.
 */
static int
take(struct way *w)
{
	static uint8_t buf[CHUNK_MAX];
	struct chunk *c;
	uint64_t t, start;
	ssize_t n;
	int r;

	n = read(w->from, buf, sizeof(buf));
	if ((r = arrived(w, n)) != 1)
		return r;
	t = now_ns();
	if ((c = malloc(sizeof(*c) + (size_t)n)) == NULL)
		return -1;
	memcpy(c->data, buf, (size_t)n);
	c->len = (size_t)n;
	c->off = 0;
	c->next = NULL;
	c->due = t + delay_ns;
	if (rate != 0) {
		start = w->link_free > t ? w->link_free : t;
		w->link_free = start + (uint64_t)n * 1000000000u / rate;
		c->due = w->link_free + delay_ns;
	}
	if (w->tail != NULL)
		w->tail->next = c;
	else
		w->head = c;
	w->tail = c;
	w->queued += c->len;
	return 1;
}

/*
 * With neither delay nor cap the bytes move through a pipe by splice(2),
 * never copied to user space: the relay must not be the bottleneck.  What
 * sits in the pipe counts as queued.  As take() and give().
 */
static int
splice_in(struct way *w)
{
	ssize_t n;
	int r;

	n = splice(w->from, NULL, w->pipe[1], NULL, pipe_room - w->queued,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if ((r = arrived(w, n)) == 1)
		w->queued += (size_t)n;
	return r;
}

static int
splice_out(struct way *w)
{
	ssize_t n;

	while (w->queued > 0) {
		n = splice(w->pipe[0], NULL, w->to, NULL, w->queued,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		w->queued -= (size_t)n;
	}
	if (w->eof && !w->shut) {
		shutdown(w->to, SHUT_WR);
		w->shut = 1;
	}
	return 0;
}

/* Writes what is due; 0, or -1 when the other end is gone. */
static int
give(struct way *w, uint64_t t)
{
	struct chunk *c;
	ssize_t n;

	while ((c = w->head) != NULL && c->due <= t) {
		n = write(w->to, c->data + c->off, c->len - c->off);
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->off += (size_t)n;
		w->queued -= (size_t)n;
		if (c->off < c->len)
			return 0;
		w->head = c->next;
		if (w->head == NULL)
			w->tail = NULL;
		free(c);
	}
	if (w->head == NULL && w->eof && !w->shut) {
		shutdown(w->to, SHUT_WR);
		w->shut = 1;
	}
	return 0;
}

static void
report(const struct way *w, unsigned long turns)
{
	struct rusage ru;
	long long cpu_us = -1;
	FILE *f;

	if (stats_file == NULL || (f = fopen(stats_file, "a")) == NULL)
		return;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
		    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	fprintf(f, "c2s %llu s2c %llu turns %lu cpu_us %lld\n",
	    (unsigned long long)w[C2S].bytes, (unsigned long long)w[S2C].bytes,
	    turns, cpu_us);
	fclose(f);
}

/* One connection, in a child of its own (relay_common.h); ctx is the
 * server's address. */
static void
serve(int client, void *ctx)
{
	const struct sockaddr_in *to = ctx;
	struct way w[2];
	long long nth;
	struct pollfd pfd[4];
	unsigned long turns = 0;
	int server, i, one = 1, last = -1, timeout, r;
	uint64_t t, next;

	if ((server = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(server, (const struct sockaddr *)to, sizeof(*to)) == -1)
		_exit(1);
	/* Past -n connections, the next are carried whole. */
	if (conns_begun != NULL) {
		nth = __atomic_add_fetch(conns_begun, 1, __ATOMIC_SEQ_CST);
		if (nth > cut_conns)
			cut_after = -1;
	}
	/* Bytes go on as the two ends send them; the delay is ours. */
	setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(server, F_SETFL, O_NONBLOCK);
	fcntl(client, F_SETFL, O_NONBLOCK);
	memset(w, 0, sizeof(w));
	w[C2S].from = client;
	w[C2S].to = server;
	w[S2C].from = server;
	w[S2C].to = client;
	for (i = 0; spliced && i < 2; i++) {
		if (pipe2(w[i].pipe, O_NONBLOCK) == -1)
			_exit(1);
		(void)fcntl(w[i].pipe[1], F_SETPIPE_SZ, PIPE_LEN);
		if ((r = fcntl(w[i].pipe[1], F_GETPIPE_SZ)) <= 0)
			_exit(1);
		pipe_room = (size_t)r;
	}
	while (!(w[C2S].shut && w[S2C].shut)) {
		t = now_ns();
		next = UINT64_MAX;
		for (i = 0; i < 2; i++) {
			/* Only what is waited for: a hang-up is no spin. */
			pfd[i].fd = !w[i].eof && w[i].queued <
			    (spliced ? pipe_room : QUEUE_MAX) ? w[i].from : -1;
			pfd[i].events = POLLIN;
			pfd[2 + i].fd = -1;
			pfd[2 + i].events = POLLOUT;
			if ((spliced && w[i].queued > 0) ||
			    (w[i].head != NULL && w[i].head->due <= t))
				pfd[2 + i].fd = w[i].to;
			else if (w[i].head != NULL && w[i].head->due < next)
				next = w[i].head->due;
		}
		timeout = -1;
		if (next != UINT64_MAX)
			timeout = (int)((next - t + 999999) / 1000000);
		if (poll(pfd, 4, timeout) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			/* Idle link, and the other end spoke last: a turn. */
			r = w[C2S].queued == 0 && w[S2C].queued == 0 &&
			    last != i;
			switch (spliced ? splice_in(&w[i]) : take(&w[i])) {
			case -1:
				goto out;
			case 1:
				if (r)
					turns++;
				last = i;
				break;
			}
		}
		if (cut_after >= 0 &&
		    (long long)(w[C2S].bytes + w[S2C].bytes) >= cut_after)
			break;
		t = now_ns();
		for (i = 0; i < 2; i++)
			if ((spliced ? splice_out(&w[i]) : give(&w[i], t)) ==
			    -1)
				goto out;
	}
out:
	report(w, turns);
	_exit(0);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in to;
	const char *bind_addr = "127.0.0.1";
	int ch;

	while ((ch = getopt(argc, argv, "b:d:k:n:o:r:")) != -1) {
		switch (ch) {
		case 'b':
			bind_addr = optarg;
			break;
		case 'd':
			delay_ns = (uint64_t)number(optarg, 600000) * 1000000u;
			break;
		case 'k':
			cut_after = number(optarg, LLONG_MAX);
			break;
		case 'n':
			cut_conns = number(optarg, LLONG_MAX);
			break;
		case 'o':
			stats_file = optarg;
			break;
		case 'r':
			rate = (uint64_t)number(optarg, LLONG_MAX);
			break;
		default:
			fprintf(stderr, "usage: delay [-d ms] [-r bytes/s] "
			    "[-k bytes [-n conns]] [-o file] [-b addr] port\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: delay [-d ms] [-r bytes/s] [-k bytes "
		    "[-n conns]] [-o file] [-b addr] port\n");
		return 2;
	}
	spliced = delay_ns == 0 && rate == 0;
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)number(argv[optind], 65535));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (cut_conns > 0 && (conns_begun = mmap(NULL, sizeof(*conns_begun),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)) ==
	    MAP_FAILED) {
		perror("delay: mmap");
		return 1;
	}
	return relay_accept_loop("delay", bind_addr, serve, &to);
}
