/*
 * The parts (--parts DIR): what the server keeps of interrupted
 * resumable uploads (docs/protocol.md, "Resumable uploads").  A part is a
 * file of the parts directory, outside the served directory and on its
 * file system, named for its key — the client, the path and the whole
 * size announced — so that only the same client asking for the same
 * path and size finds it again; it is published with linkat, which never
 * replaces, once the whole file has arrived and matched its SUM.
 *
 * Bounds: a part lives --part-ttl seconds after its last write; the
 * sizes announced by all parts together stay within --parts-max bytes,
 * and there are at most PARTS_FILES_MAX of them.  One lock file,
 * fs-parts.lock, serialises every look at the directory (finding a part,
 * counting, sweeping), between the children of one server and between
 * servers sharing the directory; each part in use is locked too, so a
 * part is written by one session at a time and never swept while used.
 */
#ifndef PARTS_H
#define PARTS_H

#include <stdint.h>
#include <sys/types.h>

#define PARTS_PREFIX		"fs-part."
#define PARTS_LOCK		"fs-parts.lock"
#define PARTS_NAME_MAX		72	/* prefix, 32 hex digits, the size */
#define PARTS_FILES_MAX		1024
#define PARTS_TTL_DEFAULT	86400U			/* a day */
#define PARTS_TTL_MAX		(86400 * 366)		/* a year */
#define PARTS_MAX_DEFAULT	((uint64_t)16 << 30)	/* 16 GiB */

struct parts {
	int fd;			/* the parts directory, or -1: no resuming */
	int lockfd;		/* its fs-parts.lock */
	unsigned ttl;		/* seconds after the last write */
	uint64_t max;		/* the sizes of all parts together */
};

/* No parts: p->fd is -1, and resumable uploads are not offered. */
void	parts_none(struct parts *p);

/*
 * Opens the parts directory at path for the served directory rootfd (as
 * the spool: stage_dir_open), makes its lock file, and sweeps what has
 * expired.  Returns 0, or -1 with a reason: every failure is one of the
 * argument's.
 */
int	parts_open(struct parts *p, const char *path, int rootfd,
	    unsigned ttl, uint64_t max, char *why, size_t whylen);

/*
 * Removes the expired parts that no session holds.  Takes the directory's
 * lock (waiting at most timeout seconds; 0: only if free at once).
 */
void	parts_sweep(const struct parts *p, unsigned timeout);

/*
 * The part of client's upload of path, of size bytes in all: opened, or
 * made empty where there is none (or it expired, or it is no longer a
 * part of its own: a part linked into DIR by a process killed before it
 * unlinked the part's name), and locked for this process.  Its name goes
 * to name[0..PARTS_NAME_MAX).  Sweeps the expired parts on the way.
 * Returns a descriptor open for reading and writing, or -1 with errno:
 * EBUSY when another session holds it (or the directory's lock did not
 * come within timeout seconds), EDQUOT when a new part would pass
 * --parts-max or PARTS_FILES_MAX, others as open(2).
 */
int	parts_take(const struct parts *p, const char *client,
	    const char *path, uint64_t size, char name[PARTS_NAME_MAX],
	    unsigned timeout);

/* Removes the part name (taken, so locked by this process), emptied. */
void	parts_drop(const struct parts *p, char name[PARTS_NAME_MAX]);

#endif
