/*
 * Local files for transfers, as read (see localfile.h): each opened
 * beneath the directory that holds it, a link met refused rather than
 * followed, and a file or directory that is not the one a listing saw
 * refused too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "localfile.h"
#include "pattern.h"

/*
 * The directory name in parentfd, opened without following a link: a
 * link there (planted in a target tree, or swapped in after it was
 * listed) is refused where it is met, and with seen (what lstat saw)
 * so is a directory that is not the one seen.  The descriptor, or -1
 * with errno (ELOOP for a link or a stranger).
 */
int
local_subdir_open(int parentfd, const char *name, const struct stat *seen)
{
	struct stat st;
	int fd;

	fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOTDIR)
			errno = ELOOP;
		return -1;
	}
	if (seen != NULL && (fstat(fd, &st) == -1 ||
	    st.st_dev != seen->st_dev || st.st_ino != seen->st_ino)) {
		close(fd);
		errno = ELOOP;
		return -1;
	}
	return fd;
}

int
local_tree_open(const char *top, const char *rel, int top_nofollow)
{
	char buf[LOCAL_PATH_SIZE], *comp, *rest;
	int fd, sub;

	if (strlcpy(buf, rel, sizeof(buf)) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = top_nofollow ? local_subdir_open(AT_FDCWD, top, NULL) :
	    openat(AT_FDCWD, top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (rest = buf; fd != -1 && rest != NULL && *rest != '\0';) {
		comp = strsep(&rest, "/");
		sub = local_subdir_open(fd, comp, NULL);
		close(fd);
		fd = sub;
	}
	return fd;
}

int
local_dir_room(int dirfd)
{
	struct statvfs vfs;
	uint64_t reserve;

	if (fstatvfs(dirfd, &vfs) == -1)
		return -1;
	/* No count of inodes (btrfs and the like): none to run out of. */
	if (vfs.f_files == 0)
		return 0;
	reserve = (uint64_t)vfs.f_files / 100;
	if (reserve > LOCAL_INODE_RESERVE_MAX)
		reserve = LOCAL_INODE_RESERVE_MAX;
	if ((uint64_t)vfs.f_favail <= reserve) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

static int
by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
local_dir_names(int dirfd, struct names *out)
{
	struct dirent *d;
	DIR *dp;
	int listfd, err;

	if ((listfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	if ((dp = fdopendir(listfd)) == NULL) {
		err = errno;
		close(listfd);
		errno = err;
		return -1;
	}
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 &&
		    strcmp(d->d_name, "..") != 0 &&
		    names_add(out, d->d_name, '?') == -1) {
			closedir(dp);
			names_free(out);
			errno = ENOMEM;
			return -1;
		}
	closedir(dp);
	if (out->n > 0)
		qsort(out->v, out->n, sizeof(out->v[0]), by_string);
	return 0;
}

int
local_hash_first(int fd, uint64_t bytes, struct digest *d)
{
	char buf[64 * 1024];
	uint64_t off = 0;
	ssize_t n;

	while (off < bytes) {
		n = pread(fd, buf, bytes - off < sizeof(buf) ?
		    (size_t)(bytes - off) : sizeof(buf), (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* cut meanwhile */
			return -1;
		}
		digest_update(d, buf, (size_t)n);
		off += (uint64_t)n;
	}
	return 0;
}

int
local_source_open(struct local_source *src, const char *path, char *why,
    size_t whylen)
{
	return local_source_openat(src, AT_FDCWD, path, NULL, path, why,
	    whylen);
}

int
local_source_openat(struct local_source *src, int dirfd, const char *name,
    const struct stat *seen, const char *path, char *why, size_t whylen)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	/* In a tree, a link is refused where it is met, never followed. */
	src->fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC | (seen != NULL ? O_NOFOLLOW : 0));
	if (src->fd == -1) {
		snprintf(why, whylen, "%s: %s", path, errno == ELOOP &&
		    seen != NULL ? "not a regular file" : strerror(errno));
		return -1;
	}
	if (fstat(src->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (seen != NULL && (st.st_dev != seen->st_dev ||
	    st.st_ino != seen->st_ino))) {
		snprintf(why, whylen, "%s: %s", path, !S_ISREG(st.st_mode) ?
		    "not a regular file" : st.st_ino != 0 ? "replaced since "
		    "it was listed" : strerror(errno));
		close(src->fd);
		src->fd = -1;
		return -1;
	}
	src->size = (uint64_t)st.st_size;
	src->mtime = st.st_mtime > 0 ? (uint64_t)st.st_mtime : 0;
	src->mode = st.st_mode & 0777;
	(void)posix_fadvise(src->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

ssize_t
local_source_read(void *ctx, void *buf, size_t len)
{
	struct local_source *src = ctx;

	return read(src->fd, buf, len);
}

int
local_source_skip(void *ctx, uint64_t bytes, struct digest *d)
{
	struct local_source *src = ctx;

	if (bytes > src->size) {
		errno = EIO;		/* the server holds more than there is */
		return -1;
	}
	if (d != NULL && local_hash_first(src->fd, bytes, d) == -1)
		return -1;
	return lseek(src->fd, (off_t)bytes, SEEK_SET) == -1 ? -1 : 0;
}

void
local_source_close(struct local_source *src)
{
	if (src->fd != -1)
		close(src->fd);
	src->fd = -1;
}
