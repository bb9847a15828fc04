/*
 * The client's cache of interrupted downloads (interface.md, `-a`):
 * every download that is no `get -a` is written here, under a name that
 * says which remote file it is a prefix of (server, path, size and
 * modification time), and only linked beside its target once whole and
 * verified.  So whatever ends a download — Ctrl-C, a lost connection,
 * SIGKILL — leaves what arrived here, never beside the target, and the
 * next get of the same remote file continues from it.
 *
 * Where: $XDG_CACHE_HOME/fileserver/, or ~/.cache/fileserver/ (0700).
 * Bounds, kept by partcache_sweep at each cached download: a part not
 * written for PARTCACHE_AGE_MAX is removed, and then the oldest parts
 * until all together hold at most PARTCACHE_BYTES_MAX (the part about to
 * be continued is never one of them).
 */
#ifndef PARTCACHE_H
#define PARTCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PARTCACHE_AGE_MAX	(7 * 24 * 60 * 60)	/* a week */
#define PARTCACHE_BYTES_MAX	(4ULL * 1024 * 1024 * 1024)	/* 4 GiB */

/* "<32 hex digits>.<size>.<mtime>.part" and its NUL. */
#define PARTCACHE_NAME_SIZE	80

/* Which remote file a part is of. */
struct partcache_key {
	const char *server;		/* "host:port" as known_hosts has it */
	const char *path;		/* the request path */
	uint64_t size;			/* the whole file's */
	uint64_t mtime;			/* seconds since the epoch */
};

/*
 * Opens the cache directory, making it (and its parents) 0700 where
 * missing.  The descriptor, or -1 with errno (no HOME, say: then there
 * is no cache, and downloads go beside their targets as before).
 */
int	partcache_open(void);

/* The part's name for key into name[0..PARTCACHE_NAME_SIZE). */
void	partcache_name(const struct partcache_key *key, char *name);

/*
 * Looks for a part of server and path, whatever size and time it was
 * for.  1 with its key's size and mtime and its length so far, 0 when
 * there is none, -1 with errno.
 */
int	partcache_find(int cachefd, const char *server, const char *path,
	    uint64_t *size, uint64_t *mtime, uint64_t *have);

/*
 * Removes every part of server and path but the one named keep (NULL:
 * all): parts of an older version of the file.
 */
void	partcache_drop_others(int cachefd, const char *server,
	    const char *path, const char *keep);

/*
 * Keeps the bounds above at time now: removes parts older than the age
 * bound, then the oldest until the rest fit the size bound; keep (NULL:
 * none) is never removed.  A part another client is writing is left.
 */
void	partcache_sweep(int cachefd, const char *keep, time_t now);

#endif
