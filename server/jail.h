/*
 * The jail: every path a client names is resolved beneath the served
 * directory by the kernel (openat2 with RESOLVE_BENEATH), so no path,
 * symbolic link or rename race reaches outside it (protocol.md section 5).
 * As root with -u, the process is also chrooted there and drops to USER.
 */
#ifndef JAIL_H
#define JAIL_H

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#include "parts.h"
#include "spool.h"

struct jail {
	int rootfd;			/* the served directory */
	int confined;			/* chrooted to it (-u) */
	int procfd;			/* /proc, kept only before Linux 6.10 */
	char realroot[PATH_MAX];	/* its absolute path, links resolved */
	/* Opened before any chroot, as it lies outside the served tree. */
	struct spool spool;		/* -s, or fd -1 */
	struct parts parts;		/* --parts, or fd -1 */
};

/*
 * Opens dir and checks that openat2 works here.  Returns 0, or -1 with a
 * reason in why[0..whylen).
 */
int	jail_open(struct jail *j, const char *dir, char *why, size_t whylen);

/*
 * As root: chroot to the served directory, then drop to user, groups
 * included.  On a kernel before 6.10, where an unprivileged process
 * cannot link its O_TMPFILE itself, /proc is opened first and kept in
 * procfd for that (else -1).  Returns 0, or -1 with a reason.
 */
int	jail_confine(struct jail *j, const char *user, char *why,
	    size_t whylen);

/*
 * Opens root, a path valid by path_check, beneath the directory dirfd as
 * a user's root (--users): a directory reached without leaving dirfd and
 * without a symbolic link on the way (RESOLVE_NO_SYMLINKS: the root a
 * user gets is the one the file names, whatever a link in DIR says).
 * Returns an fd, or -1 with errno (ELOOP for a link, ENOTDIR, ENOENT).
 */
int	jail_open_root(int dirfd, const char *root);

/*
 * In a child, once its user is known: the jail's root becomes root
 * beneath it (jail_open_root), and the served directory's descriptor is
 * closed, so that nothing above root is reachable from the jail.  Root
 * "" is the served directory itself: nothing changes.
 * Returns 0, or -1 with a reason in why[0..whylen).
 */
int	jail_enter(struct jail *j, const char *root, char *why,
	    size_t whylen);

/*
 * Opens path (valid by path_check, or "" for the root) beneath the served
 * directory with the open(2) flags given; O_CLOEXEC is added.  Symbolic
 * links are followed while they stay inside, an absolute one too when it
 * names a place inside.  Returns an fd, or -1 with errno: EXDEV when the
 * path leads outside, ENOENT, ENOTDIR, ELOOP, EACCES as open(2).
 */
int	jail_openat(const struct jail *j, const char *path, int flags);

/*
 * errno of jail_open_regular for something that is not a regular file.
 * EFTYPE is BSD's; Linux has none, and no open(2) error of its own means
 * "not a regular file" (EISDIR is only for directories), so a rare one is
 * borrowed that an open through the jail never yields otherwise.
 */
#define EFTYPE_NOT_REGULAR	EMEDIUMTYPE

/*
 * Opens path beneath the served directory for reading, and only if it is
 * a regular file: nothing else is ever opened (no FIFO or device open
 * routine runs).  flags are added to O_RDONLY-style opens (O_RDONLY,
 * O_NONBLOCK...).  Fills *st from the file opened.  Returns an fd, or -1
 * with errno as jail_openat, or EFTYPE_NOT_REGULAR.
 */
int	jail_open_regular(const struct jail *j, const char *path, int flags,
	    struct stat *st);

/*
 * 0 when the directory dirfd, opened through the jail, is still the
 * served directory or beneath it (dir_beneath), else -1 with EXDEV:
 * a local user may have moved it out of DIR since, and a descriptor
 * follows its directory wherever it goes.  A step of the walk that
 * cannot be taken is no proof of inside: EXDEV too.
 */
int	jail_holds(const struct jail *j, int dirfd);

/* What jail_openat(path, O_PATH) and fstat would say.  0, or -1 errno. */
int	jail_stat(const struct jail *j, const char *path, struct stat *st);

#endif
