/*
 * The jail: every path a client names is resolved beneath the served
 * directory by the kernel (openat2 with RESOLVE_BENEATH), so no path,
 * symbolic link or rename race reaches outside it (protocol.md section 5).
 * As root with -u, the process is also chrooted there and drops to USER.
 */
#ifndef JAIL_H
#define JAIL_H

#include <limits.h>
#include <sys/stat.h>

#include "spool.h"

struct jail {
	int rootfd;			/* the served directory */
	int procfd;			/* /proc, for linkat of an O_TMPFILE */
	char realroot[PATH_MAX];	/* its absolute path, links resolved */
	/* Opened before any chroot, as it lies outside the served tree. */
	struct spool spool;		/* -s, or fd -1 */
};

/*
 * Opens dir and checks that openat2 works here.  Returns 0, or -1 with a
 * reason in why[0..whylen).
 */
int	jail_open(struct jail *j, const char *dir, char *why, size_t whylen);

/*
 * As root: chroot to the served directory, then drop to user, groups
 * included.  Returns 0, or -1 with a reason.
 */
int	jail_confine(struct jail *j, const char *user, char *why,
	    size_t whylen);

/*
 * Opens path (valid by path_check, or "" for the root) beneath the served
 * directory with the open(2) flags given; O_CLOEXEC is added.  Symbolic
 * links are followed while they stay inside, an absolute one too when it
 * names a place inside.  Returns an fd, or -1 with errno: EXDEV when the
 * path leads outside, ENOENT, ENOTDIR, ELOOP, EACCES as open(2).
 */
int	jail_openat(const struct jail *j, const char *path, int flags);

/* What jail_openat(path, O_PATH) and fstat would say.  0, or -1 errno. */
int	jail_stat(const struct jail *j, const char *path, struct stat *st);

#endif
