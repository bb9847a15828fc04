/*
 * The download's file (see local_sink.h).  A download goes to an
 * unnamed O_TMPFILE beside its target, so that even a killed client leaves
 * nothing; where the file system has no O_TMPFILE, to a hidden temporary
 * name that every failure removes.  It is linked into place at the end:
 * link() never replaces, and with -f a rename() does.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "fdio.h"
#include "local_sink.h"
#include "localfile.h"

/*
 * A download stops before the file system fills: it leaves a reserve of
 * a hundredth of the file system, at most RESERVE_MAX, and looks again at
 * the free space every CHECK_EVERY bytes or when little is left.
 */
#define RESERVE_MAX	(64ULL * 1024 * 1024)
#define CHECK_EVERY	(64ULL * 1024 * 1024)

static int	link_unnamed(struct local_sink *);

/* get -a: NAME.part, created or continued at its end. */
static int
open_part(struct local_sink *ls, const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (snprintf(ls->tmpname, sizeof(ls->tmpname), "%s.part", ls->name) >=
	    (int)sizeof(ls->tmpname) || strlen(ls->tmpname) > NAME_MAX) {
		snprintf(why, whylen, "%s.part: name too long", path);
		ls->tmpname[0] = '\0';
		return -1;
	}
	/* Read too: its bytes are hashed for the SUM of the whole. */
	ls->fd = openat(ls->dirfd, ls->tmpname, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (ls->fd == -1 || fstat(ls->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    lseek(ls->fd, 0, SEEK_END) == -1) {
		snprintf(why, whylen, "%s.part: %s", path, ls->fd != -1 &&
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    strerror(errno));
		ls->tmpname[0] = '\0';	/* not ours to remove */
		return -1;
	}
	ls->offset = (uint64_t)st.st_size;
	return 0;
}

/*
 * The temporary beside the target, into ls->fd: an unnamed O_TMPFILE,
 * or where the file system has none a hidden name.  0, or -1 with errno.
 */
static int
open_temp(struct local_sink *ls)
{
	ls->fd = openat(ls->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
	    0644);
	if (ls->fd != -1) {
		ls->unnamed = 1;
		return 0;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR)
		return -1;
	snprintf(ls->tmpname, sizeof(ls->tmpname), ".%s.%ld.part", ls->name,
	    (long)getpid());
	ls->fd = openat(ls->dirfd, ls->tmpname, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (ls->fd == -1)
		ls->tmpname[0] = '\0';
	return ls->fd == -1 ? -1 : 0;
}

/* Closes the temporary beside the target, removing its name if any. */
static void
drop_temp(struct local_sink *ls)
{
	if (ls->tmpname[0] != '\0')
		(void)unlinkat(ls->dirfd, ls->tmpname, 0);
	ls->tmpname[0] = '\0';
	if (ls->fd != -1)
		close(ls->fd);
	ls->fd = -1;
	ls->unnamed = 0;
}

/* The rest of an open, ls's dirfd and name set: path names it in why. */
static int
sink_open_in(struct local_sink *ls, const char *path, int force, int resume,
    char *why, size_t whylen)
{
	struct stat st;

	ls->force = force;
	/* A link in the target's place is an entry there, never followed. */
	if (fstatat(ls->dirfd, ls->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !force) {
		snprintf(why, whylen, "%s: file exists (use -f to overwrite)",
		    path);
		local_sink_close(ls, 0);
		return -1;
	}
	/*
	 * -f replaces a file (or a link, itself), never a device, a FIFO or
	 * a socket: run as root, `get -f X /dev/null` once made /dev/null a
	 * regular file.
	 */
	if (force && fstatat(ls->dirfd, ls->name, &st, AT_SYMLINK_NOFOLLOW) ==
	    0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file; not replaced",
		    path);
		local_sink_close(ls, 0);
		return -1;
	}
	if (resume) {
		ls->resume = 1;
		if (open_part(ls, path, why, whylen) == -1) {
			local_sink_close(ls, 1);
			return -1;
		}
		return 0;
	}
	if (open_temp(ls) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		local_sink_close(ls, 0);
		return -1;
	}
	return 0;
}

int
local_sink_open(struct local_sink *ls, const char *path, int force,
    int resume, char *why, size_t whylen)
{
	char dir[PATH_MAX], base[PATH_MAX];

	memset(ls, 0, sizeof(*ls));
	ls->fd = ls->dirfd = ls->cachefd = -1;
	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir) ||
	    strlcpy(base, path, sizeof(base)) >= sizeof(base) ||
	    strlcpy(ls->name, basename(base), sizeof(ls->name)) >=
	    sizeof(ls->name)) {
		snprintf(why, whylen, "%s: name too long", path);
		return -1;
	}
	if ((ls->dirfd = open(dirname(dir), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return sink_open_in(ls, path, force, resume, why, whylen);
}

int
local_sink_openat(struct local_sink *ls, int dirfd, const char *name,
    const char *path, int force, int resume, char *why, size_t whylen)
{
	memset(ls, 0, sizeof(*ls));
	ls->fd = ls->dirfd = ls->cachefd = -1;
	if (strlcpy(ls->name, name, sizeof(ls->name)) >= sizeof(ls->name)) {
		snprintf(why, whylen, "%s: name too long", path);
		return -1;
	}
	if ((ls->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return sink_open_in(ls, path, force, resume, why, whylen);
}

int
local_sink_hash_prefix(void *ctx, struct digest *d)
{
	const struct local_sink *ls = ctx;

	return local_hash_first(ls->fd, ls->offset, d);
}

int
local_sink_restart(void *ctx)
{
	struct local_sink *ls = ctx;

	if (ftruncate(ls->fd, 0) == -1 || lseek(ls->fd, 0, SEEK_SET) == -1)
		return -1;
	ls->offset = 0;
	return 0;
}

/* What may still be written on fd's file system, reserve kept. */
static int
room_of(int fd, uint64_t *room)
{
	struct statvfs vfs;
	uint64_t avail, reserve;

	if (fstatvfs(fd, &vfs) == -1)
		return -1;
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	reserve = (uint64_t)vfs.f_blocks * vfs.f_frsize / 100;
	if (reserve > RESERVE_MAX)
		reserve = RESERVE_MAX;
	*room = avail > reserve ? avail - reserve : 0;
	return 0;
}

/*
 * Measures how much may still be written: a cached part must fit in
 * the cache, and, to be published, beside its target too (it is
 * copied there when the two are file systems apart).  0, or -1.
 */
static int
measure_room(struct local_sink *ls)
{
	uint64_t there;

	if (room_of(ls->fd, &ls->room) == -1 || (ls->cachefd != -1 &&
	    room_of(ls->dirfd, &there) == -1))
		return -1;
	if (ls->cachefd != -1 && there < ls->room)
		ls->room = there;
	ls->since_check = 0;
	return 0;
}

int
local_sink_expect(void *ctx, uint64_t bytes)
{
	struct local_sink *ls = ctx;

	if (measure_room(ls) == -1)
		return -1;
	if (bytes > ls->room) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int
local_sink_write(void *ctx, struct iovec *iov, int iovcnt)
{
	struct local_sink *ls = ctx;
	size_t len = fdio_iov_len(iov, iovcnt);

	if ((ls->since_check == 0 && ls->room == 0) ||
	    ls->since_check >= CHECK_EVERY || ls->room < CHECK_EVERY) {
		if (measure_room(ls) == -1)
			return -1;
	}
	if (len > ls->room) {
		ls->stopped_full = 1;
		errno = ENOSPC;
		return -1;
	}
	ls->room -= len;
	ls->since_check += len;
	return fdio_writev(ls->fd, iov, iovcnt);
}

/* AT_EMPTY_PATH needs a capability on older kernels; /proc does not. */
static int
link_unnamed(struct local_sink *ls)
{
	char proc[64];

	if (linkat(ls->fd, "", ls->dirfd, ls->tmpname[0] ? ls->tmpname :
	    ls->name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT && errno != EPERM)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ls->fd);
	return linkat(AT_FDCWD, proc, ls->dirfd, ls->tmpname[0] ?
	    ls->tmpname : ls->name, AT_SYMLINK_FOLLOW);
}

int
local_sink_cache(struct local_sink *ls, int cachefd, const char *name,
    int fresh)
{
	struct stat st, cache, there;
	int fd, dup_fd = -1, saved;

	/*
	 * A new part goes to the cache only where it can be linked into
	 * place: on another file system every download would be written
	 * twice (1 GiB from a disk cache to a tmpfs took 3.6 times as long).
	 * There it stays beside its target, as without the cache.
	 */
	if (fresh && (fstat(cachefd, &cache) == -1 ||
	    fstat(ls->dirfd, &there) == -1 || cache.st_dev != there.st_dev)) {
		errno = EXDEV;
		return -1;
	}
	fd = openat(cachefd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return -1;
	/* Locked before it is touched: two clients never write one part. */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 || (fresh &&
	    ftruncate(fd, 0) == -1) || fstat(fd, &st) == -1 ||
	    lseek(fd, 0, SEEK_END) == -1 ||
	    (dup_fd = fcntl(cachefd, F_DUPFD_CLOEXEC, 0)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	drop_temp(ls);
	ls->fd = fd;
	ls->cachefd = dup_fd;
	strlcpy(ls->cachename, name, sizeof(ls->cachename));
	ls->offset = (uint64_t)st.st_size;
	return 0;
}

void
local_sink_attrs(struct local_sink *ls, time_t mtime, int set_mode,
    mode_t mode)
{
	ls->set_mtime = 1;
	ls->mtime = mtime;
	ls->set_mode = set_mode;
	ls->mode = mode & 0777;
}

/*
 * The mode a download gets without -p: 0644 less the umask, as the
 * temporary beside the target is created; a part is private (0600)
 * while in the cache.
 */
static mode_t
plain_mode(void)
{
	mode_t mask = umask(022);

	umask(mask);
	return 0644 & ~mask;
}

/* The attributes asked for, on ls->fd: before the file is named. */
static int
apply_attrs(const struct local_sink *ls)
{
	struct timespec times[2] = { { 0, UTIME_OMIT }, { ls->mtime, 0 } };

	if ((ls->set_mode || ls->cachefd != -1) && fchmod(ls->fd,
	    ls->set_mode ? ls->mode : plain_mode()) == -1)
		return -1;
	return ls->set_mtime ? futimens(ls->fd, times) : 0;
}

/* Copies the cached part into a new temporary beside the target. */
static int
copy_out(struct local_sink *ls)
{
	char buf[64 * 1024];
	struct iovec iov;
	int part = ls->fd;
	off_t off = 0;
	ssize_t n;

	ls->fd = -1;
	if (open_temp(ls) == -1) {
		ls->fd = part;
		return -1;
	}
	while ((n = pread(part, buf, sizeof(buf), off)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		iov.iov_base = buf;
		iov.iov_len = (size_t)n;
		if (n == -1 || fdio_writev(ls->fd, &iov, 1) == -1) {
			drop_temp(ls);
			ls->fd = part;
			return -1;
		}
		off += n;
	}
	close(part);
	return apply_attrs(ls);
}

static int	publish_temp(struct local_sink *);

/*
 * A cached part is linked into place (renamed, with -f) straight from
 * the cache; where that is another file system, copied beside the target
 * first.  Either way the part leaves the cache once the file is there.
 */
static int
publish_cached(struct local_sink *ls)
{
	int rc;

	rc = ls->force ? renameat(ls->cachefd, ls->cachename, ls->dirfd,
	    ls->name) : linkat(ls->cachefd, ls->cachename, ls->dirfd,
	    ls->name, 0);
	if (rc == -1 && errno == EXDEV) {
		if (copy_out(ls) == -1)
			return -1;
		rc = publish_temp(ls);
	}
	if (rc == 0) {
		(void)unlinkat(ls->cachefd, ls->cachename, 0);
		ls->cachename[0] = '\0';
	}
	return rc;
}

int
local_sink_finish(void *ctx)
{
	struct local_sink *ls = ctx;

	if (apply_attrs(ls) == -1)
		return -1;
	if (ls->cachefd != -1)
		return publish_cached(ls);
	return publish_temp(ls);
}

/* The temporary beside the target takes the target's name. */
static int
publish_temp(struct local_sink *ls)
{
	int saved;

	if (ls->unnamed) {
		if (link_unnamed(ls) == 0)
			return 0;
		if (errno != EEXIST || !ls->force)
			return -1;
		/* Forced: give it a temporary name, then rename over. */
		snprintf(ls->tmpname, sizeof(ls->tmpname), ".%s.%ld.part",
		    ls->name, (long)getpid());
		if (link_unnamed(ls) == -1) {
			ls->tmpname[0] = '\0';
			return -1;
		}
		ls->unnamed = 0;
	}
	if (ls->force) {
		if (renameat(ls->dirfd, ls->tmpname, ls->dirfd, ls->name) == -1)
			return -1;
	} else {
		if (linkat(ls->dirfd, ls->tmpname, ls->dirfd, ls->name, 0) ==
		    -1) {
			/* A resume keeps its whole NAME.part for next time. */
			saved = errno;
			if (!ls->resume) {
				(void)unlinkat(ls->dirfd, ls->tmpname, 0);
				ls->tmpname[0] = '\0';
			}
			errno = saved;
			return -1;
		}
		(void)unlinkat(ls->dirfd, ls->tmpname, 0);
	}
	ls->tmpname[0] = '\0';
	return 0;
}

int
local_sink_part_size(const struct local_sink *ls, uint64_t *size)
{
	struct stat st;

	if (!ls->resume || ls->fd == -1 || fstat(ls->fd, &st) == -1)
		return -1;
	*size = (uint64_t)st.st_size;
	return 0;
}

int
local_sink_drop_stale(struct local_sink *ls)
{
	char part[LOCAL_TMPNAME_SIZE];
	struct stat st;

	if (ls->dirfd == -1 || snprintf(part, sizeof(part), "%s.part",
	    ls->name) >= (int)sizeof(part))
		return 0;
	/* Only a regular file of that name: never a link's target. */
	if (fstatat(ls->dirfd, part, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode))
		return 0;
	return unlinkat(ls->dirfd, part, 0) == 0 ? 1 : -1;
}

void
local_sink_close(struct local_sink *ls, int keep_part)
{
	struct stat st;

	if (ls->tmpname[0] != '\0' && ls->dirfd != -1 &&
	    !(ls->resume && keep_part))
		(void)unlinkat(ls->dirfd, ls->tmpname, 0);
	ls->tmpname[0] = '\0';
	/* A cached part is kept for the next get, unless it holds nothing. */
	if (ls->cachename[0] != '\0' && ls->fd != -1 &&
	    fstat(ls->fd, &st) == 0 && st.st_size == 0)
		(void)unlinkat(ls->cachefd, ls->cachename, 0);
	ls->cachename[0] = '\0';
	if (ls->fd != -1)
		close(ls->fd);
	if (ls->dirfd != -1)
		close(ls->dirfd);
	if (ls->cachefd != -1)
		close(ls->cachefd);
	ls->fd = ls->dirfd = ls->cachefd = -1;
}
