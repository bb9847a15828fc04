/*
 * The seccomp allow-list of every child (see syscall_filter.h).
 *
 * What it guarantees: once a child has loaded the filter, a system call
 * not in the table below kills it on the spot (SCMP_ACT_KILL_PROCESS;
 * the listening parent logs the SIGSYS when it reaps it).  So a child
 * subverted by a hostile client cannot start a program, make a socket of
 * its own, trace or signal another process, load a module, mount, change
 * its credentials, or reach any kernel interface a session has no use
 * for.  Files are still opened and sockets still written: which files is
 * Landlock's business (landlock.c), the chroot's and openat2's.
 *
 * The table is the one place to change: one row per system call, with
 * why a session needs it.  It lists what a child does today and what the
 * project's other work adds to it (uploads through a spool, digests,
 * zero-copy sends, MKD), what glibc does underneath (fdopendir, malloc,
 * localtime_r), and what the sanitizer runtimes and valgrind do inside
 * the same process in the test builds.  Names unknown to this
 * architecture's kernel are skipped.  A few calls are allowed only with
 * certain arguments (ioctl, prctl, tgkill, prlimit64), and the mode
 * changes only without set-user-ID, set-group-ID or sticky bits: a root
 * child without -u could otherwise make a set-user-ID root program in DIR
 * (issue 25, finding 4b).
 *
 * Only x86-64 and other native calls are allowed: libseccomp's filter
 * kills a call made through another architecture's table (int 0x80 from
 * a 64-bit process).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/sockios.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "config.h"
#include "syscall_filter.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA	0x53564d41
#endif

/*
 * The value of an argument that stands for the child's own pid.  The
 * program is built once, in the parent, with this mark in its place; each
 * child writes its pid over the mark (filter_confine).  It is no pid (pids
 * stay below 2^22) and no other constant of the table.
 */
#define SELF		0x5eccf1d0U
#define ANY		(-1)
/* The bits of a mode no upload or directory of ours ever has. */
#define SPECIAL_MODE	(S_ISUID | S_ISGID | S_ISVTX)

/* The program, built by filter_prepare, and where the mark lies in it. */
static struct sock_filter program[BPF_MAXINSNS];
static unsigned short program_len;
static unsigned short self_at[8];
static size_t self_sites;

struct rule {
	const char *name;
	int arg;			/* ANY, or the argument checked */
	scmp_datum_t vals[4];		/* its allowed values (0 ends) */
	const char *why;
};

/*
 * Mode changes, allowed only when the mode (argument arg) has none of
 * the SPECIAL_MODE bits: a masked compare, arg & SPECIAL_MODE == 0.
 */
struct mode_rule {
	const char *name;
	unsigned arg;
	const char *why;
};

