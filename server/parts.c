/*
 * The parts of resumable uploads (see parts.h).
 *
 * Locks are POSIX record locks (F_SETLK), which belong to the process:
 * every child inherits the one descriptor of the lock file and still
 * excludes the others (an open-file-description lock would be shared by
 * all of them through it), and the kernel frees a lock when its holder
 * ends, by SIGKILL too, so a killed session leaves its part free to
 * resume.  The waits poll, as hashslot.c's do: the idle tick interrupts
 * any blocking wait anyway, and a drain must end it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "digest.h"
#include "idle.h"
#include "parts.h"
#include "spool.h"

#define WAIT_STEP_MS	10

/* A part's key: 128 bits of SHA-256, in hex. */
#define KEY_HEX		32

struct tally {
	unsigned files;		/* parts kept, ours aside */
	uint64_t bytes;		/* the sizes they announced */
};

static int	lock_whole(int, short);
static int	lock_dir(const struct parts *, unsigned);
static int	part_size(const char *, uint64_t *);
static int	expired(const struct parts *, const struct stat *);
static int	remove_if_free(const struct parts *, const char *);
static void	scan(const struct parts *, const char *, struct tally *);
static int	part_name(const char *, const char *, uint64_t,
		    char[PARTS_NAME_MAX]);
static int	open_existing(const struct parts *, const char *);

void
parts_none(struct parts *p)
{
	p->fd = -1;
	p->lockfd = -1;
	p->ttl = PARTS_TTL_DEFAULT;
	p->max = PARTS_MAX_DEFAULT;
}

int
parts_open(struct parts *p, const char *path, int rootfd, unsigned ttl,
    uint64_t max, char *why, size_t whylen)
{
	parts_none(p);
	if ((p->fd = stage_dir_open("parts directory", path, rootfd, why,
	    whylen)) == -1)
		return -1;
	p->lockfd = openat(p->fd, PARTS_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (p->lockfd == -1) {
		snprintf(why, whylen, "parts directory %s: %s: %s", path,
		    PARTS_LOCK, strerror(errno));
		close(p->fd);
		p->fd = -1;
		return -1;
	}
	p->ttl = ttl;
	p->max = max;
	parts_sweep(p, 0);
	return 0;
}

/* F_SETLK of the whole file: 0, or -1 with errno (EAGAIN: held). */
static int
lock_whole(int fd, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) == 0)
		return 0;
	if (errno == EACCES)
		errno = EAGAIN;
	return -1;
}

/* The directory's lock, within timeout seconds: 0, or -1 (EBUSY). */
static int
lock_dir(const struct parts *p, unsigned timeout)
{
	const struct timespec step = { 0, WAIT_STEP_MS * 1000000L };
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (lock_whole(p->lockfd, F_WRLCK) == 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)timeout ||
		    idle_draining()) {
			errno = EBUSY;
			return -1;
		}
		(void)nanosleep(&step, NULL);
	}
}

/* "fs-part.<32 hex>.<size>": 0 and the size, or -1 for another name. */
static int
part_size(const char *name, uint64_t *size)
{
	size_t plen = sizeof(PARTS_PREFIX) - 1, i;
	const char *digits = name + plen + KEY_HEX + 1;
	uint64_t v = 0;

	if (strncmp(name, PARTS_PREFIX, plen) != 0 ||
	    strlen(name) <= plen + KEY_HEX + 1 || name[plen + KEY_HEX] != '.')
		return -1;
	for (i = 0; i < KEY_HEX; i++)
		if (strchr("0123456789abcdef", name[plen + i]) == NULL)
			return -1;
	for (i = 0; digits[i] != '\0'; i++) {
		if (digits[i] < '0' || digits[i] > '9' ||
		    v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(digits[i] - '0');
	}
	*size = v;
	return 0;
}

static int
expired(const struct parts *p, const struct stat *st)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec - st->st_mtim.tv_sec > (time_t)p->ttl;
}

