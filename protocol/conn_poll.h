/*
 * How a connection waits for bytes (conn.c's receives, and the benchmark's
 * ceilings): a short poll before a blocking receive, where it pays.
 */
#ifndef CONN_POLL_H
#define CONN_POLL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The wait policy.  Before a receive blocks, conn polls the socket
 * (poll(2), timeout 0) for up to CONN_POLL_US microseconds.  On this kind
 * of machine a blocked process takes 30 to 70 microseconds to wake (its
 * idle CPU has halted, and under a hypervisor the halt leaves the guest),
 * while a peer on the same host, on another CPU, answers a packet in a
 * few: measured, a 512-byte stop-and-wait exchange runs about eight times
 * faster with the poll.  But a poll only pays when the peer can run
 * meanwhile; on the same CPU it cannot, and the spin only delays it.  So:
 *
 * - with one usable CPU (one online, or a cgroup quota of about one)
 *   nothing polls: conn_poll_us() is 0;
 * - a poll that finds the packet resets the back-off; bytes already there
 *   when the wait begins say nothing either way; a poll that finds
 *   nothing makes the next 0, 1, 3, 7, ... waits block at once, up to
 *   CONN_POLL_SKIP, so a peer that keeps missing (on our CPU, or far
 *   away) costs one poll in a thousand waits, while one that answers in
 *   time keeps the poll.
 */
#define CONN_POLL_US	50
#define CONN_POLL_SKIP	1023

/*
 * CONN_POLL_US, or 0 where polling cannot pay: this process can use one
 * CPU only.  Worked out once per process.
 */
unsigned conn_poll_us(void);

struct conn_poll {
	unsigned us;			/* CONN_POLL_US; 0: always block */
	unsigned skip;			/* waits left that block at once */
	unsigned backoff;		/* skip after the next miss */
};

/*
 * The poll of a wait that found nothing at once: up to cp->us, then the
 * back-off.  0 (readable or not: the caller's blocking call follows), or
 * -1 with EINTR, which the caller's owner decides.
 */
int	conn_poll_spin(int fd, struct conn_poll *cp);

/*
 * recv(2) into buf[0..len), polled first as described above: the one way
 * conn (conn.h) waits for bytes, exported for the benchmark's ceilings.
 */
ssize_t	conn_poll_recv(int fd, void *buf, size_t len, struct conn_poll *cp);

#endif
