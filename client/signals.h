/*
 * The client's signals and its clock, in one place (style.md section 4):
 * a checked way to install a handler, the SIGALRM tick that bounds each
 * wait on the server, the deadline of that wait, and Ctrl-C.
 *
 * Ctrl-C is the shell's: its flag says "stop what you are doing".  The
 * shell clears it before each command and at the prompt; the session
 * (remote.c) only reads it, to end a wait or a transfer; completion
 * raises it on a timer to bound a listing as the user would.
 */
#ifndef CLIENT_SIGNALS_H
#define CLIENT_SIGNALS_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

/*
 * Installs the client's dispositions: SIGPIPE ignored (a closed peer is
 * an EPIPE to handle), SIGALRM the tick, SIGINT the Ctrl-C flag, SIGTERM
 * and SIGHUP the end's flag; none with SA_RESTART, so a blocking call
 * returns EINTR.  0, or -1 with errno.
 */
int	sig_init(void);

/*
 * SIGTERM or SIGHUP: the command under way stops as for Ctrl-C, so that
 * its cleanup removes any visible temporary, and the client then ends.
 * sig_term_pending says which came (0: none); sig_term_finish, once the
 * cleanup is done, ends the process by that signal, if one came.
 */
int	sig_term_pending(void);
void	sig_term_finish(void);

/*
 * Installs fn (or SIG_IGN, SIG_DFL) for sig without SA_RESTART, and with
 * old not NULL saves the action it replaces there.  0, or -1 with errno.
 */
int	sig_install(int sig, void (*fn)(int), struct sigaction *old);
/* Puts back an action sig_install saved.  0, or -1 with errno. */
int	sig_restore(int sig, const struct sigaction *old);

/*
 * The tick: SIGALRM every SIG_TICK_MS while a command talks to the
 * server.  sig_tick_taken says whether one came since it was last asked,
 * and forgets it.
 */
#define SIG_TICK_MS	100
void	sig_tick_start(void);
void	sig_tick_stop(void);
int	sig_tick_taken(void);

/*
 * The deadline of the wait under way, seconds from now; read from the
 * vDSO clock, so a wait costs no system call per packet.
 */
void	sig_deadline_set(unsigned seconds);
int	sig_deadline_passed(void);

/* Whether Ctrl-C was pressed since the last sig_intr_clear. */
int	sig_intr_pending(void);
void	sig_intr_clear(void);

/* A Ctrl-C of the clock's, for a wait no callback of ours sees. */
struct sig_intr_timer {
	timer_t timer;
	int armed;			/* no timer: the user's Ctrl-C alone */
	int64_t deadline_ms;
};

/* Raises SIGINT after seconds, as the user's Ctrl-C would. */
void	sig_intr_timer_start(struct sig_intr_timer *t, unsigned seconds);
/*
 * Deletes the timer.  1 when its time had come, its Ctrl-C (if it was
 * raised) then forgotten as not the user's; 0 otherwise.
 */
int	sig_intr_timer_stop(struct sig_intr_timer *t);

#endif