/* Removes the part name unless a session holds it: 1 removed, else 0. */
static int
remove_if_free(const struct parts *p, const char *name)
{
	int fd, removed = 0;

	fd = openat(p->fd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT;
	if (lock_whole(fd, F_WRLCK) == 0)
		removed = unlinkat(p->fd, name, 0) == 0;
	close(fd);		/* and its lock with it */
	return removed;
}

/*
 * With the directory's lock: removes the expired parts that no session
 * holds, and counts the others, ours (mine, or NULL) aside.
 */
static void
scan(const struct parts *p, const char *mine, struct tally *t)
{
	struct dirent *d;
	struct stat st;
	uint64_t size;
	DIR *dp;

	memset(t, 0, sizeof(*t));
	if ((dp = stage_dir_entries(p->fd)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (part_size(d->d_name, &size) == -1 ||
		    fstatat(p->fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (expired(p, &st) && remove_if_free(p, d->d_name))
			continue;
		if (mine != NULL && strcmp(d->d_name, mine) == 0)
			continue;
		t->files++;
		t->bytes = size > UINT64_MAX - t->bytes ? UINT64_MAX :
		    t->bytes + size;
	}
	closedir(dp);
}

void
parts_sweep(const struct parts *p, unsigned timeout)
{
	struct tally t;

	if (p->fd == -1 || lock_dir(p, timeout) == -1)
		return;
	scan(p, NULL, &t);
	(void)lock_whole(p->lockfd, F_UNLCK);
}

/*
 * The key names the client, the path and the size, each ended by a zero
 * byte so that no two triples run together the same way.
 */
static int
part_name(const char *client, const char *path, uint64_t size,
    char name[PARTS_NAME_MAX])
{
	char hex[DIGEST_HEX_MAX + 1], num[24];
	struct digest d;

	snprintf(num, sizeof(num), "%" PRIu64, size);
	if (digest_init(&d, DIGEST_SHA256) == -1)
		return -1;
	digest_update(&d, client, strlen(client) + 1);
	digest_update(&d, path, strlen(path) + 1);
	digest_update(&d, num, strlen(num) + 1);
	digest_final(&d, hex);
	digest_free(&d);
	snprintf(name, PARTS_NAME_MAX, PARTS_PREFIX "%.*s.%s", KEY_HEX, hex,
	    num);
	return 0;
}

/*
 * The part name as it is, locked: a descriptor, or -1 with ENOENT when
 * there is none to resume (none at all, or one that is not a part of its
 * own any more, removed here), EBUSY when a session holds it.
 */
static int
open_existing(const struct parts *p, const char *name)
{
	struct stat st;
	int fd, saved;

	fd = openat(p->fd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (lock_whole(fd, F_WRLCK) == -1) {
		saved = errno;
		close(fd);
		errno = saved == EAGAIN ? EBUSY : saved;
		return -1;
	}
	/*
	 * A second link is a part published by a process killed before it
	 * removed the part's name: that file is in DIR now, and must never
	 * be written again.  Not a regular file: not ours.
	 */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1) {
		(void)unlinkat(p->fd, name, 0);
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}

int
parts_take(const struct parts *p, const char *client, const char *path,
    uint64_t size, char name[PARTS_NAME_MAX], unsigned timeout)
{
	struct tally t;
	int fd, saved;

	name[0] = '\0';
	if (part_name(client, path, size, name) == -1 ||
	    lock_dir(p, timeout) == -1) {
		name[0] = '\0';
		return -1;
	}
	scan(p, name, &t);
	if ((fd = open_existing(p, name)) == -1 && errno == ENOENT) {
		if (t.files >= PARTS_FILES_MAX || size > p->max ||
		    t.bytes > p->max - size) {
			errno = EDQUOT;
		} else if ((fd = openat(p->fd, name, O_RDWR | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) != -1 &&
		    lock_whole(fd, F_WRLCK) == -1) {
			saved = errno;
			(void)unlinkat(p->fd, name, 0);
			close(fd);
			fd = -1;
			errno = saved;
		}
	}
	saved = errno;
	(void)lock_whole(p->lockfd, F_UNLCK);
	if (fd == -1)
		name[0] = '\0';
	errno = saved;
	return fd;
}

void
parts_drop(const struct parts *p, char name[PARTS_NAME_MAX])
{
	if (name[0] == '\0')
		return;
	(void)unlinkat(p->fd, name, 0);
	name[0] = '\0';
}
