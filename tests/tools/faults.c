/*
 * A test-only fault injector, loaded with LD_PRELOAD into the real server.
 * Never linked into a release binary.  Each fault is switched on by the
 * environment:
 *
 *   FAULT_WRITE_ERRNO=ENOSPC|EIO  FAULT_WRITE_AFTER=N
 *       write(2) or writev(2) to a regular file fails with that errno once
 *       the process would pass N bytes written to regular files
 *   FAULT_READ_AFTER=N
 *       read(2) from a regular file fails with EIO past N bytes
 *   FAULT_FORK_FAILS=N      the first N fork(2) calls fail with EAGAIN
 *   FAULT_ACCEPT_EMFILE=N   the first N accept4(2) calls fail with EMFILE
 *   FAULT_NO_TMPFILE=1      openat(2) with O_TMPFILE fails with EOPNOTSUPP,
 *       as on FUSE and network file systems (issue 12)
 *   FAULT_SWAP_LINK=NAME:TARGET
 *       the first open(2) or openat(2) of an entry named NAME first puts
 *       a symbolic link to TARGET in its place, as a swap between a
 *       tree's listing and its opening would (issue 25); for the client
 *
 * Descriptors 0-2 are never touched, so the log keeps working.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

ssize_t	write(int, const void *, size_t);
ssize_t	writev(int, const struct iovec *, int);
ssize_t	read(int, void *, size_t);
pid_t	fork(void);
int	accept4(int, struct sockaddr *, socklen_t *, int);
int	openat(int, const char *, int, ...);
int	open(const char *, int, ...);

static unsigned long long written, readn;
static long forks_failed, accepts_failed;

static int	write_fails(int, size_t);

static long long
env_num(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? atoll(v) : -1;
}

static int
regular(int fd)
{
	struct stat st;

	return fd > 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT,
		    "write");
	if (write_fails(fd, len))
		return -1;
	return real(fd, buf, len);
}

/* Whether a write of len bytes to fd is the one to fail, counting it. */
static int
write_fails(int fd, size_t len)
{
	long long after = env_num("FAULT_WRITE_AFTER");
	const char *e = getenv("FAULT_WRITE_ERRNO");

	if (after < 0 || e == NULL || !regular(fd))
		return 0;
	if (written + len > (unsigned long long)after) {
		errno = strcmp(e, "EIO") == 0 ? EIO : ENOSPC;
		return 1;
	}
	written += len;
	return 0;
}

ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	static ssize_t (*real)(int, const struct iovec *, int);
	size_t len = 0;
	int i;

	if (real == NULL)
		real = (ssize_t (*)(int, const struct iovec *, int))dlsym(
		    RTLD_NEXT, "writev");
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (write_fails(fd, len))
		return -1;
	return real(fd, iov, iovcnt);
}

ssize_t
read(int fd, void *buf, size_t len)
{
	static ssize_t (*real)(int, void *, size_t);
	long long after = env_num("FAULT_READ_AFTER");
	ssize_t n;

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT,
		    "read");
	if (after >= 0 && regular(fd)) {
		if (readn >= (unsigned long long)after) {
			errno = EIO;
			return -1;
		}
		if ((n = real(fd, buf, len)) > 0)
			readn += (unsigned long long)n;
		return n;
	}
	return real(fd, buf, len);
}

pid_t
fork(void)
{
	static pid_t (*real)(void);

	if (real == NULL)
		real = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
	if (forks_failed < env_num("FAULT_FORK_FAILS")) {
		forks_failed++;
		errno = EAGAIN;
		return -1;
	}
	return real();
}

int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);

	if (real == NULL)
		real = (int (*)(int, struct sockaddr *, socklen_t *, int))
		    dlsym(RTLD_NEXT, "accept4");
	if (accepts_failed < env_num("FAULT_ACCEPT_EMFILE")) {
		accepts_failed++;
		errno = EMFILE;
		return -1;
	}
	return real(fd, sa, len, flags);
}

/* FAULT_SWAP_LINK: path in dirfd becomes a link, once, if it is NAME. */
static void
swap_link(int dirfd, const char *path)
{
	static int done;
	const char *spec = getenv("FAULT_SWAP_LINK"), *colon, *base;

	if (spec == NULL || done || (colon = strchr(spec, ':')) == NULL)
		return;
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	if (strlen(base) != (size_t)(colon - spec) ||
	    memcmp(base, spec, strlen(base)) != 0)
		return;
	done = 1;
	(void)unlinkat(dirfd, path, 0);
	(void)symlinkat(colon + 1, dirfd, path);
}

int
open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (real == NULL)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT,
		    "open");
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	swap_link(AT_FDCWD, path);
	return real(path, flags, mode);
}

/* The server calls openat (not openat64: it has no _FILE_OFFSET_BITS). */
int
openat(int dirfd, const char *path, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (real == NULL)
		real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT,
		    "openat");
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if ((flags & O_TMPFILE) == O_TMPFILE && getenv("FAULT_NO_TMPFILE")) {
		errno = EOPNOTSUPP;
		return -1;
	}
	swap_link(dirfd, path);
	return real(dirfd, path, flags, mode);
}
