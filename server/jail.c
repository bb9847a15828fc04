/*
 * The jail (see jail.h).
 *
 * The kernel does the containing: openat2 with RESOLVE_BENEATH refuses any
 * resolution that would leave the served directory, whatever the path or
 * its links say, and is immune to a directory being renamed meanwhile.
 * RESOLVE_BENEATH also refuses every absolute symbolic link, even one that
 * names a place inside; only then do we resolve the path ourselves, one
 * component at a time, into a path without links, and open that with
 * links forbidden.  Our resolver decides only what a link means; whether
 * the result is inside is still the kernel's word.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "dirwalk.h"
#include "jail.h"
#include "testhook.h"

#define LINKS_MAX	40	/* as the kernel's own limit */

static int	openat2_beneath(int, const char *, int, unsigned long long);
static int	resolve_links(const struct jail *, const char *, char *,
		    size_t);
static int	push_front(char *, size_t, const char *, size_t);
static int	pop_front(char *, char *, size_t);
static const char *inside(const struct jail *, const char *);

static int
openat2_beneath(int dirfd, const char *path, int flags,
    unsigned long long resolve)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | resolve;
	return (int)syscall(SYS_openat2, dirfd, path[0] ? path : ".", &how,
	    sizeof(how));
}

int
jail_open(struct jail *j, const char *dir, char *why, size_t whylen)
{
	int fd;

	j->procfd = -1;
	spool_none(&j->spool);
	parts_none(&j->parts);
	if ((j->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (realpath(dir, j->realroot) == NULL) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		close(j->rootfd);
		return -1;
	}
	if ((fd = openat2_beneath(j->rootfd, "", O_PATH, 0)) == -1) {
		snprintf(why, whylen, "openat2: %s (Linux 5.6 or later is "
		    "needed)", strerror(errno));
		close(j->rootfd);
		return -1;
	}
	close(fd);
	j->confined = 0;
	return 0;
}

/*
 * 1 when this kernel lets anyone link an O_TMPFILE they opened
 * themselves with linkat(AT_EMPTY_PATH): Linux 6.10 and later.  Before,
 * only a process with CAP_DAC_READ_SEARCH may, which a -u child has not.
 */
static int
kernel_links_own_tmpfiles(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (testhook_old_kernel() || uname(&u) == -1 ||
	    sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	return major > 6 || (major == 6 && minor >= 10);
}

int
jail_confine(struct jail *j, const char *user, char *why, size_t whylen)
{
	struct passwd *pw;
	gid_t gid;
	uid_t uid;

	if ((pw = getpwnam(user)) == NULL) {
		snprintf(why, whylen, "unknown user %s", user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	/*
	 * No descriptor leading outside DIR survives into a child (issue 13,
	 * finding 5): /proc is not kept across the chroot.  Only a kernel
	 * before 6.10 needs it, for the uploads of an unprivileged child
	 * (serve_write.c); there it is kept, and main() says so at start-up.
	 */
	if (uid != 0 && !kernel_links_own_tmpfiles())
		j->procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	/*
	 * In this order, each checked (OpenBSD tftpd main()).  The chroot is
	 * to the directory already open, not to its path: a component of the
	 * path swapped since start-up cannot redirect it (issue 13, finding
	 * 4), and the descriptor then leads nowhere outside the new root.
	 */
	if (fchdir(j->rootfd) == -1 || chroot(".") == -1 ||
	    chdir("/") == -1 ||
	    setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		snprintf(why, whylen, "cannot confine to %s as %s: %s",
		    j->realroot, user, strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) != -1) {
		snprintf(why, whylen, "privileges could be regained");
		return -1;
	}
	j->confined = 1;
	return 0;
}

int
jail_open_root(int dirfd, const char *root)
{
	return openat2_beneath(dirfd, root, O_RDONLY | O_DIRECTORY,
	    RESOLVE_NO_SYMLINKS);
}

int
jail_enter(struct jail *j, const char *root, char *why, size_t whylen)
{
	char real[PATH_MAX];
	int fd, n;

	if (root[0] == '\0')
		return 0;	/* DIR itself */
	/* Absolute links inside are read against the new root's path. */
	n = snprintf(real, sizeof(real), "%s/%s", strcmp(j->realroot, "/") ?
	    j->realroot : "", root);
	if (n < 0 || (size_t)n >= sizeof(real)) {
		snprintf(why, whylen, "root %s: name too long", root);
		return -1;
	}
	if ((fd = jail_open_root(j->rootfd, root)) == -1) {
		snprintf(why, whylen, "root %s: %s", root, errno == ELOOP ?
		    "a symbolic link on the way" : strerror(errno));
		return -1;
	}
	close(j->rootfd);
	j->rootfd = fd;
	strlcpy(j->realroot, real, sizeof(j->realroot));
	return 0;
}

/* Puts s[0..len) and a '/' in front of the remaining path in buf. */
static int
push_front(char *buf, size_t size, const char *s, size_t len)
{
	size_t rest = strlen(buf);

	if (len + 1 + rest + 1 > size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memmove(buf + len + (rest ? 1 : 0), buf, rest + 1);
	memcpy(buf, s, len);
	if (rest)
		buf[len] = '/';
	return 0;
}

/*
 * Takes the first component off the remaining path in buf into comp (of
 * compsize bytes), the inverse of push_front.  Returns its length, or -1
 * with ENAMETOOLONG.
 */
static int
pop_front(char *buf, char *comp, size_t compsize)
{
	const char *slash = strchr(buf, '/');
	size_t clen = slash ? (size_t)(slash - buf) : strlen(buf);
	size_t skip = clen + (slash ? 1 : 0);

	if (clen >= compsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(comp, buf, clen);
	comp[clen] = '\0';
	memmove(buf, buf + skip, strlen(buf + skip) + 1);
	return (int)clen;
}

/*
 * An absolute link target read as a place inside: what follows the
 * served directory's own path in it, or NULL with EXDEV when it does not
 * start with that path.
 */
static const char *
inside(const struct jail *j, const char *target)
{
	size_t rootlen = strlen(j->realroot);

	if (strcmp(j->realroot, "/") == 0)
		return target + 1;
	if (strncmp(target, j->realroot, rootlen) == 0 &&
	    (target[rootlen] == '\0' || target[rootlen] == '/'))
		return target + rootlen;
	errno = EXDEV;
	return NULL;
}

/*
 * Rewrites path into out, a path from the root with no symbolic link in
 * it, following links the way the kernel would but reading an absolute
 * target as a place inside when it starts with the served directory's own
 * path.  -1 with EXDEV when the path leads outside.
 */
static int
resolve_links(const struct jail *j, const char *path, char *out,
    size_t outsize)
{
	char rest[2 * PATH_MAX], target[PATH_MAX], comp[PATH_MAX];
	size_t clen, prev, dlen = 0;
	const char *tail;
	struct stat st;
	int fd, c, links = 0;
	ssize_t n;

	if (strlcpy(rest, path, sizeof(rest)) >= sizeof(rest)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	out[0] = '\0';
	while (rest[0] != '\0') {
		if ((c = pop_front(rest, comp, sizeof(comp))) == -1)
			return -1;
		clen = (size_t)c;
		if (clen == 0 || strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (dlen == 0) {
				errno = EXDEV;
				return -1;
			}
			while (dlen > 0 && out[dlen - 1] != '/')
				dlen--;
			dlen = dlen > 0 ? dlen - 1 : 0;
			out[dlen] = '\0';
			continue;
		}
		prev = dlen;
		if (dlen + 1 + clen + 1 > outsize) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (dlen > 0)
			out[dlen++] = '/';
		memcpy(out + dlen, comp, clen + 1);
		dlen += clen;
		fd = openat2_beneath(j->rootfd, out, O_PATH | O_NOFOLLOW,
		    RESOLVE_NO_SYMLINKS);
		if (fd == -1)
			return -1;
		if (fstat(fd, &st) == -1 || !S_ISLNK(st.st_mode)) {
			close(fd);
			continue;
		}
		n = readlinkat(fd, "", target, sizeof(target) - 1);
		close(fd);
		if (n <= 0)
			return -1;
		target[n] = '\0';
		if (++links > LINKS_MAX) {
			errno = ELOOP;
			return -1;
		}
		/* The link's target replaces the link's own component. */
		dlen = prev;
		out[dlen] = '\0';
		tail = target;
		if (target[0] == '/') {
			if ((tail = inside(j, target)) == NULL)
				return -1;
			dlen = 0;
			out[0] = '\0';
		}
		if (push_front(rest, sizeof(rest), tail, strlen(tail)) == -1)
			return -1;
	}
	return 0;
}

int
jail_openat(const struct jail *j, const char *path, int flags)
{
	char canon[PATH_MAX];
	int fd;

	fd = openat2_beneath(j->rootfd, path, flags, 0);
	if (fd != -1 || errno != EXDEV)
		return fd;
	if (resolve_links(j, path, canon, sizeof(canon)) == -1)
		return -1;
	return openat2_beneath(j->rootfd, canon, flags, RESOLVE_NO_SYMLINKS);
}


int
jail_holds(const struct jail *j, int dirfd)
{
	struct stat root;

	if (fstat(j->rootfd, &root) == -1)
		return -1;
	if (dir_beneath(dirfd, &root) != 1) {
		errno = EXDEV;
		return -1;
	}
	return 0;
}

int
jail_stat(const struct jail *j, const char *path, struct stat *st)
{
	int fd, rc, saved;

	if ((fd = jail_openat(j, path, O_PATH)) == -1)
		return -1;
	rc = fstat(fd, st);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/*
 * Nothing but a regular file is ever opened for reading (issue 13,
 * finding 6): opening a FIFO releases a writer blocked on it, and opening
 * a device runs its driver's open routine, so the path is first opened
 * with O_PATH, which opens nothing, and checked with fstat.
 *
 * The file is then reopened through that very descriptor, by its magic
 * link in /proc/self/fd: the link names the inode checked, not a path, and
 * an inode's type never changes, so no rename or swap between the check
 * and the open can put a FIFO or a device in its place.  That is why the
 * open is not simply repeated by path, which a swap could redirect.
 *
 * In the -u chroot there is no /proc (no descriptor leading outside the
 * served directory may survive into a child, finding 5).  There the path
 * is resolved a second time and the result checked to be the same inode
 * (device and inode number) as the one checked, else refused: never
 * served, but a local user who can write inside DIR and swaps a FIFO in
 * within those microseconds can make the child open it, without blocking
 * (O_NONBLOCK), and close it unread.  That one window is documented in
 * docs/protocol.md.
 */
int
jail_open_regular(const struct jail *j, const char *path, int flags,
    struct stat *st)
{
	char proc_path[64];
	struct stat again;
	int pfd, fd, saved;

	if ((pfd = jail_openat(j, path, O_PATH)) == -1)
		return -1;
	if (fstat(pfd, st) == -1)
		goto fail;
	if (!S_ISREG(st->st_mode)) {
		errno = EFTYPE_NOT_REGULAR;
		goto fail;
	}
	flags |= O_CLOEXEC | O_NOCTTY;
	if (!j->confined || j->procfd != -1) {
		snprintf(proc_path, sizeof(proc_path), "%sself/fd/%d",
		    j->procfd != -1 ? "" : "/proc/", pfd);
		fd = openat(j->procfd != -1 ? j->procfd : AT_FDCWD, proc_path,
		    flags);
		if (fd != -1 || errno != ENOENT)
			goto done;
		/* No /proc mounted: as in the chroot. */
	}
	fd = jail_openat(j, path, flags | O_NONBLOCK);
	if (fd != -1 && (fstat(fd, &again) == -1 ||
	    again.st_dev != st->st_dev || again.st_ino != st->st_ino)) {
		close(fd);
		fd = -1;
		errno = EFTYPE_NOT_REGULAR;
	}
done:
	saved = errno;
	close(pfd);
	if (fd != -1 && fstat(fd, st) == -1) {
		saved = errno;
		close(fd);
		fd = -1;
	}
	errno = saved;
	return fd;
fail:
	saved = errno;
	close(pfd);
	errno = saved;
	return -1;
}
