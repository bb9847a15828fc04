/*
 * The server's signals and clock: the one checked way to install a
 * handler, and the monotonic clock, in milliseconds, that every deadline
 * is kept in.  Which process handles which signal stays with its owner:
 * the listening parent's in listener.c, a child's dispositions in
 * child.c, SIGALRM and the drain's SIGQUIT in idle.c (style.md section 4).
 */
#ifndef SIGNALS_H
#define SIGNALS_H

#include <signal.h>
#include <stdint.h>

/*
 * Installs fn (a handler, SIG_DFL or SIG_IGN) for sig, with no other
 * signal blocked while it runs and without SA_RESTART, so that a blocking
 * call the signal interrupts returns.  Returns 0, or -1 with errno.
 */
int	signals_install(int sig, void (*fn)(int));

/* The same for a handler that is given the siginfo (SA_SIGINFO). */
int	signals_install_info(int sig, void (*fn)(int, siginfo_t *, void *));

/*
 * Milliseconds on CLOCK_MONOTONIC, from an arbitrary origin: for
 * deadlines and durations, never for dates.  Async-signal-safe.
 */
int64_t	monotonic_ms(void);

/* Milliseconds from now until deadline (a monotonic_ms value), at least 0. */
int64_t	monotonic_ms_left(int64_t deadline);

#endif
