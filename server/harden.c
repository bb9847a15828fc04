/*
 * Narrowing a connection's child (see harden.h).  Each measure is cheap
 * and leaves every legitimate session untouched:
 *
 * - PR_SET_NO_NEW_PRIVS: no set-user-ID gain through any exec.
 * - RLIMIT_CORE 0: a crash never writes served data into a core file.
 * - RLIMIT_NPROC 0: the child never forks (root is exempt by the kernel;
 *   run with -u for this one to bite).
 * - RLIMIT_NOFILE 32: a session needs about ten descriptors.
 * - Every descriptor but the socket, the served directory, the log's and
 *   standard input, output and error is closed: whatever the server
 *   inherited from whoever started it (a file, a directory, a socket)
 *   never reaches a child (issue 13, finding 5).  Standard input and
 *   output become /dev/null, and standard error too unless the log is
 *   written there: they may be files or a terminal outside DIR.  The
 *   parent opens /dev/null at start-up, before any chroot, which has
 *   none (issue 25, finding 4d).
 * - RLIMIT_DATA SERVER_CHILD_DATA_MAX (config.h): a child's heap and
 *   private mappings are bounded, whatever a bug or a client makes it
 *   allocate; the listing, its largest holding, has its own lower bound
 *   with a clear ERR.  Not in a sanitizer build: AddressSanitizer
 *   reserves terabytes of shadow memory as private mappings, which
 *   RLIMIT_DATA counts (and RLIMIT_AS too), so there the listing's own
 *   bound is the one in force.  harden_data_limit() says which.
 * - RLIMIT_FSIZE with -m: the kernel refuses to grow a file past the
 *   limit (EFBIG, ERR 3) even if our own count were wrong; SIGXFSZ is
 *   ignored so the refusal is an error, not a death.  The limit covers
 *   every file the child writes, so it is left off when standard error
 *   is a regular file: the log would stop at the limit.
 *
 * Only the first is a condition of service.  A limit that cannot be set
 * is logged (with -v) and the session goes on: lowering a limit always
 * works on Linux, but not under valgrind, which keeps descriptors of its
 * own, and a defence in depth should not turn every client away.
 *
 * Then the sandbox proper: Landlock (landlock.c) and the seccomp
 * allow-list (syscall_filter.c), each file saying what it guarantees.
 * With --users, a child that knows its user (after the TLS handshake,
 * so under both already) narrows itself once more: to the user's root,
 * with the user's rights (harden_user).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "harden.h"
#include "hashslot.h"
#include "landlock.h"
#include "log.h"
#include "signals.h"
#include "syscall_filter.h"
#include "testhook.h"

#define CHILD_FILES_MAX	32
#define CHILD_FILES_SCAN	65536	/* without close_range: the first ones */

/* /dev/null, opened by harden_prepare for every child's 0, 1 and 2. */
static int null_fd = -1;

static void	limit(const char *, int, rlim_t);
static void	standard_to_null(int, int);
static void	close_others(int *, size_t);
static int	by_fd(const void *, const void *);

static void
limit(const char *what, int resource, rlim_t value)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == 0) {
		/* Only ever lower: a child cannot raise a hard limit. */
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < value)
			value = rl.rlim_max;
		rl.rlim_cur = rl.rlim_max = value;
		if (setrlimit(resource, &rl) == 0)
			return;
	}
	log_debug("Cannot limit %s: %s", what, strerror(errno));
}

size_t
harden_data_limit(void)
{
#if SERVER_SANITIZED
	return 0;
#else
	return SERVER_CHILD_DATA_MAX;
#endif
}

static int
by_fd(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Closes every descriptor above 2 that keep[0..n) does not name. */
static void
close_others(int *keep, size_t n)
{
	unsigned from = 3;
	size_t i;

	qsort(keep, n, sizeof(*keep), by_fd);
	for (i = 0; i <= n; i++) {
		unsigned to = i < n ? (unsigned)keep[i] : ~0U;

		if (i < n && (keep[i] < 3 || (unsigned)keep[i] < from))
			continue;
		if (to > from && close_range(from, to - 1, 0) == -1) {
			/* Before Linux 5.9: one at a time, to the limit. */
			unsigned fd, top = to;

			if (top > CHILD_FILES_SCAN)
				top = CHILD_FILES_SCAN;
			for (fd = from; fd < top; fd++)
				(void)close((int)fd);
		}
		if (i < n)
			from = (unsigned)keep[i] + 1;
	}
}

/*
 * Standard input and output, and error unless the log is there, become
 * /dev/null; a descriptor that is the connection itself (-i, where the
 * socket is standard input) or its pair stays.
 */
static void
standard_to_null(int sock, int admit_fd)
{
	int fd;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fd == sock || fd == admit_fd || null_fd == -1 ||
		    (fd == STDERR_FILENO && log_on_stderr()))
			continue;
		if (dup2(null_fd, fd) == -1)
			log_debug("Cannot make descriptor %d /dev/null: %s", fd,
			    strerror(errno));
	}
}

