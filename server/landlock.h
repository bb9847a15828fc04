/*
 * Landlock, the kernel's own sandbox, for every connection's child: once
 * confined, the child reads and writes beneath the served directory and
 * nowhere else, root or not (landlock.c says exactly what it may do).
 */
#ifndef LANDLOCK_H
#define LANDLOCK_H

#include <stddef.h>

/* The Landlock ABI this kernel offers, or 0 when it has none. */
int	landlock_abi(void);

/*
 * In the parent, once before any child: builds the ruleset that confines
 * to the directories dirfds[0..n) (the served directory, and a spool).
 * Returns 0 — also where the kernel has no Landlock, which refuses
 * nothing — or -1 with a reason in why[0..whylen).
 */
int	landlock_prepare(const int *dirfds, size_t n, char *why,
	    size_t whylen);

/* The prepared ruleset's descriptor, which a child must keep, or -1. */
int	landlock_fd(void);

/*
 * In the child, after no-new-privileges: enforces the prepared ruleset
 * and closes its descriptor.  Without one (no Landlock here) it does
 * nothing.  Returns 0, or -1 with a reason in why[0..whylen).
 */
int	landlock_confine(char *why, size_t whylen);

/*
 * In the child, once its user is known (--users): a second ruleset,
 * stacked on the first, allows beneath rootfd (the user's root) only
 * what the rights (enum session_right) need, and beneath spoolfd and
 * partsfd (or -1) the uploads' staging and resumable parts for a user who
 * may write; nothing elsewhere.
 * Without Landlock it does nothing.  Returns 0, or -1 with a reason in
 * why[0..whylen).
 */
int	landlock_confine_user(int rootfd, int spoolfd, int partsfd,
	    unsigned rights, char *why, size_t whylen);

#endif
