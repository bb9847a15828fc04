/*
 * The idle clock (see idle.h).  The handler only sets a flag and re-arms a
 * one-second alarm: if the signal lands between the check of the flag and
 * the blocking call, the next one interrupts that call (the race vsftpd's
 * sysutil.c describes).  The flag is cleared whenever a new wait begins, so
 * an alarm that fired during disk work between waits is forgotten.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "idle.h"

static volatile sig_atomic_t timed_out;
static unsigned timeout;

static void	on_alarm(int);
static void	wait_begin(void *);
static int	interrupted(void *);

const struct conn_hooks idle_hooks = { wait_begin, interrupted };

static void
on_alarm(int sig)
{
	int saved = errno;

	(void)sig;
	timed_out = 1;
	alarm(1);
	errno = saved;
}

void
idle_init(unsigned seconds)
{
	struct sigaction sa;

	timeout = seconds;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: the wait must end */
	sigaction(SIGALRM, &sa, NULL);
}

void
idle_start(unsigned seconds)
{
	timed_out = 0;
	alarm(seconds);
}

void
idle_stop(void)
{
	alarm(0);
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