int
harden_prepare(const struct jail *j, char *why, size_t whylen)
{
	int dirs[3];
	size_t n = 0;

	if (null_fd == -1 && (null_fd = open("/dev/null", O_RDWR |
	    O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "/dev/null: %s", strerror(errno));
		return -1;
	}

	dirs[n++] = j->rootfd;
	if (j->spool.fd != -1)
		dirs[n++] = j->spool.fd;
	if (j->parts.fd != -1)
		dirs[n++] = j->parts.fd;
	return landlock_prepare(dirs, n, why, whylen);
}

int
harden_null_dup(void)
{
	if (null_fd == -1) {
		errno = EBADF;
		return -1;
	}
	return fcntl(null_fd, F_DUPFD_CLOEXEC, 0);
}

int
harden_child(const struct server_config *cfg, const struct jail *j,
    int sock, int admit_fd, char *why, size_t whylen)
{
	int keep[11];	/* a socket, a pair, 3 directories and the parts'
			 * lock, /proc, the log's, the Landlock ruleset,
			 * the hashing slots */
	size_t n = 0;
	struct stat st;

	if (sock != -1)			/* -1: a spare, before its connection */
		keep[n++] = sock;
	keep[n++] = j->rootfd;
	if (admit_fd != -1)		/* the parent's answer comes there */
		keep[n++] = admit_fd;
	if (j->spool.fd != -1)		/* -s: outside DIR by design */
		keep[n++] = j->spool.fd;
	if (j->parts.fd != -1) {	/* --parts: outside DIR by design */
		keep[n++] = j->parts.fd;
		keep[n++] = j->parts.lockfd;
	}
	if (j->procfd != -1)		/* before Linux 6.10 only (jail.h) */
		keep[n++] = j->procfd;
	if (landlock_fd() != -1)	/* closed once enforced */
		keep[n++] = landlock_fd();
	if (hashslot_fd() != -1)	/* the prefix-hashing slots */
		keep[n++] = hashslot_fd();
	n += log_fds(keep + n, sizeof(keep) / sizeof(keep[0]) - n);
	standard_to_null(sock, admit_fd);
	close_others(keep, n);	/* /dev/null's own descriptor too */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(why, whylen, "no-new-privileges: %s",
		    strerror(errno));
		return -1;
	}
	limit("core", RLIMIT_CORE, 0);
	limit("processes", RLIMIT_NPROC, 0);
	limit("open files", RLIMIT_NOFILE, CHILD_FILES_MAX);
	if (harden_data_limit() > 0)
		limit("data size", RLIMIT_DATA, harden_data_limit());
	if (cfg->has_max_upload && !(fstat(STDERR_FILENO, &st) == 0 &&
	    S_ISREG(st.st_mode))) {
		if (signals_install(SIGXFSZ, SIG_IGN) == -1) {
			snprintf(why, whylen, "SIGXFSZ: %s", strerror(errno));
			return -1;
		}
		limit("file size", RLIMIT_FSIZE, (rlim_t)cfg->max_upload);
	}
	/*
	 * Last, as they forbid what the steps above do: Landlock (beneath
	 * DIR only, as harden_prepare built it), then the system-call
	 * filter, which forbids Landlock's own calls.  Either failing where
	 * the kernel has it is a refusal: a child is never served less
	 * confined than the start-up line said.
	 */
	if (landlock_confine(why, whylen) == -1)
		return -1;
	/* Its SIGSYS handler, if asked. */
	if (testhook_seccomp_trap() == -1) {
		snprintf(why, whylen, "SIGSYS: %s", strerror(errno));
		return -1;
	}
	return filter_confine(why, whylen);
}

int
harden_user(struct jail *j, const char *root, unsigned rights, char *why,
    size_t whylen)
{
	if (jail_enter(j, root, why, whylen) == -1 ||
	    landlock_confine_user(j->rootfd, j->spool.fd, j->parts.fd, rights,
	    why, whylen) == -1)
		return -1;
	testhook_user_escape(j->rootfd);
	return 0;
}

