/*
 * What a connection's child may do, narrowed before it reads a byte from
 * its client, so that a child subverted by a hostile client can do little
 * beyond its own session.
 */
#ifndef HARDEN_H
#define HARDEN_H

#include <stddef.h>

#include "config.h"
#include "jail.h"

/*
 * In the child, before the session: every descriptor closed but sock, the
 * served directory and the log's; no new privileges, no core dumps, no
 * processes, a small descriptor budget, and with -m a file-size limit.
 * Returns 0, or -1 with errno when no-new-privileges could not be set; a
 * limit that cannot be set is only logged.
 */
int	harden_child(const struct server_config *cfg, const struct jail *j,
	    int sock);

/*
 * The data-size limit each child gets (RLIMIT_DATA), in bytes, or 0 in a
 * sanitizer build, where it is not set (harden.c says why).
 */
size_t	harden_data_limit(void);

#endif
