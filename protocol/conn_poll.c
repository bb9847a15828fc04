/*
 * The wait policy (conn_poll.h): a receive polled before it blocks.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "conn_poll.h"

/*
 * A cgroup v2 quota of at most one and a half CPUs counts as one: the
 * peer and we share it, and a spin spends the peer's time.
 */
static int
one_cpu_quota(void)
{
	char line[64];
	long long quota, period;
	FILE *f;
	int one = 0;

	if ((f = fopen("/sys/fs/cgroup/cpu.max", "re")) == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) != NULL &&
	    sscanf(line, "%lld %lld", &quota, &period) == 2 && period > 0)
		one = quota * 2 <= period * 3;
	fclose(f);
	return one;
}

unsigned
conn_poll_us(void)
{
	static int known;
	static unsigned us;
	if (known)
		return us;
	known = 1;
	us = CONN_POLL_US;
	/* An affinity of one CPU is no sign: the peer may have another. */
	if (sysconf(_SC_NPROCESSORS_ONLN) <= 1 || one_cpu_quota())
		us = 0;
	return us;
}

ssize_t
conn_poll_recv(int fd, void *buf, size_t len, struct conn_poll *cp)
{
	ssize_t n;

	if (cp->us == 0 || cp->skip > 0) {
		if (cp->skip > 0)
			cp->skip--;
		return recv(fd, buf, len, 0);
	}
	n = recv(fd, buf, len, MSG_DONTWAIT);
	if (n != -1 || (errno != EAGAIN && errno != EWOULDBLOCK))
		return n;	/* no wait: the poll was not tried */
	if (conn_poll_spin(fd, cp) == -1)
		return -1;
	return recv(fd, buf, len, 0);
}

int
conn_poll_spin(int fd, struct conn_poll *cp)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct timespec now;
	long long until;
	int ready;

	/*
	 * poll(2) looks at the socket without taking its lock, which the
	 * peer's packets need as they arrive; recv would contend for it.
	 */
	clock_gettime(CLOCK_MONOTONIC, &now);
	until = now.tv_sec * 1000000000LL + now.tv_nsec + cp->us * 1000LL;
	do {
		if ((ready = poll(&pfd, 1, 0)) == -1)
			return -1;	/* EINTR: the owner's hook decides */
		if (ready > 0) {
			cp->backoff = 0;
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec * 1000000000LL + now.tv_nsec < until);
	cp->skip = cp->backoff;
	cp->backoff = 2 * cp->backoff + 1;
	if (cp->backoff > CONN_POLL_SKIP)
		cp->backoff = CONN_POLL_SKIP;
	return 0;
}
