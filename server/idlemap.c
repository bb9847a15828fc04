/*
 * Which children wait for a request (see idlemap.h).
 *
 * A page per slot, so that a child can unmap every page but its own:
 * the price is a page of address space per slot, and of memory only for
 * the slots used.  The values are C11 atomics, lock-free for 64 bits on
 * every platform the server builds for, and so usable between processes.
 */
#include <stdatomic.h>
#include <unistd.h>
#include <sys/mman.h>

#include "idlemap.h"
#include "signals.h"

#define IDLEMAP_CLAIMED	((int64_t)-1)

static unsigned char *map;		/* the parent's, all slots */
static size_t page, count;
static _Atomic int64_t *mine;		/* a child's own slot, or NULL */
static int claimed;

static _Atomic int64_t *slot(unsigned);

static _Atomic int64_t *
slot(unsigned i)
{
	return (_Atomic int64_t *)(void *)(map + (size_t)i * page);
}

int
idlemap_create(unsigned n)
{
	long sz = sysconf(_SC_PAGESIZE);
	void *p;

	page = sz > 0 ? (size_t)sz : 4096;
	p = mmap(NULL, page * n, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	map = p;
	count = n;
	return 0;
}

void
idlemap_reset(unsigned i)
{
	if (map != NULL && i < count)
		atomic_store(slot(i), 0);
}

int64_t
idlemap_since(unsigned i, int64_t now)
{
	int64_t v;

	if (map == NULL || i >= count)
		return 0;
	v = atomic_load(slot(i));
	/* A child writes only its own slot, but may be subverted: a time
	 * to come is not believed. */
	return v > 0 && v <= now ? v : 0;
}

int
idlemap_claim(unsigned i, int64_t since)
{
	int64_t expected = since;

	if (map == NULL || i >= count || since <= 0)
		return 0;
	return atomic_compare_exchange_strong(slot(i), &expected,
	    IDLEMAP_CLAIMED);
}

void
idlemap_adopt(unsigned i)
{
	size_t own;

	if (map == NULL)
		return;
	if (i >= count) {
		(void)munmap(map, page * count);
		map = NULL;
		return;
	}
	own = (size_t)i * page;
	if (own > 0)
		(void)munmap(map, own);
	if (own + page < page * count)
		(void)munmap(map + own + page, page * count - own - page);
	mine = slot(i);
	map = NULL;			/* the others are gone */
	count = 0;
}

void
idlemap_waiting(int waiting)
{
	int64_t now;

	if (mine == NULL)
		return;
	if (waiting) {
		claimed = 0;
		now = monotonic_ms();
		/* 0 means busy: a clock that reads 0 still says waiting. */
		atomic_store(mine, now > 0 ? now : 1);
	} else
		claimed = atomic_exchange(mine, 0) == IDLEMAP_CLAIMED;
}

int
idlemap_claimed(void)
{
	return claimed;
}
