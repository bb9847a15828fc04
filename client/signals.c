/*
 * The client's signals and clock (see signals.h).  The handlers only set
 * a flag; remote.c acts on the tick and the deadline, the shell on
 * Ctrl-C.  One signal serves both the timeout and the progress bar's
 * "stalled", so SIGALRM has one owner (style.md section 4).
 */
#include <string.h>
#include <sys/time.h>

#include "signals.h"

static volatile sig_atomic_t got_tick, got_int, got_term;
static int64_t deadline_ms;		/* CLOCK_MONOTONIC, milliseconds */

static void	on_tick(int);
static void	on_int(int);
static void	on_term(int);
static int64_t	now_ms(void);

static void
on_tick(int sig)
{
	(void)sig;
	got_tick = 1;
}

static void
on_int(int sig)
{
	(void)sig;
	got_int = 1;
}

/* Ends the command as Ctrl-C does, so its cleanup runs; then the end. */
static void
on_term(int sig)
{
	got_term = sig;
	got_int = 1;
}

int
sig_term_pending(void)
{
	return got_term;
}

void
sig_term_finish(void)
{
	int sig = got_term;

	if (sig == 0)
		return;
	/* As the signal would have: the parent sees how we ended. */
	(void)sig_install(sig, SIG_DFL, NULL);
	(void)raise(sig);
}

int
sig_install(int sig, void (*fn)(int), struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = fn;
	return sigaction(sig, &sa, old);
}

int
sig_restore(int sig, const struct sigaction *old)
{
	return sigaction(sig, old, NULL);
}

int
sig_init(void)
{
	if (sig_install(SIGPIPE, SIG_IGN, NULL) == -1 ||
	    sig_install(SIGALRM, on_tick, NULL) == -1 ||
	    sig_install(SIGINT, on_int, NULL) == -1 ||
	    sig_install(SIGTERM, on_term, NULL) == -1 ||
	    sig_install(SIGHUP, on_term, NULL) == -1)
		return -1;
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The tick, from the start of a command's talk with the server. */
void
sig_tick_start(void)
{
	struct itimerval it = { { 0, SIG_TICK_MS * 1000 },
	    { 0, SIG_TICK_MS * 1000 } };

	got_tick = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

void
sig_tick_stop(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	got_tick = 0;
}

int
sig_tick_taken(void)
{
	if (!got_tick)
		return 0;
	got_tick = 0;
	return 1;
}

void
sig_deadline_set(unsigned seconds)
{
	deadline_ms = now_ms() + (int64_t)seconds * 1000;
}

int
sig_deadline_passed(void)
{
	return now_ms() >= deadline_ms;
}

int
sig_intr_pending(void)
{
	return got_int;
}

void
sig_intr_clear(void)
{
	got_int = 0;
}

/*
 * By SIGINT, not SIGALRM: the tick is SIGALRM's, and a listing's lines
 * reach completion only as the engine's batches fill, so no callback of
 * its sees a trickle; the Ctrl-C flag ends any wait.
 */
void
sig_intr_timer_start(struct sig_intr_timer *t, unsigned seconds)
{
	struct sigevent ev;
	struct itimerspec its;

	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGINT;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = seconds;
	t->armed = 0;
	t->deadline_ms = now_ms() + (int64_t)seconds * 1000;
	if (timer_create(CLOCK_MONOTONIC, &ev, &t->timer) == -1)
		return;
	if (timer_settime(t->timer, 0, &its, NULL) == -1) {
		timer_delete(t->timer);
		return;
	}
	t->armed = 1;
}

int
sig_intr_timer_stop(struct sig_intr_timer *t)
{
	if (!t->armed)
		return 0;
	timer_delete(t->timer);
	t->armed = 0;
	/* A SIGINT of the timer's has been handled by now: the clock says
	 * whether it came, and its flag is not the user's. */
	if (now_ms() < t->deadline_ms)
		return 0;
	got_int = 0;
	return 1;
}