static const struct rule rules[] = {
	/* Files beneath the served directory (Landlock says which). */
	{ "read", ANY, { 0 }, "file data, directory reads by libc" },
	{ "readv", ANY, { 0 }, "scattered reads" },
	{ "pread64", ANY, { 0 }, "reads at an offset (offset option, digests)" },
	{ "preadv", ANY, { 0 }, "the same, scattered" },
	{ "write", ANY, { 0 }, "upload data, log lines" },
	{ "writev", ANY, { 0 }, "log lines, gathered writes" },
	{ "pwrite64", ANY, { 0 }, "writes at an offset (the spool)" },
	{ "lseek", ANY, { 0 }, "offsets, rewinddir" },
	{ "close", ANY, { 0 }, "every descriptor opened" },
	{ "fstat", ANY, { 0 }, "size and type of what is open" },
	{ "newfstatat", ANY, { 0 }, "stat beneath a directory (listings)" },
	{ "statx", ANY, { 0 }, "what newer glibc calls for stat" },
	{ "openat", ANY, { 0 }, "files and directories beneath DIR" },
	{ "openat2", ANY, { 0 }, "the jail: RESOLVE_BENEATH" },
	{ "open", ANY, { 0 }, "the sanitizer runtime's own opens" },
	{ "faccessat", ANY, { 0 }, "a listing checks what can be read" },
	{ "faccessat2", ANY, { 0 }, "the same, with flags (AT_EMPTY_PATH)" },
	{ "readlinkat", ANY, { 0 }, "the jail resolves absolute links" },
	{ "readlink", ANY, { 0 }, "the sanitizer runtime (/proc/self/exe)" },
	{ "getdents64", ANY, { 0 }, "directory listings" },
	{ "mkdirat", ANY, { 0 }, "MKD" },
	{ "fsync", ANY, { 0 }, "uploads are durable before the last ACK" },
	{ "fdatasync", ANY, { 0 }, "the same for data only" },
	{ "syncfs", ANY, { 0 }, "a pipeline's uploads made durable at once" },
	{ "sync_file_range", ANY, { 0 }, "upload writeback started early" },
	{ "fadvise64", ANY, { 0 }, "sequential reads of a download" },
	{ "utimensat", ANY, { 0 }, "an upload's mtime option (futimens)" },
	{ "linkat", ANY, { 0 },
	    "an upload's O_TMPFILE, or spool file, named; RNM by link" },
	{ "unlinkat", ANY, { 0 },
	    "a name taken back; the spool's tidying; DEL and RMD" },
	{ "renameat", ANY, { 0 }, "the spool's tidying (never an upload)" },
	{ "renameat2", ANY, { 0 },
	    "the same, as glibc issues it; RNM (RENAME_NOREPLACE)" },
	{ "ftruncate", ANY, { 0 }, "a spool file reused" },
	{ "fcntl", ANY, { 0 }, "descriptor flags (fdopendir, O_NONBLOCK)" },
	{ "dup", ANY, { 0 }, "a listing's own directory stream" },
	{ "dup3", ANY, { 0 }, "descriptor moves" },
	/* --users: a child narrows itself to its user's root and rights
	 * once the TLS handshake has named the user (landlock.c); a ruleset
	 * stacked on another only ever takes rights away. */
	{ "landlock_create_ruleset", ANY, { 0 }, "a user's ruleset" },
	{ "landlock_add_rule", ANY, { 0 }, "its rule: the user's root" },
	{ "landlock_restrict_self", ANY, { 0 }, "enforced, on top of the "
	    "first" },
	/* Zero-copy sends (planned). */
	{ "sendfile", ANY, { 0 }, "file to socket without a copy" },
	{ "splice", ANY, { 0 }, "the same through a pipe" },
	{ "pipe2", ANY, { 0 }, "that pipe; the sanitizer's memory probe" },
	{ "pipe", ANY, { 0 }, "the sanitizer's memory probe, older form" },
	/* The session's socket. */
	{ "sendmsg", ANY, { 0 }, "DAT batches, gathered" },
	{ "recvmsg", ANY, { 0 }, "packets" },
	{ "sendto", ANY, { 0 }, "send(2): packets, ERR, syslog lines" },
	{ "recvfrom", ANY, { 0 }, "recv(2): packets" },
	{ "shutdown", ANY, { 0 }, "the linger after a closing ERR" },
	{ "poll", ANY, { 0 }, "the poll before a blocking receive" },
	{ "ppoll", ANY, { 0 }, "the same, as glibc may issue it" },
	{ "getsockopt", ANY, { 0 }, "socket state (TCP_INFO)" },
	{ "setsockopt", ANY, { 0 }, "TCP_CORK, TCP_NODELAY" },
	{ "getsockname", ANY, { 0 }, "the local address (PROXY headers)" },
	{ "getpeername", ANY, { 0 }, "the peer's address" },
	{ "ioctl", 1, { SIOCOUTQ, FIONREAD, 0 },
	    "the send queue (idle clock) and bytes waiting; nothing else" },
	/* Signals and clocks: the idle tick. */
	{ "rt_sigaction", ANY, { 0 }, "the SIGALRM handler" },
	{ "rt_sigprocmask", ANY, { 0 }, "signal masks" },
	{ "rt_sigreturn", ANY, { 0 }, "return from the tick's handler" },
	{ "rt_sigtimedwait", ANY, { 0 }, "valgrind's signal handling" },
	{ "sigaltstack", ANY, { 0 }, "the sanitizer's signal stack" },
	{ "setitimer", ANY, { 0 }, "the 100 ms idle tick" },
	{ "getitimer", ANY, { 0 }, "the same, read" },
	{ "alarm", ANY, { 0 }, "an alarm(2) timer" },
	{ "clock_gettime", ANY, { 0 }, "deadlines, log times (vDSO fallback)" },
	{ "clock_getres", ANY, { 0 }, "the same" },
	{ "gettimeofday", ANY, { 0 }, "the same, older form" },
	{ "time", ANY, { 0 }, "the same, older form" },
	{ "clock_nanosleep", ANY, { 0 }, "short sleeps" },
	{ "nanosleep", ANY, { 0 }, "the same, older form" },
	{ "restart_syscall", ANY, { 0 }, "a sleep resumed after SIGSTOP" },
	{ "tgkill", 0, { SELF, 0 }, "raise(3) and abort(3), at itself only" },
	{ "getpid", ANY, { 0 }, "log lines name the child" },
	{ "gettid", ANY, { 0 }, "raise(3); valgrind" },
	{ "getppid", ANY, { 0 }, "harmless; libraries ask" },
	/* Memory. */
	{ "mmap", ANY, { 0 }, "malloc's large blocks" },
	{ "munmap", ANY, { 0 }, "and their release" },
	{ "mremap", ANY, { 0 }, "realloc of large blocks (listings)" },
	{ "mprotect", ANY, { 0 }, "malloc, the sanitizer runtime" },
	{ "brk", ANY, { 0 }, "malloc's heap" },
	{ "madvise", ANY, { 0 }, "malloc returning memory" },
	{ "futex", ANY, { 0 }, "libc's locks (stdio, malloc)" },
	{ "sched_yield", ANY, { 0 }, "the sanitizer's spin locks" },
	/* The rest. */
	{ "sched_getaffinity", ANY, { 0 }, "sysconf(3)'s CPU count without /sys" },
	{ "sysinfo", ANY, { 0 }, "glibc's qsort sizes its buffer by memory" },
	{ "getrandom", ANY, { 0 },
	    "hashing seeds, temporary names; OpenSSL reseeding after fork" },
	{ "uname", ANY, { 0 }, "gethostname(3) for the greeting" },
	{ "prctl", 0, { PR_SET_NAME, PR_GET_NAME, PR_SET_VMA, 0 },
	    "setproctitle(3) and malloc naming; not PR_SET_MM, PR_SET_DUMPABLE" },
	{ "prlimit64", 2, { 0 }, "reading a limit (new limit NULL); never raising" },
	{ "getrlimit", ANY, { 0 }, "reading a limit" },
	{ "getuid", ANY, { 0 }, "harmless; libraries ask" },
	{ "geteuid", ANY, { 0 }, "the same" },
	{ "getgid", ANY, { 0 }, "the same" },
	{ "getegid", ANY, { 0 }, "the same" },
	{ "exit", ANY, { 0 }, "a thread's end" },
	{ "exit_group", ANY, { 0 }, "the child's end" },
};

