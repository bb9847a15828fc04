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
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "idle.h"
#include "idlemap.h"
#include "signals.h"

#define TICK_MS		100

static volatile sig_atomic_t timed_out;
static volatile sig_atomic_t draining;
static volatile sig_atomic_t make_room;	/* SIGUSR1: idlemap.h */
static int request_wait;
static volatile sig_atomic_t deadline_ms;
static int64_t epoch_ms;
static unsigned timeout;

static void	on_tick(int);
static void	on_quit(int);
static void	on_make_room(int);
static void	wait_begin(void *);
static int	interrupted(void *);
static sig_atomic_t ms_now(void);

const struct conn_hooks idle_hooks = { wait_begin, interrupted };

static sig_atomic_t
ms_now(void)
{
	return (sig_atomic_t)(monotonic_ms() - epoch_ms);
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

int
idle_init(unsigned seconds)
{
	struct itimerval tick = { { 0, TICK_MS * 1000 },
	    { 0, TICK_MS * 1000 } };

	timeout = seconds;
	epoch_ms = monotonic_ms();
	if (signals_install(SIGALRM, on_tick) == -1)
		return -1;
	idle_start(seconds);
	return setitimer(ITIMER_REAL, &tick, NULL);
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
	/* A SIGQUIT or SIGUSR1 that lands just before the wait blocks is
	 * seen at the next tick's interruption. */
	return (draining || make_room) && request_wait ? CONN_INTERRUPTED :
	    0;
}

static void
on_quit(int sig)
{
	(void)sig;
	draining = 1;
}

static void
on_make_room(int sig)
{
	(void)sig;
	make_room = 1;
}

int
idle_drain_init(void)
{
	if (signals_install(SIGUSR1, on_make_room) == -1)
		return -1;
	return signals_install(SIGQUIT, on_quit);
}

void
idle_request_wait(int on)
{
	request_wait = on;
	idlemap_waiting(on);
}

int
idle_draining(void)
{
	return draining;
}

int
idle_wait_readable(int fd, int64_t deadline)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int64_t ms;
	int n;

	for (;;) {
		if ((ms = monotonic_ms_left(deadline)) == 0)
			return 0;
		n = poll(&pfd, 1, ms > 1000 ? 1000 : (int)ms);
		if (n > 0)
			return 1;
		if (n == -1 && errno != EINTR)
			return -1;
		if (n == -1 && draining)
			return 0;	/* SIGQUIT: the caller looks */
	}
}
