/*
 * Test-only, for `make valgrind` alone: valgrind 3.19 (Debian 12) does not
 * know openat2 (syscall 437) and fails it, so the server would refuse to
 * start under memcheck.  This shim, loaded with LD_PRELOAD, answers
 * syscall(SYS_openat2, ...) with openat(2): it refuses absolute paths and
 * "..", and forbids links with O_NOFOLLOW where asked, but it is no jail.
 * The valgrind run checks memory; the jail is tested without this shim.
 * Never linked into a release binary.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

long	syscall(long, ...);

long
syscall(long number, ...)
{
	static long (*real)(long, ...);
	const struct open_how *how;
	const char *path;
	long a[6];
	va_list ap;
	int dirfd, flags, i;

	va_start(ap, number);
	if (number == SYS_openat2) {
		dirfd = va_arg(ap, int);
		path = va_arg(ap, const char *);
		how = va_arg(ap, const struct open_how *);
		va_end(ap);
		if (path[0] == '/' || strcmp(path, "..") == 0 ||
		    strncmp(path, "../", 3) == 0 || strstr(path, "/../") ||
		    (strlen(path) >= 3 && strcmp(path + strlen(path) - 3,
		    "/..") == 0)) {
			errno = EXDEV;
			return -1;
		}
		flags = (int)how->flags;
		if (how->resolve & RESOLVE_NO_SYMLINKS)
			flags |= O_NOFOLLOW;
		return openat(dirfd, path, flags, (mode_t)how->mode);
	}
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (real == NULL)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
