/*
 * The idle clock (see idle.h).
 *
 * A one-second SIGALRM tick runs for the whole session; a wait only
 * records its deadline, read from the vDSO clock without a system call,
 * so the per-packet cost of the timeout is nil (issue 5).  The handler
 * sets the flag once the deadline has passed; the blocked call it
 * interrupts then ends as CONN_TIMEOUT.  Deadlines are whole seconds, one
 * more than asked, so a wait times out after more than the timeout and
 * less than two seconds beyond it.  A tick that lands between the check
 * of the flag and the blocking call is followed by another a second later
 * (the race vsftpd's sysutil.c describes).  The flag is cleared whenever a new
 * wait begins, so time spent on disk work between waits never counts.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "idle.h"

static volatile sig_atomic_t timed_out;
static volatile sig_atomic_t deadline;	/* CLOCK_MONOTONIC seconds */
static unsigned timeout;

static void	on_tick(int);
static void	wait_begin(void *);
static int	interrupted(void *);
static sig_atomic_t seconds_now(void);

const struct conn_hooks idle_hooks = { wait_begin, interrupted };

static sig_atomic_t
seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* async-signal-safe */
	return (sig_atomic_t)ts.tv_sec;
}

static void
on_tick(int sig)
{
	int saved = errno;

	(void)sig;
	if (seconds_now() >= deadline)
		timed_out = 1;
	errno = saved;
}

void
idle_init(unsigned seconds)
{
	struct itimerval tick = { { 1, 0 }, { 1, 0 } };
	struct sigaction sa;

	timeout = seconds;
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
	/* Whole seconds: one more, so never less than asked. */
	deadline = seconds_now() + (sig_atomic_t)seconds + 1;
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
	return timed_out ? CONN_TIMEOUT : 0;
}
