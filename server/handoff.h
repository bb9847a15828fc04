/*
 * Handing an accepted connection to a spare child: the listening parent
 * forks children ahead of their connections, confined at once, and each
 * waits on a SOCK_SEQPACKET pair for one socket (SCM_RIGHTS) and its
 * peer's address.  Each connection still gets a process of its own, used
 * for it alone; what moves is the fork and the sandbox's set-up, out of
 * the time a client waits for its greeting (docs/protocol.md, "Spare
 * children").
 */
#ifndef HANDOFF_H
#define HANDOFF_H

#include "listener.h"

/*
 * Parent: sends fd and *peer over pair without waiting.  Returns 0, or
 * -1 with errno (EPIPE: the spare has died).
 */
int	handoff_send(int pair, int fd, const struct peer_name *peer);

/*
 * Spare: waits for the parent's connection.  Returns its descriptor
 * (close-on-exec) with *peer set, or -1: quietly when the parent closed
 * the pair or a drain began (no connection was lost), after logging the
 * reason otherwise.
 */
int	handoff_recv(int pair, struct peer_name *peer);

#endif
