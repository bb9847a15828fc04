/*
 * The idle timeout of a connection's child (protocol.md section 8), kept
 * with SIGALRM.  idle_hooks plug it into a conn: the clock starts when a
 * wait for a packet (or for room to send one) begins, and a wait the alarm
 * interrupts ends as CONN_TIMEOUT.
 */
#ifndef IDLE_H
#define IDLE_H

#include "conn.h"

extern const struct conn_hooks idle_hooks;

/*
 * Installs the SIGALRM handler, without SA_RESTART, and starts the tick.
 * A wait times out after more than seconds, and less than 0.2 s beyond.
 */
void	idle_init(unsigned seconds);
/* Stops the tick. */
void	idle_stop(void);
/* Restarts the deadline: a last wait of its own, such as a lingering close. */
void	idle_start(unsigned seconds);

/*
 * The drain (SIGQUIT, interface.md): a session finishes the transfer in
 * progress and ends at its next wait for a request.  idle_drain_init
 * installs the SIGQUIT handler (no SA_RESTART).  While idle_request_wait
 * has marked the waits as waits for a request, a drain ends them as
 * CONN_INTERRUPTED, within a tick; other waits go on.  idle_draining
 * says whether SIGQUIT came.
 */
void	idle_drain_init(void);
void	idle_request_wait(int on);
int	idle_draining(void);

#endif
