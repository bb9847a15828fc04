/*
 * Everything that crosses the socketpair between the listening parent
 * and a child, both sides of it (docs/protocol.md, "PROXY protocol" and
 * "Spare children"); a new message between them is added here.
 *
 * The pair is SOCK_SEQPACKET: a message comes whole or not at all, and a
 * fresh pair always has room for the few the parent sends, so the parent
 * never waits on a child.  Two exchanges use it:
 *
 * - Admission, under --proxy-protocol: the address that -p counts is
 *   known only to the child, once it has read the PROXY header.  The
 *   child sends it (as text, with its NUL) and waits for the parent's
 *   one-byte answer, CHANNEL_ADMIT or CHANNEL_REFUSE, before the
 *   greeting.
 * - Hand-over, with --spares N: the parent forks children ahead of their
 *   connections, confined at once, and each waits on its pair for one
 *   socket (SCM_RIGHTS) and its peer's name.  Each connection still gets
 *   a process of its own, used for it alone; what moves is the fork and
 *   the sandbox's set-up, out of the time a client waits for its
 *   greeting.  Under --proxy-protocol the same pair then carries the
 *   admission.
 */
#ifndef CHANNEL_H
#define CHANNEL_H

#include <stddef.h>

#include "peer.h"

#define CHANNEL_ADMIT	'Y'
#define CHANNEL_REFUSE	'N'

/* What channel_admit_recv found on the pair. */
enum channel_recv {
	CHANNEL_ADDR,			/* an address, to answer */
	CHANNEL_LATER,			/* nothing yet: wait again */
	CHANNEL_DONE,			/* closed, or not an address: the
					 * pair has served */
};

/* A new pair, close-on-exec.  Returns 0, or -1 with errno. */
int	channel_pair(int pair[2]);

/*
 * Child: sends addr to the parent and waits, up to timeout seconds (or a
 * drain), for its answer.  1 admitted, 0 refused, -1 the parent is gone
 * or silent.
 */
int	channel_ask(int pair, const char *addr, unsigned timeout);

/*
 * Parent, when the pair is readable: takes the child's address into
 * addr[0..size) without waiting.
 */
enum channel_recv channel_admit_recv(int pair, char *addr, size_t size);

/* Parent: the answer to the address received, without waiting. */
void	channel_admit_answer(int pair, int admitted);

/*
 * Parent: hands fd and *peer to a spare without waiting.  Returns 0, or
 * -1 with errno (EPIPE: the spare has died).
 */
int	channel_handoff_send(int pair, int fd, const struct peer_name *peer);

/*
 * Spare: waits for the parent's connection.  Returns its descriptor
 * (close-on-exec) with *peer set, or -1: quietly when the parent closed
 * the pair or a drain began (no connection was lost), after logging the
 * reason otherwise.
 */
int	channel_handoff_recv(int pair, struct peer_name *peer);

#endif
