/*
 * The spool (see spool.h).
 *
 * Why a link and never a rename: rename(2) replaces an existing name on
 * every file system, and on GlusterFS renameat2(RENAME_NOREPLACE) is
 * EINVAL, while link(2) onto an existing name fails with EEXIST and, on a
 * one-brick or replica volume raced from two mounts, has exactly one
 * winner (issue 12).  The loser is not always told EEXIST (sshfs says
 * EPERM), and a network file system may retry a link that worked and
 * answer EEXIST for our own: so after any failure the final name decides.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "dirwalk.h"
#include "spool.h"

static int	parse_name(const char *, const char *, pid_t *);
static int	gone(pid_t);

int
spool_probe_tmpfile(int dirfd)
{
	int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);

	if (fd != -1) {
		close(fd);	/* unnamed: it vanishes */
		return 1;
	}
	return errno != EOPNOTSUPP && errno != EISDIR;
}

void
spool_none(struct spool *sp)
{
	sp->fd = -1;
	sp->host[0] = '\0';
}

int
stage_dir_open(const char *what, const char *path, int rootfd, char *why,
    size_t whylen)
{
	struct stat st, rst;
	int fd, in, around;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || fstat(rootfd, &rst) == -1 ||
	    faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) == -1) {
		snprintf(why, whylen, "%s %s: %s", what, path,
		    strerror(errno));
		goto fail;
	}
	/* linkat cannot cross file systems: say so now, not per upload. */
	if (st.st_dev != rst.st_dev) {
		snprintf(why, whylen, "%s %s is not on the file system of "
		    "the served directory", what, path);
		goto fail;
	}
	/*
	 * Inside, a staged upload would be an entry of the served tree;
	 * around it, every child's Landlock rule would reach past the served
	 * directory (issue 25, finding 4c).  By device and inode, walking
	 * up, so that no link or bind mount hides either.
	 */
	if ((in = dir_beneath(fd, &rst)) == -1 ||
	    (around = dir_beneath(rootfd, &st)) == -1) {
		snprintf(why, whylen, "%s %s: %s", what, path,
		    strerror(errno));
		goto fail;
	}
	if (in || around) {
		snprintf(why, whylen, "%s %s %s the served directory", what,
		    path, in && around ? "is" : in ? "is inside" : "contains");
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int
spool_open(struct spool *sp, const char *path, int rootfd, char *why,
    size_t whylen)
{
	size_t i;

	spool_none(sp);
	if (gethostname(sp->host, sizeof(sp->host)) == -1)
		strlcpy(sp->host, "localhost", sizeof(sp->host));
	sp->host[sizeof(sp->host) - 1] = '\0';
	/* The name's fields are split at dots: the host has none. */
	for (i = 0; sp->host[i] != '\0'; i++)
		if (sp->host[i] == '.' || sp->host[i] == '/')
			sp->host[i] = '_';
	if ((sp->fd = stage_dir_open("spool", path, rootfd, why, whylen)) ==
	    -1)
		return -1;
	spool_sweep(sp, 0);
	return 0;
}

int
spool_create(const struct spool *sp, char *name, size_t size)
{
	uint64_t rnd;
	int n, fd, tries;

	for (tries = 0; tries < 8; tries++) {
		if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -1;
		n = snprintf(name, size, SPOOL_PREFIX "%s.%ld.%016" PRIx64,
		    sp->host, (long)getpid(), rnd);
		if (n < 0 || (size_t)n >= size) {
			name[0] = '\0';
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(sp->fd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1)
		name[0] = '\0';
	return fd;
}

int
spool_publish(int stagefd, const char *name, int fd, int dirfd,
    const char *final)
{
	struct stat ours;

	if (fstat(fd, &ours) == -1)
		return -1;
	return spool_link(stagefd, name, &ours, dirfd, final);
}

int
spool_link(int fromdir, const char *name, const struct stat *ours,
    int dirfd, const char *final)
{
	struct stat there;
	int saved;

	if (linkat(fromdir, name, dirfd, final, 0) == 0)
		return 0;
	saved = errno;
	if (fstatat(dirfd, final, &there, AT_SYMLINK_NOFOLLOW) == 0) {
		if (ours->st_dev == there.st_dev &&
		    ours->st_ino == there.st_ino)
			return 0;
		errno = EEXIST;
		return -1;
	}
	errno = saved;
	return -1;
}

void
spool_discard(const struct spool *sp, char *name)
{
	if (name[0] == '\0')
		return;
	(void)unlinkat(sp->fd, name, 0);
	name[0] = '\0';
}

/* "fs-spool.<host>.<pid>.<hex>": 0 and *pid when it is host's. */
static int
parse_name(const char *name, const char *host, pid_t *pid)
{
	size_t plen = sizeof(SPOOL_PREFIX) - 1, hlen = strlen(host);
	const char *p, *dot;
	long long v;
	char num[24];
	const char *errstr;

	if (strncmp(name, SPOOL_PREFIX, plen) != 0 ||
	    strncmp(name + plen, host, hlen) != 0 || name[plen + hlen] != '.')
		return -1;
	p = name + plen + hlen + 1;
	if ((dot = strchr(p, '.')) == NULL || (size_t)(dot - p) >= sizeof(num))
		return -1;
	memcpy(num, p, (size_t)(dot - p));
	num[dot - p] = '\0';
	v = strtonum(num, 1, INT_MAX, &errstr);
	if (errstr != NULL || strlen(dot + 1) != 16)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/*
 * 1 when process pid has ended.  A zombie has too: the child of a killed
 * instance waits for init to reap it, which may take a while where PID 1
 * is a plain shell.  EPERM is someone else's live process.
 */
static int
gone(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (kill(pid, 0) == -1)
		return errno == ESRCH;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')'. */
	return (p = strrchr(buf, ')')) != NULL && p[1] == ' ' && p[2] == 'Z';
}

DIR *
stage_dir_entries(int dirfd)
{
	DIR *dp;
	int fd;

	/* A descriptor of its own: readdir moves the offset. */
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return NULL;
	if ((dp = fdopendir(fd)) == NULL)
		close(fd);
	return dp;
}

void
spool_sweep(const struct spool *sp, pid_t pid)
{
	struct dirent *d;
	DIR *dp;
	pid_t owner;

	if (sp->fd == -1 || (dp = stage_dir_entries(sp->fd)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (parse_name(d->d_name, sp->host, &owner) == -1)
			continue;
		if (pid != 0 ? owner == pid : gone(owner))
			(void)unlinkat(sp->fd, d->d_name, 0);
	}
	closedir(dp);
}