static const struct mode_rule mode_rules[] = {
	{ "fchmod", 1, "an upload is 0644 whatever the umask" },
	{ "fchmodat", 2, "the same by name (MKD's 0755)" },
	{ "fchmodat2", 2, "the same, as glibc 2.39 issues it" },
};


/*
 * In a sanitizer build a report spawns a symbolizer: there fork fails
 * with EPERM (the report goes on without names) instead of killing the
 * child in the middle of it.  The release build kills, as for any call
 * not in the table.
 */
#if SERVER_SANITIZED
static const char *const spawn[] = { "clone", "clone3", "fork", "vfork" };
#endif

static int	add_rule(scmp_filter_ctx, const struct rule *);
static int	add_mode_rule(scmp_filter_ctx, const struct mode_rule *);


static int
add_rule(scmp_filter_ctx ctx, const struct rule *r)
{
	int nr = seccomp_syscall_resolve_name(r->name), rc = 0;
	struct scmp_arg_cmp cmp;
	size_t i;

	if (nr == __NR_SCMP_ERROR)
		return 0;	/* not a call of this architecture */
	if (r->arg == ANY)
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	/* Each value allowed is a rule of its own: the filter ORs them. */
	memset(&cmp, 0, sizeof(cmp));
	cmp.arg = (unsigned)r->arg;
	cmp.op = SCMP_CMP_EQ;
	i = 0;
	do {
		cmp.datum_a = r->vals[i];
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
	} while (rc == 0 && ++i < 4 && r->vals[i] != 0);
	return rc;
}

static int
add_mode_rule(scmp_filter_ctx ctx, const struct mode_rule *r)
{
	int nr = seccomp_syscall_resolve_name(r->name);

	if (nr == __NR_SCMP_ERROR)
		return 0;	/* not a call of this architecture */
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
	    SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, SPECIAL_MODE, 0));
}

int
filter_available(void)
{
	/* EINVAL: a kernel built without seccomp. */
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != -1;
}

size_t
filter_rules(void)
{
	return sizeof(rules) / sizeof(rules[0]) +
	    sizeof(mode_rules) / sizeof(mode_rules[0]);
}

