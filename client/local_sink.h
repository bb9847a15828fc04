/*
 * The download's side of a transfer: a download is written where no one
 * sees it and appears under its name only when complete, never over an
 * existing file unless forced (interface.md); with get -a its data lives
 * in NAME.part, and with the client's cache (partcache.h) out of sight.
 */
#ifndef LOCAL_SINK_H
#define LOCAL_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "digest.h"
#include "local_limits.h"
#include "partcache.h"

struct local_sink {
	int fd;
	int dirfd;
	int force;
	int unnamed;			/* O_TMPFILE: no name until linked */
	int resume;			/* get -a: the data lives in NAME.part */
	uint64_t offset;		/* resume: bytes NAME.part held */
	uint64_t room;			/* may still be written, as last seen */
	uint64_t since_check;		/* written since room was measured */
	int stopped_full;		/* a write would have eaten the reserve */
	char name[LOCAL_NAME_SIZE];	/* the target, in dirfd */
	char tmpname[LOCAL_TMPNAME_SIZE]; /* the temporary, if not unnamed */
	/* The data in the client's cache (partcache.h), not beside name. */
	int cachefd;			/* -1: not cached */
	char cachename[PARTCACHE_NAME_SIZE];
	/* Given to the file before it is named (local_sink_attrs). */
	int set_mtime, set_mode;
	time_t mtime;
	mode_t mode;
};

/*
 * Prepares a download into path.  Refuses an existing path unless force.
 * With resume (get -a), the data goes to path.part, which is kept when
 * the transfer fails and continued by the next resume: its size is the
 * offset to ask for.  Returns 0, or -1 with a reason in why.
 */
int	local_sink_open(struct local_sink *ls, const char *path, int force,
	    int resume, char *why, size_t whylen);
/*
 * The same for the entry name of the directory dirfd (held, not taken),
 * as a tree's walk opens each entry beneath the directory it holds;
 * path names it in why.
 */
int	local_sink_openat(struct local_sink *ls, int dirfd, const char *name,
	    const char *path, int force, int resume, char *why,
	    size_t whylen);
/*
 * Moves an open download (no resume) into the cache directory cachefd
 * (held, not taken) as the part name: continued at its end when it
 * exists and fresh is 0, emptied when fresh is 1; the offset becomes its
 * length.  The part is locked for this process: 0, or -1 with errno
 * (EWOULDBLOCK: another client is writing it; EXDEV: a fresh part whose
 * target is on another file system, which would be written twice) and
 * the sink as it was.
 */
int	local_sink_cache(struct local_sink *ls, int cachefd, const char *name,
	    int fresh);
/*
 * The modification time, and with set_mode the permission bits (& 0777:
 * never set-id or sticky), the file gets before it is named.
 */
void	local_sink_attrs(struct local_sink *ls, time_t mtime, int set_mode,
	    mode_t mode);
/* xfer_write_fn and xfer_finish_fn: finish puts the file in place. */
int	local_sink_write(void *ctx, struct iovec *iov, int iovcnt);
int	local_sink_finish(void *ctx);
/* remote_sink's: the bytes of path.part, and starting it again. */
int	local_sink_hash_prefix(void *ctx, struct digest *d);
int	local_sink_restart(void *ctx);
/*
 * remote_sink's: whether bytes more fit on the file system with its
 * reserve to spare.  0, or -1 with ENOSPC.  local_sink_write checks the
 * same as it goes, so a download of unknown size stops in time too.
 */
int	local_sink_expect(void *ctx, uint64_t bytes);
/* A resume's path.part: its size now.  0, or -1 (not a resume). */
int	local_sink_part_size(const struct local_sink *ls, uint64_t *size);
/*
 * After a download that was no resume is in place: removes a path.part
 * left by an earlier resume, now stale.  1 when removed, 0 when there
 * was none, -1 with errno.
 */
int	local_sink_drop_stale(struct local_sink *ls);
/*
 * Closes.  After a failed transfer nothing is left behind, except a
 * resume's path.part when keep_part says so, and a cached part that
 * holds any byte, whatever keep_part says (it is out of sight).
 */
void	local_sink_close(struct local_sink *ls, int keep_part);

#endif
