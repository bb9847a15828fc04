/*
 * Narrowing a connection's child (see harden.h).  Each measure is cheap
 * and leaves every legitimate session untouched:
 *
 * - PR_SET_NO_NEW_PRIVS: no set-user-ID gain through any exec.
 * - RLIMIT_CORE 0: a crash never writes served data into a core file.
 * - RLIMIT_NPROC 0: the child never forks (root is exempt by the kernel;
 *   run with -u for this one to bite).
 * - RLIMIT_NOFILE 32: a session needs about ten descriptors.
 * - RLIMIT_FSIZE with -m: the kernel refuses to grow a file past the
 *   limit (EFBIG, ERR 3) even if our own count were wrong; SIGXFSZ is
 *   ignored so the refusal is an error, not a death.  The limit covers
 *   every file the child writes, so it is left off when standard error
 *   is a regular file: the log would stop at the limit.
 *
 * A seccomp filter is not installed: the child's system calls vary with
 * libc and kernel versions (openat2, statx, clone3...), and a filter that
 * kills a legitimate session on a new machine is worse than none.
 */
#include <signal.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "harden.h"

#define CHILD_FILES_MAX	32

static int	limit(int, rlim_t);

static int
limit(int resource, rlim_t value)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == -1)
		return -1;
	/* Only ever lower: an unprivileged child cannot raise a hard limit. */
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < value)
		value = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = value;
	return setrlimit(resource, &rl);
}

int
harden_child(const struct server_config *cfg)
{
	struct stat st;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    limit(RLIMIT_CORE, 0) == -1 ||
	    limit(RLIMIT_NPROC, 0) == -1 ||
	    limit(RLIMIT_NOFILE, CHILD_FILES_MAX) == -1)
		return -1;
	if (cfg->has_max_upload && !(fstat(STDERR_FILENO, &st) == 0 &&
	    S_ISREG(st.st_mode))) {
		signal(SIGXFSZ, SIG_IGN);
		if (limit(RLIMIT_FSIZE, (rlim_t)cfg->max_upload) == -1)
			return -1;
	}
	return 0;
}