/*
 * Reads libseccomp's program back from fd (a pipe it was written to whole,
 * at most BPF_MAXINSNS instructions: 32 KiB, within a pipe's 64 KiB) and
 * notes where the pid mark is.  0, or -1 with a reason.
 */
static int
read_program(int fd, char *why, size_t whylen)
{
	size_t got = 0;
	ssize_t n;
	unsigned short i;

	while ((n = read(fd, (char *)program + got, sizeof(program) - got)) >
	    0)
		got += (size_t)n;
	if (n == -1 || got == 0 || got % sizeof(program[0]) != 0) {
		snprintf(why, whylen, "seccomp program: %s", n == -1 ?
		    strerror(errno) : "not whole");
		return -1;
	}
	program_len = (unsigned short)(got / sizeof(program[0]));
	/* A 64-bit compare is two 32-bit ones: the pid is the low word. */
	for (i = 0; i < program_len; i++)
		if (program[i].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
		    program[i].k == SELF) {
			if (self_sites == sizeof(self_at) / sizeof(self_at[0])) {
				snprintf(why, whylen, "seccomp program: too "
				    "many pid compares");
				return -1;
			}
			self_at[self_sites++] = i;
		}
	if (self_sites == 0) {
		snprintf(why, whylen, "seccomp program: no pid compare");
		return -1;
	}
	return 0;
}

int
filter_prepare(int trap, char *why, size_t whylen)
{
	scmp_filter_ctx ctx;
	int pipefd[2] = { -1, -1 };
	size_t i;
	int rc = 0;

	/*
	 * Killing the thread is killing the process here, as a child has
	 * one thread: where libseccomp cannot confirm that the kernel knows
	 * KILL_PROCESS (Linux 4.14; or valgrind, which lacks seccomp(2) and
	 * leaves only prctl), KILL is as good.
	 */
	ctx = seccomp_init(trap ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL && !trap)
		ctx = seccomp_init(SCMP_ACT_KILL);
	if (ctx == NULL) {
		snprintf(why, whylen, "seccomp_init failed");
		return -1;
	}
	/*
	 * A binary tree of the calls rather than a list: besides shorter
	 * checks per call, loading is cheaper, since the kernel runs the
	 * program once per system call number when a child loads it (its
	 * action cache), with interrupts off; with a list of a hundred
	 * calls that was a quarter of the server's time per session.  A
	 * libseccomp before 2.5 knows no such attribute and builds the
	 * list: slower to load, as strict.
	 */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]) && rc == 0; i++)
		if ((rc = add_rule(ctx, &rules[i])) != 0)
			snprintf(why, whylen, "seccomp rule %s: %s",
			    rules[i].name, strerror(-rc));
	for (i = 0; i < sizeof(mode_rules) / sizeof(mode_rules[0]) && rc == 0;
	    i++)
		if ((rc = add_mode_rule(ctx, &mode_rules[i])) != 0)
			snprintf(why, whylen, "seccomp rule %s: %s",
			    mode_rules[i].name, strerror(-rc));
#if SERVER_SANITIZED
	for (i = 0; rc == 0 && i < sizeof(spawn) / sizeof(spawn[0]); i++) {
		int nr = seccomp_syscall_resolve_name(spawn[i]);

		if (nr != __NR_SCMP_ERROR && (rc = seccomp_rule_add(ctx,
		    SCMP_ACT_ERRNO(EPERM), nr, 0)) != 0)
			snprintf(why, whylen, "seccomp rule %s: %s", spawn[i],
			    strerror(-rc));
	}
#endif
	if (rc == 0 && pipe2(pipefd, O_CLOEXEC) == -1) {
		snprintf(why, whylen, "seccomp program: %s", strerror(errno));
		rc = -1;
	}
	if (rc == 0 && (rc = seccomp_export_bpf(ctx, pipefd[1])) != 0)
		snprintf(why, whylen, "seccomp_export_bpf: %s", strerror(-rc));
	if (pipefd[1] != -1)
		close(pipefd[1]);
	if (rc == 0)
		rc = read_program(pipefd[0], why, whylen);
	if (pipefd[0] != -1)
		close(pipefd[0]);
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}

int
filter_confine(char *why, size_t whylen)
{
	struct sock_fprog fprog = { program_len, program };
	size_t i;

	if (program_len == 0)
		return 0;	/* not prepared: the kernel has no seccomp */
	/* The caller set no-new-privileges, which the kernel requires. */
	for (i = 0; i < self_sites; i++)
		program[self_at[i]].k = (uint32_t)getpid();
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == -1) {
		snprintf(why, whylen, "seccomp filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}
