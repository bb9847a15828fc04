/*
 * The spool (-s, --spool): where uploads are staged on file systems
 * without O_TMPFILE (FUSE, NFS, CephFS-fuse, GlusterFS), outside the
 * served directory and on its file system.  An upload there is a file
 * with a unique name (host, pid, random), published with linkat, which
 * never replaces, and then unlinked (docs/protocol.md, "Uploads").
 * Files left by processes that died (SIGKILL) are swept: at start-up
 * those of dead processes of this host, and by the parent whenever a
 * child dies of a signal.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#define SPOOL_PREFIX	"fs-spool."
#define SPOOL_HOST_MAX	64
#define SPOOL_NAME_MAX	128	/* prefix, host, pid, 16 hex digits */

struct spool {
	int fd;				/* the spool directory, or -1 */
	char host[SPOOL_HOST_MAX + 1];	/* gethostname(), '.' made '_' */
};

/*
 * 1 when the file system of the directory dirfd makes O_TMPFILEs, 0 when
 * it has none (EOPNOTSUPP; EISDIR from kernels before 3.11).  Any other
 * failure (a read-only directory, say) says nothing of the file system:
 * 1, and uploads fail there as they would anyway.
 */
int	spool_probe_tmpfile(int dirfd);

/* No spool: sp->fd is -1. */
void	spool_none(struct spool *sp);

/*
 * Opens path as a staging directory (the spool, the parts) for the served
 * directory rootfd: a writable directory, on the same file system
 * (st_dev), neither the served directory nor inside it nor around it (by
 * device and inode, walking up).  Returns its descriptor, or -1 with a
 * reason that names it as what: every failure is one of the argument's.
 */
int	stage_dir_open(const char *what, const char *path, int rootfd,
	    char *why, size_t whylen);

/*
 * A stream over the entries of a staging directory dirfd (the spool, or
 * the parts), on a descriptor of its own, since readdir moves the
 * offset.  NULL with errno.
 */
DIR	*stage_dir_entries(int dirfd);

/*
 * Opens the spool at path for the served directory rootfd: a writable
 * directory, on the same file system (st_dev), neither the served
 * directory nor inside it nor around it (by device and inode, walking
 * up).  Then sweeps the files of dead processes of this host.  Returns
 * 0, or -1 with a reason: every failure is one of the argument's.
 */
int	spool_open(struct spool *sp, const char *path, int rootfd,
	    char *why, size_t whylen);

/*
 * Creates a new, empty, unique file in the spool, mode 0600, and writes
 * its name to name[0..size).  Returns a writable fd, or -1 with errno.
 */
int	spool_create(const struct spool *sp, char *name, size_t size);

/*
 * Publishes the staged file name in stagefd (the spool, or the parts),
 * open as fd, as final in the directory dirfd with linkat, which fails rather than replace.  Whatever the link
 * said on failure, the final name is looked at: present and the same
 * file (a link whose answer was lost) is success; present and another
 * file is EEXIST; absent, the link's own errno.  Never a rename.
 * Returns 0, or -1 with errno.  The spool name stays: spool_discard.
 */
int	spool_publish(int stagefd, const char *name, int fd, int dirfd,
	    const char *final);

/*
 * The same discipline for any name: links name in fromdir, the file
 * ours says (its st_dev and st_ino), as final in dirfd, never
 * replacing, the final name deciding after a failure.  A RNM on a file
 * system without renameat2(RENAME_NOREPLACE) uses it (serve_entries.c).
 */
int	spool_link(int fromdir, const char *name, const struct stat *ours,
	    int dirfd, const char *final);

/* Removes the spool file name, if name is not empty, and empties it. */
void	spool_discard(const struct spool *sp, char *name);

/*
 * Removes this host's spool files of process pid, or when pid is 0 of
 * every process of this host that is gone.
 */
void	spool_sweep(const struct spool *sp, pid_t pid);

#endif
