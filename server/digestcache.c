/*
 * The digest cache (see digestcache.h).
 *
 * Each entry is guarded by a sequence number, as a seqlock: a writer
 * claims an even number by making it odd (compare-and-swap; a writer that
 * finds it odd, another writing, gives up: the cache is a hint), writes,
 * and makes it even again; a reader copies the entry and keeps the copy
 * only if the number was even and the same before and after.  So a
 * reader never takes half of one entry and half of another, and no
 * process ever waits on another.  A child killed while writing leaves an
 * odd number: a writer takes over a slot claimed more than a second ago.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#include "digestcache.h"

struct entry {
	uint32_t seq;			/* odd while written */
	uint32_t alg;
	int64_t claimed;		/* CLOCK_MONOTONIC s of an odd seq */
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
	char hex[DIGEST_HEX_MAX + 1];
};

static struct entry *cache;

int
digestcache_prepare(char *why, size_t whylen)
{
	void *m;

	m = mmap(NULL, DIGESTCACHE_ENTRIES * sizeof(struct entry),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		snprintf(why, whylen, "digest cache: %s", strerror(errno));
		return -1;
	}
	cache = m;
	return 0;
}

/* The slot of a file: its device and inode, mixed. */
static struct entry *
slot(const struct stat *st)
{
	uint64_t h = (uint64_t)st->st_ino * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)st->st_dev * 0xc2b2ae3d27d4eb4fULL;

	return &cache[(h >> 32) % DIGESTCACHE_ENTRIES];
}

static int
matches(const struct entry *e, const struct stat *st, enum digest_alg alg)
{
	return e->alg == (uint32_t)alg && e->dev == (uint64_t)st->st_dev &&
	    e->ino == (uint64_t)st->st_ino &&
	    e->size == (uint64_t)st->st_size &&
	    e->mtime_s == st->st_mtim.tv_sec &&
	    e->mtime_ns == st->st_mtim.tv_nsec &&
	    e->ctime_s == st->st_ctim.tv_sec &&
	    e->ctime_ns == st->st_ctim.tv_nsec;
}

int
digestcache_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int
digestcache_get(const struct stat *st, enum digest_alg alg,
    char hex[DIGEST_HEX_MAX + 1])
{
	struct entry *e, copy;
	uint32_t before;

	if (cache == NULL || alg == DIGEST_NONE)
		return 0;
	e = slot(st);
	before = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
	if (before & 1)
		return 0;
	memcpy(&copy, e, sizeof(copy));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != before ||
	    before == 0 || !matches(&copy, st, alg))
		return 0;
	copy.hex[DIGEST_HEX_MAX] = '\0';
	memcpy(hex, copy.hex, sizeof(copy.hex));
	return hex[0] != '\0';
}

static int64_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void
digestcache_put(const struct stat *st, enum digest_alg alg, const char *hex)
{
	struct entry *e;
	uint32_t seq, mine;

	if (cache == NULL || alg == DIGEST_NONE || hex[0] == '\0')
		return;
	e = slot(st);
	seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
	/* Odd: another is writing — or died writing, a second ago. */
	if ((seq & 1) && now_s() - __atomic_load_n(&e->claimed,
	    __ATOMIC_RELAXED) < 2)
		return;
	mine = (seq & 1) ? seq + 2 : seq + 1;	/* odd, and ours alone */
	if (!__atomic_compare_exchange_n(&e->seq, &seq, mine, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&e->claimed, now_s(), __ATOMIC_RELAXED);
	e->alg = (uint32_t)alg;
	e->dev = (uint64_t)st->st_dev;
	e->ino = (uint64_t)st->st_ino;
	e->size = (uint64_t)st->st_size;
	e->mtime_s = st->st_mtim.tv_sec;
	e->mtime_ns = st->st_mtim.tv_nsec;
	e->ctime_s = st->st_ctim.tv_sec;
	e->ctime_ns = st->st_ctim.tv_nsec;
	strlcpy(e->hex, hex, sizeof(e->hex));
	__atomic_store_n(&e->seq, mine + 1, __ATOMIC_RELEASE);
}
