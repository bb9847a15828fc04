/*
 * One accepted connection before its session: the child's limits, the
 * PROXY header when --proxy-protocol says every connection starts with
 * one, and the parent's word on the per-address limit for the address
 * the header names.  Shared by the listening parent's children and by
 * -i, where the process itself is the child.
 */
#ifndef CHILD_H
#define CHILD_H

#include <sys/socket.h>

#include "config.h"
#include "jail.h"
#include "peer.h"

/*
 * Installs the child's signal dispositions (SIGTERM, SIGINT, SIGCHLD as
 * by default, SIGQUIT to drain) and then unblocks every signal.  Called
 * first thing in a new child, and by -i.  Returns 0, or -1 with errno.
 */
int	child_signals(void);

/*
 * Serves the connected socket fd, whose peer is *peer, to its end, and
 * returns the exit status.  admit_fd is the child's end of a
 * SOCK_SEQPACKET pair with the parent: when not -1, the child sends the
 * client's address over it once the PROXY header has named it, and is
 * served only if the parent admits it (channel.h).  The fd and
 * admit_fd are closed.
 */
int	child_serve(int fd, const struct peer_name *peer,
	    const struct server_config *cfg, const struct jail *jail,
	    int admit_fd);

/*
 * A spare child (channel.h), forked before its connection: confines
 * itself, waits on pair for the parent's connection, and serves it as
 * child_serve does, with pair as its admit_fd under --proxy-protocol.
 * The parent closing pair first ends it quietly.  Returns the exit
 * status: 1 when it could not be confined.
 */
int	child_spare(int pair, const struct server_config *cfg,
	    const struct jail *jail);

#endif
