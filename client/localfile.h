/*
 * Local files for transfers, as read: an upload's source, a regular file,
 * and the directories a tree's walk opens (never through a link), lists
 * and writes into.  The download's file is local_sink.h's.
 */
#ifndef LOCALFILE_H
#define LOCALFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "digest.h"
#include "local_limits.h"

struct names;

/*
 * The directory name in parentfd, opened without following a link: a
 * link there (planted in a target tree, or swapped in after it was
 * listed) is refused where it is met, and with seen (what lstat saw)
 * so is a directory that is not the one seen.  The descriptor, or -1
 * with errno (ELOOP for a link or a stranger).
 */
int	local_subdir_open(int parentfd, const char *name,
	    const struct stat *seen);
/*
 * The directory rel (components joined by '/', "" for top itself) below
 * the user's directory top, each component opened beneath the one
 * before, never through a link; top itself is opened as given, or with
 * top_nofollow not through a link either.  As local_subdir_open.
 */
int	local_tree_open(const char *top, const char *rel, int top_nofollow);
/*
 * Whether the file system of dirfd has an inode to spare for one more
 * entry, its reserve (local_limits.h) kept.  0, or -1 with ENOSPC.
 */
int	local_dir_room(int dirfd);
/*
 * Appends the names in the directory dirfd (left open), but "." and
 * "..", to out, sorted bytewise as ls sorts them.  0, or -1 with errno
 * (ENOMEM: out of memory), out freed.
 */
int	local_dir_names(int dirfd, struct names *out);
/*
 * Adds the first bytes of fd to the digest (a resume's part, an upload's
 * prefix), read with pread.  0, or -1 with errno.
 */
int	local_hash_first(int fd, uint64_t bytes, struct digest *d);

struct local_source {
	int fd;
	uint64_t size;
	uint64_t mtime;			/* seconds; 0 for a time before 1970 */
	unsigned mode;			/* permission bits, & 0777 */
};

/* Opens a regular file for upload.  0, or -1 with a reason. */
int	local_source_open(struct local_source *src, const char *path,
	    char *why, size_t whylen);
/*
 * The same for the entry name of the directory dirfd, which a tree's
 * walk found as seen (lstat's): a link there is refused, not followed,
 * and so is a file that is not the one seen.  path names it in why.
 */
int	local_source_openat(struct local_source *src, int dirfd,
	    const char *name, const struct stat *seen, const char *path,
	    char *why, size_t whylen);
/* xfer_read_fn. */
ssize_t	local_source_read(void *ctx, void *buf, size_t len);
/*
 * remote_skip_fn (put -a): hashes the first bytes into d (unless NULL)
 * and reads on from there.
 */
int	local_source_skip(void *ctx, uint64_t bytes, struct digest *d);
void	local_source_close(struct local_source *src);

#endif
