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
 * In the parent, once its directories are open and before any child (and
 * any chroot): builds the Landlock ruleset every child will enforce (the
 * served directory and the spool), so that a child only enforces it, and
 * opens the /dev/null each child's standard descriptors become.  Returns
 * 0, or -1 with a reason in why[0..whylen).
 */
int	harden_prepare(const struct jail *j, char *why, size_t whylen);

/*
 * In the child, before the session: standard input and output, and
 * standard error unless the log is written there, made /dev/null (but
 * never sock or admit_fd); every descriptor above them closed but sock
 * (or -1: a spare child has no connection yet), admit_fd (the parent's
 * admission or hand-over pair, or -1), the served directory,
 * the spool and the log's; no new privileges, no core dumps, no
 * processes, a small descriptor budget, a data-size limit, and with -m a
 * file-size limit; then Landlock and the seccomp filter.  Returns 0, or
 * -1 with a reason in why[0..whylen) when no-new-privileges, Landlock or
 * the filter could not be set where the kernel has them; a limit that
 * cannot be set is only logged.
 */
int	harden_child(const struct server_config *cfg, const struct jail *j,
	    int sock, int admit_fd, char *why, size_t whylen);

/*
 * In the child, once its user is known (--users) and before a request is
 * read: the jail moves to the user's root (jail_enter; "" is DIR), and a
 * second Landlock ruleset allows beneath it only what rights (enum
 * session_right) need (landlock_confine_user).  Returns 0, or -1 with a
 * reason in why[0..whylen): then the session must not be served.
 */
int	harden_user(struct jail *j, const char *root, unsigned rights,
	    char *why, size_t whylen);

/*
 * The data-size limit each child gets (RLIMIT_DATA), in bytes, or 0 in a
 * sanitizer build, where it is not set (harden.c says why).
 */
size_t	harden_data_limit(void);

#endif
