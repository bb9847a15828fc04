/*
 * The idle timeout of a connection's child (protocol.md section 8), kept
 * with SIGALRM.  idle_hooks plug it into a conn: the clock starts when a
 * wait for a packet (or for room to send one) begins, and a wait the alarm
 * interrupts ends as CONN_TIMEOUT.
 */
#ifndef IDLE_H
#define IDLE_H

#include <stdint.h>

#include "conn.h"

extern const struct conn_hooks idle_hooks;

/*
 * Installs the SIGALRM handler, without SA_RESTART, and starts the tick.
 * A wait times out after more than seconds, and less than 0.2 s beyond.
 * Returns 0, or -1 with errno.
 */
int	idle_init(unsigned seconds);
/* Stops the tick. */
void	idle_stop(void);
/* Restarts the deadline: a last wait of its own, such as a lingering close. */
void	idle_start(unsigned seconds);

/*
 * The drain (SIGQUIT, interface.md): a session finishes the transfer in
 * progress and ends at its next wait for a request.  idle_drain_init
 * installs the SIGQUIT handler (no SA_RESTART), and SIGUSR1's, by which
 * the parent says it has claimed the session's slot to make room
 * (idlemap.h): 0, or -1 with errno.  While idle_request_wait has marked
 * the waits as waits for a request (and recorded so in the idle map), a
 * drain or a claim ends them as CONN_INTERRUPTED, within a tick; other
 * waits go on.  idle_draining says whether SIGQUIT came, and
 * idlemap_claimed whether the slot was claimed.
 */
int	idle_drain_init(void);
void	idle_request_wait(int on);
int	idle_draining(void);

/*
 * A wait before the session, for the PROXY header or the parent's
 * answer, bounded as a whole by deadline (a monotonic_ms value) rather
 * than per byte, and ended by a drain: 1 when fd is readable in time,
 * 0 past the deadline or on SIGQUIT (the caller looks at
 * idle_draining), -1 on error.
 */
int	idle_wait_readable(int fd, int64_t deadline);

#endif
