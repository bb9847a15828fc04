/*
 * Whole-file digests already computed, kept so that asking again costs no
 * reading (docs/protocol.md, "The digest cache"): a resumed download's
 * prefix, a digest-and-offset-equal-to-size request, a mirror's check.
 * Kept in memory outside DIR, shared by every child of one server: a
 * MAP_SHARED anonymous mapping the parent makes before its first fork,
 * of DIGESTCACHE_ENTRIES entries, each keyed by the file's device, inode,
 * size, modification time and change time (to the nanosecond) and the
 * algorithm.  A file changed in any way — written, truncated, replaced,
 * touched, its mode changed — has another key, and is hashed again.
 */
#ifndef DIGESTCACHE_H
#define DIGESTCACHE_H

#include <sys/stat.h>

#include "digest.h"

#define DIGESTCACHE_ENTRIES	4096

/*
 * In the parent, once before any child: maps the cache.  Returns 0, or -1
 * with a reason in why[0..whylen).
 */
int	digestcache_prepare(char *why, size_t whylen);

/*
 * 1 with alg's digest of the file st describes (as fstat said of the
 * descriptor the file is read from) in hex, or 0 when it is not known.
 */
int	digestcache_get(const struct stat *st, enum digest_alg alg,
	    char hex[DIGEST_HEX_MAX + 1]);

/*
 * Records alg's digest hex of the whole file st describes, in place of
 * whatever shared its slot.  The caller has checked that the file did not
 * change while it was hashed (the same st before and after).
 */
void	digestcache_put(const struct stat *st, enum digest_alg alg,
	    const char *hex);

/* 1 when a and b describe the same file, unchanged: the cache's key. */
int	digestcache_same(const struct stat *a, const struct stat *b);

#endif
