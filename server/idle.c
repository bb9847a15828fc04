/*
 * The idle clock (see idle.h).
 *
 * A SIGALRM tick every TICK_MS runs for the whole session; a wait only
 * records its deadline, read from the vDSO clock without a system call,
 * so the timeout costs nothing per packet (issue 5).  The handler sets
 * the flag once the deadline has passed, and the blocked call it
 * interrupts ends as CONN_TIMEOUT: a silent peer is dropped after more
 * than the timeout and less than two ticks beyond it.  A tick that lands
 * between the check of the flag and the blocking call is followed by
 * another (the race vsftpd's sysutil.c describes).  The flag is cleared
 * whenever a new wait begins, so disk work between waits never counts.
 *
 * Times are milliseconds since the session began, which an int (the
 * sig_atomic_t the handler may share) holds for 24 days.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "idle.h"

#define TICK_MS		100

static volatile sig_atomic_t timed_out;
static volatile sig_atomic_t draining;
static int request_wait;
static volatile sig_atomic_t deadline_ms;
static struct timespec epoch;
static unsigned timeout;

static void	on_tick(int);
static void	on_quit(int);
static void	wait_begin(void *);
static int	interrupted(void *);
static sig_atomic_t ms_now(void);

const struct conn_hooks idle_hooks = { wait_begin, interrupted };

static sig_atomic_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* async-signal-safe */
	return (sig_atomic_t)((ts.tv_sec - epoch.tv_sec) * 1000 +
	    (ts.tv_nsec - epoch.tv_nsec) / 1000000);
}

static void
on_tick(int sig)
{
	int saved = errno;

	(void)sig;
	if (ms_now() >= deadline_ms)
		timed_out = 1;
	errno = saved;
}

void
idle_init(unsigned seconds)
{
	struct itimerval tick = { { 0, TICK_MS * 1000 },
	    { 0, TICK_MS * 1000 } };
	struct sigaction sa;

	timeout = seconds;
	clock_gettime(CLOCK_MONOTONIC, &epoch);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: the wait must end */
	sigaction(SIGALRM, &sa, NULL);
	idle_start(seconds);
	setitimer(ITIMER_REAL, &tick, NULL);
}

void
idle_start(unsigned seconds)
{
	timed_out = 0;
	deadline_ms = ms_now() + (sig_atomic_t)seconds * 1000;
}

void
idle_stop(void)
{
	struct itimerval off;

	memset(&off, 0, sizeof(off));
	setitimer(ITIMER_REAL, &off, NULL);
	timed_out = 0;
}

static void
wait_begin(void *ctx)
{
	(void)ctx;
	idle_start(timeout);
}

static int
interrupted(void *ctx)
{
	(void)ctx;
	if (timed_out)
		return CONN_TIMEOUT;
	/* A SIGQUIT that lands just before the wait blocks is seen at the
	 * next tick's interruption. */
	return draining && request_wait ? CONN_INTERRUPTED : 0;
}

static void
on_quit(int sig)
{
	(void)sig;
	draining = 1;
}

void
idle_drain_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: the wait must end */
	sigaction(SIGQUIT, &sa, NULL);
}

void
idle_request_wait(int on)
{
	request_wait = on;
}

int
idle_draining(void)
{
	return draining;
}
