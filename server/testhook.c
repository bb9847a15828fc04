/*
 * The test-only hooks (see testhook.h).  This file compiles to nothing in
 * the release build; the test build defines FS_TEST_HOOKS.
 */
#ifdef FS_TEST_HOOKS
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "log.h"
#include "signals.h"
#include "testhook.h"

void
testhook_pause_confine(void)
{
	const char *go = getenv("FS_TEST_PAUSE_CONFINE");
	char ready[4096];
	struct stat st;
	int fd, i;

	if (go == NULL || (size_t)snprintf(ready, sizeof(ready), "%s.ready",
	    go) >= sizeof(ready))
		return;
	if ((fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) != -1)
		close(fd);
	for (i = 0; i < 2000 && stat(go, &st) == -1; i++)
		usleep(10000);
}

#ifndef SYS_fchmodat2
#define SYS_fchmodat2	452	/* Linux 6.6, the same on every architecture */
#endif

/*
 * A mode change with set-id or sticky bits, or an ordinary one: on no
 * file (descriptor -1), so that the kernel's EBADF says the filter let
 * the call through, while the filter refuses it before the descriptor is
 * looked at.
 */
static void
try_chmod(const char *what)
{
	long rc = 0;

	if (strcmp(what, "fchmod-plain") == 0)
		rc = syscall(SYS_fchmod, -1L, 0644L);
	else if (strcmp(what, "fchmod-setuid") == 0)
		rc = syscall(SYS_fchmod, -1L, 04755L);
	else if (strcmp(what, "fchmodat-setgid") == 0)
		rc = syscall(SYS_fchmodat, -1L, "x", 02755L);
	else if (strcmp(what, "fchmodat2-sticky") == 0)
		rc = syscall(SYS_fchmodat2, -1L, "x", 01755L, 0L);
	log_event("test hook: %s: %s", what, rc == -1 ? strerror(errno) :
	    "changed");
}

void
testhook_escape(void)
{
	const char *what = getenv("FS_TEST_ESCAPE");
	char *const argv[] = { (char *)(uintptr_t)"sh", (char *)(uintptr_t)"-c",
	    (char *)(uintptr_t)"true", NULL };
	int fd;

	if (what == NULL)
		return;
	if (strcmp(what, "passwd") == 0) {
		fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
		log_event("test hook: open /etc/passwd: %s", fd == -1 ?
		    strerror(errno) : "opened");
		if (fd != -1)
			close(fd);
	} else if (strcmp(what, "exec") == 0) {
		execv("/bin/sh", argv);
		log_event("test hook: exec /bin/sh: %s", strerror(errno));
	} else if (strcmp(what, "socket") == 0) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		log_event("test hook: socket: %s", fd == -1 ?
		    strerror(errno) : "created");
		if (fd != -1)
			close(fd);
	} else if (strcmp(what, "tgkill-parent") == 0 ||
	    strcmp(what, "tgkill-self") == 0) {
		/*
		 * Signal 0 only asks whether a signal could be sent.  The
		 * filter allows tgkill at the child itself (its pid written
		 * into the prepared program) and at nothing else.
		 */
		pid_t to = what[7] == 'p' ? getppid() : getpid();
		long rc = syscall(SYS_tgkill, (long)to, (long)to, 0L);

		log_event("test hook: %s: %s", what, rc == -1 ?
		    strerror(errno) : "allowed");
	} else if (strncmp(what, "fchmod", 6) == 0)
		try_chmod(what);
	else if (strcmp(what, "ptrace") == 0) {
		long rc = ptrace(PTRACE_ATTACH, getppid(), NULL, NULL);

		log_event("test hook: ptrace: %s", rc == -1 ?
		    strerror(errno) : "attached");
	}
}

void
testhook_user_escape(int rootfd)
{
	const char *what = getenv("FS_TEST_USER_ESCAPE");
	const char *file = getenv("FS_TEST_USER_ESCAPE_FILE");
	int fd = -1, up, rc;

	if (what == NULL)
		return;
	if (strcmp(what, "write") == 0) {
		fd = openat(rootfd, "hook-write", O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0644);
		rc = fd;
	} else if (strcmp(what, "mkdir") == 0)
		rc = mkdirat(rootfd, "hook-mkdir", 0755);
	else if (strcmp(what, "up") == 0 && file != NULL) {
		up = openat(rootfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		fd = up == -1 ? -1 : openat(up, file, O_RDONLY | O_CLOEXEC);
		rc = fd;
		if (up != -1)
			close(up);
	} else
		return;
	log_event("test hook: user %s: %s", what, rc == -1 ?
	    strerror(errno) : "done");
	if (fd != -1)
		close(fd);
}

static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[96];
	int n;

	(void)sig;
	(void)uc;
	n = snprintf(msg, sizeof(msg), "[%ld] seccomp: system call %d "
	    "refused\n", (long)getpid(), si->si_syscall);
	if (n > 0)
		(void)write(STDERR_FILENO, msg, (size_t)n);
	_exit(125);
}

int
testhook_seccomp_trap(void)
{
	if (getenv("FS_TEST_SECCOMP_TRAP") == NULL)
		return 0;
	return signals_install_info(SIGSYS, on_sigsys) == -1 ? -1 : 1;
}

int
testhook_old_kernel(void)
{
	return getenv("FS_TEST_OLD_KERNEL") != NULL;
}

/* Logs what, then waits (at most 20 s) until the file $env exists. */
static void
pause_until(const char *env, const char *what)
{
	const char *go = getenv(env);
	struct stat st;
	int i;

	if (go == NULL)
		return;
	log_event("test hook: %s", what);
	for (i = 0; i < 2000 && stat(go, &st) == -1; i++)
		usleep(10000);
}

void
testhook_pause_prefix(void)
{
	pause_until("FS_TEST_PAUSE_PREFIX", "prefix slot taken");
}

void
testhook_pause_mkdir(void)
{
	pause_until("FS_TEST_PAUSE_MKDIR", "MKD's parent open");
}

int
testhook_no_noreplace(void)
{
	return getenv("FS_TEST_NO_NOREPLACE") != NULL;
}

void
testhook_pause_rename(void)
{
	pause_until("FS_TEST_PAUSE_RENAME", "RNM linked, not yet unlinked");
}

int
testhook_no_landlock(void)
{
	return getenv("FS_TEST_NO_LANDLOCK") != NULL;
}

unsigned long long
testhook_listing_max(void)
{
	const char *v = getenv("FS_TEST_LISTING_MAX");

	return v != NULL ? strtoull(v, NULL, 10) : 0;
}

const char *
testhook_syslog_path(void)
{
	return getenv("FS_TEST_SYSLOG");
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int testhook_empty;
#endif
