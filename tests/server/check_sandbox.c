/*
 * The server's confinement and bounds (issue 13), end to end: the real
 * binary on port 0 in a temporary directory, as the check_server_*
 * suites drive it.
 * Tests that need a test-only hook (server/testhook.h) run only against a
 * binary built with them (the sanitizer build), and say so otherwise.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "harness.h"
#include "listing.h"
#include "options.h"
#include "check_main.h"

static struct server S;
static struct conn C;
static int fd = -1;

static void
setup(void)
{
	harness_dirs(&S);
	harness_write_file(&S, "a.txt", "hello\n", 6);
}

static void
teardown(void)
{
	harness_end_session(&C, &fd);
	harness_cleanup(&S);
}

/* 1 when the server under test was built with the test hooks. */
static int
has_hooks(void)
{
	const char *bin = getenv("SERVER_BIN");

	return bin != NULL && strstr(bin, "/build/san/") != NULL;
}

/* -u needs root: the tests of a confined child need both. */
static int
can_confine(void)
{
	return geteuid() == 0;
}

/* Confined children must be able to read the tree: top is 0700. */
static void
start_as_nobody(const char *const *more)
{
	const char *args[16] = { "-u", "nobody" };
	size_t n = 2;

	while (more != NULL && *more != NULL && n < 15)
		args[n++] = *more++;
	args[n] = NULL;
	chmod(S.top, 0755);
	harness_start(&S, args);
}

/*
 * Finding 4: the chroot is to the directory opened at start-up, not to a
 * path that may have been swapped since.  The hook pauses the server
 * between the two while a helper puts another directory at DIR's path.
 */
START_TEST(chroot_is_the_directory_opened)
{
	char go[PATH_MAX + 8], ready[PATH_MAX + 16], old[PATH_MAX + 8];
	char link[64], root[PATH_MAX];
	struct stat st;
	pid_t helper, child;
	ssize_t n;
	int i;

	if (!has_hooks() || !can_confine())
		return;
	snprintf(go, sizeof(go), "%s/go", S.top);
	snprintf(ready, sizeof(ready), "%s/go.ready", S.top);
	snprintf(old, sizeof(old), "%s/old", S.top);
	setenv("FS_TEST_PAUSE_CONFINE", go, 1);
	if ((helper = fork()) == 0) {
		for (i = 0; i < 2000 && stat(ready, &st) == -1; i++)
			usleep(10000);
		if (rename(S.root, old) == -1 || mkdir(S.root, 0755) == -1)
			_exit(1);
		close(open(go, O_WRONLY | O_CREAT, 0644));
		_exit(0);
	}
	start_as_nobody(NULL);
	waitpid(helper, NULL, 0);
	fd = harness_session(&S, &C);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	ck_assert_int_gt(child = harness_newest_child(&S), 0);
	snprintf(link, sizeof(link), "/proc/%d/root", (int)child);
	ck_assert_int_gt(n = readlink(link, root, sizeof(root) - 1), 0);
	root[n] = '\0';
	ck_assert_str_eq(root, old);
}
END_TEST

/*
 * Finding 5: a confined child holds no descriptor that leads outside DIR:
 * only its socket, the log (standard error), /dev/null, the sealed
 * memfd of the prefix-hashing slots (nothing can be written to it), and
 * what it opens beneath DIR.  Uploads still work and leave nothing when
 * killed.
 */
/* The child's descriptor name, as the test's own, for writing. */
static int
fd_of(pid_t child, const char *name)
{
	static int mine = -1;
	char path[320];

	if (mine != -1)
		close(mine);
	snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)child, name);
	ck_assert_int_ge(mine = open(path, O_RDWR), 0);
	return mine;
}

START_TEST(confined_child_holds_nothing_outside)
{
	char dir[64], link[PATH_MAX], target[PATH_MAX];
	struct dirent *d;
	pid_t child;
	ssize_t n;
	DIR *dp;

	if (!can_confine())
		return;
	start_as_nobody(NULL);
	chmod(S.root, 0777);
	fd = harness_session(&S, &C);
	ck_assert_int_eq(harness_upload(&C, "up", "data", 4), 0);
	harness_expect_fetch(&C, "up", "data", 4);
	ck_assert_int_gt(child = harness_newest_child(&S), 0);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)child);
	ck_assert_ptr_nonnull(dp = opendir(dir));
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, d->d_name);
		if ((n = readlink(link, target, sizeof(target) - 1)) <= 0)
			continue;	/* closed meanwhile */
		target[n] = '\0';
		if (strncmp(target, "socket:", 7) == 0 ||
		    strncmp(target, "pipe:", 5) == 0 ||
		    strncmp(target, "anon_inode:", 11) == 0 ||
		    strcmp(target, "/dev/null") == 0 ||
		    strcmp(target, S.log) == 0)
			continue;
		if (strncmp(target, "/memfd:fileserver-hash-slots", 28) == 0) {
			ck_assert_int_eq(write(fd_of(child, d->d_name), "x", 1),
			    -1);
			continue;
		}
		ck_assert_msg(strncmp(target, S.root, strlen(S.root)) == 0 &&
		    (target[strlen(S.root)] == '\0' ||
		    target[strlen(S.root)] == '/'),
		    "fd %s leads outside: %s", d->d_name, target);
	}
	closedir(dp);
}
END_TEST

/*
 * Before Linux 6.10 an unprivileged child cannot link its O_TMPFILE by
 * itself: there, and only there, /proc is kept for it, and said so at
 * start-up; uploads under -u still work.
 */
START_TEST(old_kernel_uploads_under_user_still_work)
{
	if (!has_hooks() || !can_confine())
		return;
	setenv("FS_TEST_OLD_KERNEL", "1", 1);
	start_as_nobody(NULL);
	chmod(S.root, 0777);
	ck_assert(harness_log_has(&S, "warning: Linux before 6.10"));
	fd = harness_session(&S, &C);
	ck_assert_int_eq(harness_upload(&C, "old", "kernel", 6), 0);
	harness_expect_fetch(&C, "old", "kernel", 6);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
}
END_TEST

/*
 * Finding 6: an RRQ of a FIFO never opens it, so a local writer blocked
 * in open(2) stays blocked; a device is never opened either.
 */
START_TEST(fifo_is_never_opened)
{
	char path[PATH_MAX + 8];
	pid_t writer;
	int status, i;

	snprintf(path, sizeof(path), "%s/fifo", S.root);
	ck_assert_int_eq(mkfifo(path, 0666), 0);
	if ((writer = fork()) == 0) {
		alarm(30);
		/* Blocks until a reader opens the FIFO. */
		_exit(open(path, O_WRONLY) == -1 ? 1 : 0);
	}
	harness_start(&S, NULL);
	fd = harness_session(&S, &C);
	harness_expect_fetch_err(&C, "fifo", ERR_ACCESS);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	for (i = 0; i < 20; i++) {
		ck_assert_msg(waitpid(writer, &status, WNOHANG) == 0,
		    "the FIFO was opened: its writer was released");
		usleep(10000);
	}
	kill(writer, SIGKILL);
	waitpid(writer, &status, 0);
}
END_TEST

/* 1 when line starts "YYYY-MM-DDTHH:MM:SS+hh:mm " (or -hh:mm). */
static int
stamped(const char *line)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd+dd:dd ";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd') {
			if (line[i] < '0' || line[i] > '9')
				return 0;
		} else if (shape[i] == '+') {
			if (line[i] != '+' && line[i] != '-')
				return 0;
		} else if (line[i] != shape[i])
			return 0;
	}
	return 1;
}

/* Finding 7: every log line starts with its time, ISO 8601 with zone. */
START_TEST(log_lines_carry_a_timestamp)
{
	char line[4096], want[128];
	int lines = 0, found = 0;
	FILE *f;

	harness_start(&S, (const char *const[]){ "-v", NULL });
	fd = harness_session(&S, &C);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	harness_expect_fetch_err(&C, "nope", ERR_NOT_FOUND);
	ck_assert(harness_log_has(&S, "] Sent ERR 1: File not found"));
	ck_assert_ptr_nonnull(f = fopen(S.log, "r"));
	snprintf(want, sizeof(want), "] Received a connection from "
	    "127.0.0.1, port ");
	while (fgets(line, sizeof(line), f) != NULL) {
		lines++;
		ck_assert_msg(stamped(line), "not stamped: %s", line);
		if (strstr(line, want) != NULL)
			found = 1;
	}
	fclose(f);
	ck_assert_int_ge(lines, 3);
	ck_assert(found);
}
END_TEST

/* --syslog: the same lines, as datagrams to the syslog socket. */
START_TEST(syslog_option_sends_lines_to_syslog)
{
	struct timeval tv = { 10, 0 };
	struct sockaddr_un sun;
	char path[PATH_MAX], msg[4096];
	struct stat st;
	ssize_t n;
	int sfd, got = 0, i;

	if (!has_hooks())
		return;		/* the socket's path is a test hook */
	snprintf(path, sizeof(path), "%s/syslog", S.top);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof(sun.sun_path));
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	ck_assert_int_ge(sfd = socket(AF_UNIX, SOCK_DGRAM, 0), 0);
	ck_assert_int_eq(bind(sfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setsockopt(sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setenv("FS_TEST_SYSLOG", path, 1);
	harness_start(&S, (const char *const[]){ "--syslog", NULL });
	fd = harness_session(&S, &C);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	for (i = 0; i < 20 && !got; i++) {
		ck_assert_int_gt(n = recv(sfd, msg, sizeof(msg) - 1, 0), 0);
		msg[n] = '\0';
		ck_assert_msg(strncmp(msg, "<", 1) == 0 &&
		    strstr(msg, ">server[") != NULL, "%s", msg);
		got = strstr(msg, "] Received a connection from 127.0.0.1, "
		    "port ") != NULL;
	}
	ck_assert(got);
	/* Nothing on standard error. */
	ck_assert_int_eq(stat(S.log, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	close(sfd);
}
END_TEST

/*
 * Finding 7: a reader of standard error that stalls (a full pipe nobody
 * reads) holds no session: the greeting and the download go on, and the
 * child still ends at its idle timeout.
 */
START_TEST(stalled_log_reader_never_holds_a_session)
{
	char buf[65536];
	int rfd, wfd;
	ssize_t n;

	ck_assert_int_eq(mkfifo(S.log, 0644), 0);
	ck_assert_int_ge(rfd = open(S.log, O_RDONLY | O_NONBLOCK), 0);
	ck_assert_int_ge(wfd = open(S.log, O_WRONLY | O_NONBLOCK), 0);
	memset(buf, 'x', sizeof(buf));
	while (write(wfd, buf, sizeof(buf)) > 0)
		;
	while (write(wfd, buf, 1) > 0)
		;
	ck_assert_int_eq(errno, EAGAIN);
	harness_start(&S, (const char *const[]){ "-t", "2", NULL });
	fd = harness_session(&S, &C);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	/* Silent now: ERR 5 after 2 s, and the child is gone. */
	harness_expect_err(&C, ERR_TIMEOUT);
	harness_wait_no_children(&S, 10);
	/* Once read again, the log flows. */
	while ((n = read(rfd, buf, sizeof(buf))) > 0)
		;
	conn_free(&C);
	close(fd);
	fd = harness_session(&S, &C);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	usleep(200000);
	n = read(rfd, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "] Received a connection from "));
	close(wfd);
	close(rfd);
}
END_TEST

#define SLOW_BLKSIZE	8192
#define SLOW_WINDOW	48		/* 384 KiB: six seconds at 64 KiB/s */
#define SLOW_FILE	(SLOW_BLKSIZE * SLOW_WINDOW + 1000)

/*
 * A session whose socket has a small receive buffer, past the greeting,
 * with blksize SLOW_BLKSIZE and windowsize SLOW_WINDOW, then an RRQ of
 * "big" sent: the server starts a window larger than the reader takes in
 * -t seconds.
 */
static int
slow_session(struct conn *c)
{
	struct pkt_opt ask[2] = { { "blksize", "8192" },
	    { "windowsize", "48" } };
	struct timeval tv = { 20, 0 };
	struct sockaddr_in a;
	uint8_t buf[128];
	struct pkt p;
	int s, small = 4096;
	ssize_t n;

	ck_assert_int_ge(s = socket(AF_INET, SOCK_STREAM, 0), 0);
	/* Before connect, so the window the server sees is small too. */
	ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small,
	    sizeof(small)), 0);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)S.port);
	ck_assert_int_eq(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(conn_init(c, s, NULL, NULL), 0);
	ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
	ck_assert_int_eq(conn_send_ack(c, 1), CONN_OK);
	n = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, ask, 2);
	harness_send(s, buf, (size_t)n);
	ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_OACK);
	n = pkt_encode_req(buf, sizeof(buf), PKT_RRQ, "big");
	harness_send(s, buf, (size_t)n);
	return s;
}

static void
write_big(void)
{
	char *data = malloc(SLOW_FILE);

	ck_assert_ptr_nonnull(data);
	memset(data, 's', SLOW_FILE);
	harness_write_file(&S, "big", data, SLOW_FILE);
	free(data);
}

/*
 * Finding 3: a peer that keeps reading, if slowly (64 KiB/s through a
 * small receive buffer), is making progress: a window it needs six
 * seconds to read is not timed out at -t 2.
 */
START_TEST(slow_reader_is_not_timed_out)
{
	struct conn c;
	struct pkt p;
	size_t got = 0;
	uint16_t block = 0;
	int s;

	write_big();
	harness_start(&S, (const char *const[]){ "-t", "2", NULL });
	s = slow_session(&c);
	for (;;) {
		ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
		ck_assert_msg(p.op == PKT_DAT, "got %s (ERR %u)",
		    pkt_op_name(p.op), p.op == PKT_ERR ? p.u.err.code : 0);
		ck_assert_uint_eq(p.u.dat.block, ++block);
		got += p.u.dat.size;
		/* 8 KiB every 125 ms: 64 KiB/s. */
		usleep(125000);
		if (p.u.dat.size < SLOW_BLKSIZE || block % SLOW_WINDOW == 0)
			ck_assert_int_eq(conn_send_ack(&c, block), CONN_OK);
		if (p.u.dat.size < SLOW_BLKSIZE)
			break;
	}
	ck_assert_uint_eq(got, SLOW_FILE);
	conn_free(&c);
	close(s);
	ck_assert(!harness_log_has_now(&S, "Sent ERR 5"));
}
END_TEST

/* A peer that stops reading is timed out as before. */
START_TEST(stopped_reader_is_timed_out)
{
	struct conn c;
	int s;

	write_big();
	harness_start(&S, (const char *const[]){ "-t", "2", NULL });
	s = slow_session(&c);
	ck_assert(harness_log_has(&S, "Sent ERR 5: Idle timeout (2 s)"));
	harness_wait_no_children(&S, 10);
	conn_free(&c);
	close(s);
}
END_TEST

/* n empty files named like "<prefix><i, reversed digits><pad>" under root. */
static void
many_files(int n, size_t namelen)
{
	char name[256], path[PATH_MAX + 300];
	int i, f;

	ck_assert_uint_lt(namelen, sizeof(name));
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%07d", (i * 7919) % 1000003);
		memset(name + 7, 'n', namelen - 7);
		name[namelen] = '\0';
		snprintf(path, sizeof(path), "%s/%s", S.root, name);
		ck_assert_int_ge(f = open(path, O_WRONLY | O_CREAT, 0644), 0);
		close(f);
	}
}

/*
 * Finding 2: a listing streamed from its compact form is still every
 * entry, sorted by name in byte order, across many blocks.
 */
START_TEST(large_listing_is_whole_and_sorted)
{
	const char *p, *prev = NULL;
	char *text;
	uint16_t code = 0;
	ssize_t len;
	size_t linelen, pos = 0;
	int lines = 0;

	many_files(3000, 60);
	harness_start(&S, NULL);
	fd = harness_session(&S, &C);
	len = harness_fetch(&C, PKT_DRQ, "", &text, &code);
	ck_assert_int_gt(len, 0);
	while ((p = listing_next_line(text, (size_t)len, &pos, &linelen))
	    != NULL) {
		struct listing_entry e;

		ck_assert_int_eq(listing_parse(p, linelen, &e), 0);
		if (prev != NULL)
			ck_assert_msg(strcmp(prev, e.name) < 0, "%s then %s",
			    prev, e.name);
		free((void *)(uintptr_t)prev);
		prev = strdup(e.name);
		lines++;
	}
	free((void *)(uintptr_t)prev);
	free(text);
	ck_assert_int_eq(lines, 3001);		/* and a.txt */
}
END_TEST

/* A listing of the root is refused: ERR 0, saying the bound. */
static void
expect_too_large(const char *bound)
{
	char want[128];
	uint8_t buf[64];
	struct pkt p;
	ssize_t n;

	n = pkt_encode_req(buf, sizeof(buf), PKT_DRQ, "");
	harness_send(fd, buf, (size_t)n);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ERR);
	ck_assert_uint_eq(p.u.err.code, ERR_UNDEFINED);
	snprintf(want, sizeof(want), "Directory too large to list: its "
	    "listing needs more than %s", bound);
	ck_assert_str_eq(p.u.err.msg, want);
}

/* Finding 2: a directory too large for the bound is a clear ERR. */
START_TEST(too_large_directory_is_a_clear_err)
{
	if (!has_hooks())
		return;		/* the small bound is a test hook */
	many_files(200, 40);
	setenv("FS_TEST_LISTING_MAX", "4096", 1);
	harness_start(&S, NULL);
	fd = harness_session(&S, &C);
	expect_too_large("4 KiB");
	/* The session goes on. */
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
}
END_TEST

/*
 * Issue 25: the bound is the listing's text and its 4 bytes a line, with
 * long names as with short: 3,000 names of 250 bytes (about 800 KiB of
 * text and 12 KiB of index) list within 1 MiB, where doubling both
 * buffers stopped at 2,048 of them; 3,900 (over 1 MiB) are refused, and
 * the ERR says the bound.
 */
START_TEST(long_names_list_up_to_the_bound)
{
	char *text;
	uint16_t code = 0;
	ssize_t len;

	if (!has_hooks())
		return;		/* the small bound is a test hook */
	many_files(3000, 250);
	setenv("FS_TEST_LISTING_MAX", "1048576", 1);
	harness_start(&S, NULL);
	fd = harness_session(&S, &C);
	len = harness_fetch(&C, PKT_DRQ, "", &text, &code);
	ck_assert_msg(len > 3000 * 250, "ERR %u", code);
	ck_assert_int_lt(len + 3001 * 4, 1048576);
	free(text);
	conn_free(&C);
	close(fd);
	many_files(3900, 250);
	fd = harness_session(&S, &C);
	expect_too_large("1 MiB");
}
END_TEST

/* A value in kB from /proc/PID/status, or -1. */
static long
status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			v = atol(line + strlen(key));
	fclose(f);
	return v;
}

/*
 * Finding 2, measured where memory can be (the release build; under
 * AddressSanitizer every allocation costs more): a listing costs the
 * child little more than its text, and the child's data is limited.
 */
START_TEST(listing_memory_is_compact_and_bounded)
{
	char path[64], line[256], *text;
	long before, after;
	uint16_t code = 0;
	ssize_t len;
	pid_t child;
	int limited = 0;
	FILE *f;

	if (has_hooks())
		return;
	many_files(20000, 250);
	harness_start(&S, NULL);
	fd = harness_session(&S, &C);
	ck_assert_int_gt(child = harness_newest_child(&S), 0);
	ck_assert_int_gt(before = status_kb(child, "VmHWM:"), 0);
	len = harness_fetch(&C, PKT_DRQ, "", &text, &code);
	ck_assert_int_gt(len, 20000 * 250);
	free(text);
	after = status_kb(child, "VmHWM:");
	/* The text is about 5.5 MB; as 580-byte entries it was 11. */
	ck_assert_msg((after - before) * 1024 < len + len / 2,
	    "a %zd-byte listing took %ld kB", len, after - before);
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)child);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Max data size", 13) == 0)
			limited = strstr(line, "134217728") != NULL;
	fclose(f);
	ck_assert_msg(limited, "the child's data size is not limited");
}
END_TEST

/*
 * Finding 9: under -u, an absolute link that names a place inside DIR is
 * served, and so listed (listed exactly when served).
 */
START_TEST(absolute_link_inside_is_listed_when_confined)
{
	char target[PATH_MAX + 8], link[PATH_MAX + 8], *text;
	uint16_t code = 0;
	ssize_t len;

	if (!can_confine())
		return;
	snprintf(target, sizeof(target), "%s/a.txt", S.root);
	snprintf(link, sizeof(link), "%s/abslink", S.root);
	ck_assert_int_eq(symlink(target, link), 0);
	start_as_nobody(NULL);
	fd = harness_session(&S, &C);
	harness_expect_fetch(&C, "abslink", "hello\n", 6);
	len = harness_fetch(&C, PKT_DRQ, "", &text, &code);
	ck_assert_int_gt(len, 0);
	ck_assert_msg(strstr(text, " abslink\n") != NULL, "%s", text);
	free(text);
}
END_TEST

/* Finding 9: -n up to what the greeting holds, not cut at 255 bytes. */
START_TEST(long_name_is_greeted_whole)
{
	char name[401], want[512];
	struct pkt p;
	int s;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	harness_start(&S, (const char *const[]){ "-n", name, NULL });
	s = harness_dial(&S, 0);
	ck_assert_int_eq(conn_init(&C, s, NULL, NULL), 0);
	fd = s;
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	snprintf(want, sizeof(want), "Hello from %s's fileserver", name);
	ck_assert_uint_eq(p.u.dat.size, strlen(want));
	ck_assert_mem_eq(p.u.dat.data, want, strlen(want));
}
END_TEST

/*
 * The sandbox, both layers, for a root child (no -u: no chroot, root's
 * privileges) and a confined one (-u nobody): the test hook makes the
 * child try an escape once set up.  Opening /etc/passwd is refused
 * (Landlock for root; for nobody the chroot has no /etc), and exec,
 * socket(), ptrace and a signal to the parent are fatal (seccomp), which
 * the parent logs; a signal to itself is allowed (the pid the child
 * writes into the filter the parent built), and so is a mode change
 * without set-id or sticky bits, while one with them is fatal.  With
 * --spares the child was confined before its connection came, and the
 * same holds.
 */
static void
escape(const char *what, int as_nobody, int spares)
{
	static const char *const spare_args[] = { "--spares", "1", NULL };
	const char *const *args = spares ? spare_args : NULL;
	char want[128];
	struct pkt p;
	int s;

	setenv("FS_TEST_ESCAPE", what, 1);
	if (as_nobody)
		start_as_nobody(args);
	else
		harness_start(&S, args);
	s = harness_dial(&S, 0);
	ck_assert_int_eq(conn_init(&C, s, NULL, NULL), 0);
	fd = s;
	if (strcmp(what, "tgkill-self") == 0) {
		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_int_eq(p.op, PKT_DAT);	/* the greeting */
		ck_assert(harness_log_has(&S,
		    "test hook: tgkill-self: allowed"));
		return;
	}
	if (strcmp(what, "fchmod-plain") == 0) {
		/* An ordinary mode goes through to the kernel: EBADF. */
		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_int_eq(p.op, PKT_DAT);
		ck_assert(harness_log_has(&S,
		    "test hook: fchmod-plain: Bad file descriptor"));
		return;
	}
	if (strcmp(what, "passwd") == 0) {
		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_int_eq(p.op, PKT_DAT);
		snprintf(want, sizeof(want), "test hook: open /etc/passwd: %s",
		    as_nobody ? "No such file" : "Permission denied");
		ck_assert_msg(harness_log_has(&S, want), "no \"%s\"", want);
		ck_assert(!harness_log_has_now(&S, "/etc/passwd: opened"));
		return;
	}
	/* Killed before its greeting. */
	harness_expect_closed(&C);
	ck_assert(harness_log_has(&S, "killed by SIGSYS: a system call "
	    "outside its seccomp allow-list"));
	snprintf(want, sizeof(want), "test hook: %s", what);
	ck_assert_msg(!harness_log_has_now(&S, want), "the child lived on");
}

/* Every child runs with no-new-privileges and its seccomp filter. */
START_TEST(every_child_is_filtered)
{
	pid_t child;

	harness_start(&S, NULL);
	fd = harness_session(&S, &C);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	ck_assert_int_gt(child = harness_newest_child(&S), 0);
	ck_assert_int_eq(status_kb(child, "NoNewPrivs:"), 1);
	ck_assert_int_eq(status_kb(child, "Seccomp:"), 2);	/* filter */
}
END_TEST

/* A spare is confined before any connection comes. */
START_TEST(a_spare_is_filtered_before_its_connection)
{
	const char *args[] = { "--spares", "1", NULL };
	char want[64];
	pid_t child;
	int i;

	harness_start(&S, args);
	ck_assert_int_gt(child = harness_newest_child(&S), 0);
	/* Confining takes a moment after the fork. */
	for (i = 0; i < 400 && status_kb(child, "Seccomp:") != 2; i++)
		usleep(10000);
	ck_assert_int_eq(status_kb(child, "NoNewPrivs:"), 1);
	ck_assert_int_eq(status_kb(child, "Seccomp:"), 2);
	/* And it is the one that serves the connection. */
	fd = harness_session(&S, &C);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	snprintf(want, sizeof(want), "[%ld] Received a connection from",
	    (long)child);
	ck_assert_msg(harness_log_has(&S, want), "no \"%s\"", want);
}
END_TEST

/* Where the child's descriptor `which` leads, as /proc says it. */
static void
expect_fd_target(pid_t child, int which, const char *want)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)child, which);
	ck_assert_int_gt(n = readlink(link, target, sizeof(target) - 1), 0);
	target[n] = '\0';
	ck_assert_msg(strcmp(target, want) == 0, "child %d fd %d: %s, not %s",
	    (int)child, which, target, want);
}

/*
 * Issue 25, finding 4d: every child's standard input and output are
 * /dev/null and its standard error the log, whatever the server's were
 * (here its output is the harness's pipe), before it serves: forked for
 * its connection or a spare before one, with and without -u, whose
 * chroot has no /dev/null.
 */
START_TEST(standard_descriptors_are_null_in_every_child)
{
	static const char *const spares[] = { "--spares", "1", NULL };
	pid_t child;
	int mode, i;

	for (mode = 0; mode < 4; mode++) {
		if (mode >= 2 && !can_confine())
			break;
		S.port = 0;		/* a new one each time */
		if (mode >= 2)
			start_as_nobody(mode == 3 ? spares : NULL);
		else
			harness_start(&S, mode == 1 ? spares : NULL);
		if (mode == 1 || mode == 3) {
			/* The spare, before any connection, once confined
			 * (which takes a moment after the fork). */
			ck_assert_int_gt(child = harness_newest_child(&S), 0);
			for (i = 0; i < 400 &&
			    status_kb(child, "Seccomp:") != 2; i++)
				usleep(10000);
			ck_assert_int_eq(status_kb(child, "Seccomp:"), 2);
			expect_fd_target(child, 0, "/dev/null");
			expect_fd_target(child, 1, "/dev/null");
			expect_fd_target(child, 2, S.log);
		}
		fd = harness_session(&S, &C);
		harness_expect_fetch(&C, "a.txt", "hello\n", 6);
		ck_assert_int_gt(child = harness_last_child(&S), 0);
		expect_fd_target(child, 0, "/dev/null");
		expect_fd_target(child, 1, "/dev/null");
		expect_fd_target(child, 2, S.log);
		harness_end_session(&C, &fd);
		/* Its exit status is not asked: under -u, LeakSanitizer
		 * cannot read the chroot's missing /proc at exit. */
		(void)harness_stop(&S);
	}
}
END_TEST

static const struct {
	const char *what;
	int as_nobody;
	int spares;
} escapes[] = {
	{ "passwd", 0, 0 }, { "exec", 0, 0 }, { "socket", 0, 0 },
	{ "ptrace", 0, 0 }, { "tgkill-parent", 0, 0 }, { "tgkill-self", 0, 0 },
	{ "passwd", 1, 0 }, { "exec", 1, 0 }, { "socket", 1, 0 },
	{ "ptrace", 1, 0 }, { "tgkill-parent", 1, 0 }, { "tgkill-self", 1, 0 },
	{ "passwd", 0, 1 }, { "exec", 0, 1 }, { "socket", 0, 1 },
	{ "ptrace", 0, 1 }, { "tgkill-parent", 0, 1 }, { "tgkill-self", 0, 1 },
	{ "passwd", 1, 1 }, { "exec", 1, 1 }, { "socket", 1, 1 },
	{ "ptrace", 1, 1 }, { "tgkill-parent", 1, 1 }, { "tgkill-self", 1, 1 },
	/* Issue 25, finding 4b: no set-id or sticky mode, root or not. */
	{ "fchmod-plain", 0, 0 }, { "fchmod-setuid", 0, 0 },
	{ "fchmodat-setgid", 0, 0 }, { "fchmodat2-sticky", 0, 0 },
	{ "fchmod-plain", 1, 0 }, { "fchmod-setuid", 1, 0 },
	{ "fchmod-setuid", 0, 1 }, { "fchmodat-setgid", 1, 1 },
};

START_TEST(escapes_are_refused_or_fatal)
{
	if (has_hooks() && can_confine())
		escape(escapes[_i].what, escapes[_i].as_nobody,
		    escapes[_i].spares);
}
END_TEST

/* The start-up line says what confines the children. */
START_TEST(startup_says_what_confines_children)
{
	harness_start(&S, NULL);
	ck_assert(harness_log_has(&S, "] sandbox: "));
	ck_assert(harness_log_has(&S, " per child"));
	if (geteuid() == 0)
		ck_assert(harness_log_has(&S, "warning: running as root "
		    "without -u"));
}
END_TEST

/*
 * Finding 5's price checked: confined, with no /proc, an upload is still
 * published only whole, and a child killed in the middle leaves nothing.
 */
START_TEST(confined_upload_killed_leaves_nothing)
{
	uint8_t buf[6 + 512];
	char data[512];
	struct pkt p;
	pid_t child;
	ssize_t n;
	int before;

	if (!can_confine())
		return;
	start_as_nobody(NULL);
	chmod(S.root, 0777);
	before = harness_entries(S.root);
	fd = harness_session(&S, &C);
	n = pkt_encode_req(buf, sizeof(buf), PKT_WRQ, "killed");
	harness_send(fd, buf, (size_t)n);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	memset(data, 'k', sizeof(data));
	n = pkt_encode_dat(buf, sizeof(buf), 1, data, sizeof(data));
	harness_send(fd, buf, (size_t)n);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	ck_assert_int_gt(child = harness_newest_child(&S), 0);
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	harness_expect_closed(&C);
	harness_wait_no_children(&S, 10);
	ck_assert_int_eq(harness_entries(S.root), before);
	/* And a whole one is published. */
	conn_free(&C);
	close(fd);
	fd = harness_session(&S, &C);
	ck_assert_int_eq(harness_upload(&C, "whole", data, sizeof(data)), 0);
	ck_assert_int_eq(harness_entries(S.root), before + 1);
}
END_TEST

/*
 * Issue 25, finding 4a: without Landlock (the test-only hook makes the
 * kernel seem to lack it), an upload whose directory a local user moves
 * out of DIR while it is in flight is refused at its end, ERR 2, and
 * published neither out there nor inside; as root and as nobody, and
 * with Landlock as well.  An upload into a directory that stays is
 * published as ever.
 */
START_TEST(upload_into_a_directory_moved_out_is_refused)
{
	char sub[PATH_MAX * 2], away[PATH_MAX], moved[PATH_MAX * 2];
	char data[100];
	uint8_t buf[6 + 512];
	struct stat st;
	struct pkt p;
	ssize_t n;

	if (!has_hooks() || (_i == 1 && !can_confine()))
		return;
	if (_i < 2)
		setenv("FS_TEST_NO_LANDLOCK", "1", 1);
	if (_i == 1)
		start_as_nobody(NULL);
	else
		harness_start(&S, NULL);
	if (_i < 2)
		ck_assert(harness_log_has(&S, "sandbox: no Landlock"));
	snprintf(sub, sizeof(sub), "%s/sub", S.root);
	snprintf(away, sizeof(away), "%s/away", S.top);
	snprintf(moved, sizeof(moved), "%s/away/f", S.top);
	ck_assert_int_eq(mkdir(sub, 0777), 0);
	ck_assert_int_eq(chmod(sub, 0777), 0);
	memset(data, 'm', sizeof(data));
	fd = harness_session(&S, &C);
	ck_assert_int_eq(harness_upload(&C, "sub/stays", data, sizeof(data)),
	    0);
	n = pkt_encode_req(buf, sizeof(buf), PKT_WRQ, "sub/f");
	harness_send(fd, buf, (size_t)n);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	/* Out of DIR while the upload is open there. */
	ck_assert_int_eq(rename(sub, away), 0);
	n = pkt_encode_dat(buf, sizeof(buf), 1, data, sizeof(data));
	harness_send(fd, buf, (size_t)n);
	harness_expect_err(&C, ERR_ACCESS);
	ck_assert_int_eq(lstat(moved, &st), -1);
	snprintf(moved, sizeof(moved), "%s/sub/f", S.root);
	ck_assert_int_eq(lstat(moved, &st), -1);
	ck_assert(harness_log_has(&S, "the directory left the served "
	    "directory"));
}
END_TEST

/*
 * The same for MKD: without Landlock, a parent moved out of DIR between
 * its opening and the mkdirat (the test hook holds the child there) has
 * the new directory taken back, ERR 2.
 */
START_TEST(mkdir_into_a_directory_moved_out_is_taken_back)
{
	char sub[PATH_MAX * 2], away[PATH_MAX], made[PATH_MAX * 2];
	char go[PATH_MAX];
	uint8_t buf[64];
	struct stat st;
	ssize_t n;
	int f;

	if (!has_hooks())
		return;
	snprintf(go, sizeof(go), "%s/go", S.top);
	setenv("FS_TEST_NO_LANDLOCK", "1", 1);
	setenv("FS_TEST_PAUSE_MKDIR", go, 1);
	harness_start(&S, NULL);
	snprintf(sub, sizeof(sub), "%s/sub", S.root);
	snprintf(away, sizeof(away), "%s/away", S.top);
	snprintf(made, sizeof(made), "%s/away/new", S.top);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	fd = harness_session(&S, &C);
	n = pkt_encode_req(buf, sizeof(buf), PKT_MKD, "sub/new");
	harness_send(fd, buf, (size_t)n);
	ck_assert(harness_log_has(&S, "test hook: MKD's parent open"));
	ck_assert_int_eq(rename(sub, away), 0);
	ck_assert_int_ge(f = open(go, O_WRONLY | O_CREAT, 0644), 0);
	close(f);
	harness_expect_err(&C, ERR_ACCESS);
	ck_assert_int_eq(lstat(made, &st), -1);
}
END_TEST

/* How many times the log holds needle, once it holds it want times. */
static int
log_count(const char *needle, int want)
{
	static char buf[1 << 20];
	const char *p;
	ssize_t n;
	int f, i, count = 0;

	for (i = 0; i < 400 && count < want; i++) {
		if (i > 0)
			usleep(25000);
		if ((f = open(S.log, O_RDONLY)) == -1)
			continue;
		n = read(f, buf, sizeof(buf) - 1);
		close(f);
		buf[n > 0 ? n : 0] = '\0';
		for (count = 0, p = buf; (p = strstr(p, needle)) != NULL; p++)
			count++;
	}
	return count;
}

/* OPT offset=size of "big", digest xxh128, its OACK, then the RRQ. */
static void
ask_resume(struct conn *c, const char *size)
{
	const struct pkt_opt opts[] = { { "offset", size },
	    { "digest", "xxh128" } };
	uint8_t buf[600];
	struct pkt p;
	ssize_t n;

	n = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, opts, 2);
	harness_send(c->fd, buf, (size_t)n);
	ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_OACK);
	n = pkt_encode_req(buf, sizeof(buf), PKT_RRQ, "big");
	harness_send(c->fd, buf, (size_t)n);
}

/* The answer to ask_resume: one empty DAT and the SUM, into hex. */
static void
resume_answered(struct conn *c, char *hex, size_t size)
{
	struct pkt p;

	ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	ck_assert_uint_eq(p.u.dat.size, 0);
	ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_SUM);
	snprintf(hex, size, "%s", p.u.sum.digest);
	ck_assert_int_eq(conn_send_ack(c, 1), CONN_OK);
}

/*
 * Issue 25, finding 6: a download with a digest and an offset at the end
 * of a large file makes the child hash all of it and send nothing.  At
 * most two children do that at once: a third waits for a slot, and gets
 * ERR 9 when none comes free within the idle timeout (3 s here); once
 * the two are done (the test hook held them), the next one is served.
 */
START_TEST(prefix_hashing_is_two_at_a_time)
{
	const char *args[] = { "-v", "-t", "3", NULL };
	char go[PATH_MAX], big[PATH_MAX * 2], size[24], h1[80], h2[80], h3[80];
	struct conn a, b, d;
	int fa, fb, fd2, f;

	if (!has_hooks())
		return;		/* the pause is a test hook */
	snprintf(big, sizeof(big), "%s/big", S.root);
	ck_assert_int_ge(f = open(big, O_WRONLY | O_CREAT, 0644), 0);
	ck_assert_int_eq(ftruncate(f, (off_t)64 << 20), 0);	/* sparse */
	close(f);
	snprintf(size, sizeof(size), "%lld", (long long)64 << 20);
	snprintf(go, sizeof(go), "%s/go", S.top);
	setenv("FS_TEST_PAUSE_PREFIX", go, 1);
	harness_start(&S, args);
	fa = harness_session(&S, &a);
	fb = harness_session(&S, &b);
	ask_resume(&a, size);
	ask_resume(&b, size);
	ck_assert_int_eq(log_count("test hook: prefix slot taken", 2), 2);
	/* A third waits, and gives up at the timeout: ERR 9, closed. */
	fd = harness_session(&S, &C);
	ask_resume(&C, size);
	ck_assert(harness_log_has(&S, "Waiting for one of the 2 slots to "
	    "hash a prefix of 67108864 bytes"));
	harness_expect_err(&C, ERR_BUSY);
	harness_expect_closed(&C);
	/* The two go on, and a slot is free for the next. */
	ck_assert_int_ge(f = open(go, O_WRONLY | O_CREAT, 0644), 0);
	close(f);
	resume_answered(&a, h1, sizeof(h1));
	resume_answered(&b, h2, sizeof(h2));
	fd2 = harness_session(&S, &d);
	ask_resume(&d, size);
	resume_answered(&d, h3, sizeof(h3));
	ck_assert_str_eq(h1, h2);
	ck_assert_str_eq(h1, h3);
	conn_free(&a);
	conn_free(&b);
	conn_free(&d);
	close(fa);
	close(fb);
	close(fd2);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("sandbox");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, chroot_is_the_directory_opened);
	tcase_add_test(tc, confined_child_holds_nothing_outside);
	tcase_add_test(tc, standard_descriptors_are_null_in_every_child);
	tcase_add_test(tc, confined_upload_killed_leaves_nothing);
	tcase_add_loop_test(tc, upload_into_a_directory_moved_out_is_refused,
	    0, 3);
	tcase_add_test(tc, old_kernel_uploads_under_user_still_work);
	tcase_add_test(tc, fifo_is_never_opened);
	tcase_add_test(tc, log_lines_carry_a_timestamp);
	tcase_add_test(tc, syslog_option_sends_lines_to_syslog);
	tcase_add_test(tc, stalled_log_reader_never_holds_a_session);
	tcase_add_test(tc, slow_reader_is_not_timed_out);
	tcase_add_test(tc, stopped_reader_is_timed_out);
	tcase_add_test(tc, large_listing_is_whole_and_sorted);
	tcase_add_test(tc, too_large_directory_is_a_clear_err);
	tcase_add_test(tc, long_names_list_up_to_the_bound);
	tcase_add_test(tc, prefix_hashing_is_two_at_a_time);
	tcase_add_test(tc, mkdir_into_a_directory_moved_out_is_taken_back);
	tcase_add_test(tc, listing_memory_is_compact_and_bounded);
	tcase_add_test(tc, absolute_link_inside_is_listed_when_confined);
	tcase_add_test(tc, long_name_is_greeted_whole);
	tcase_add_loop_test(tc, escapes_are_refused_or_fatal, 0,
	    sizeof(escapes) / sizeof(escapes[0]));
	tcase_add_test(tc, startup_says_what_confines_children);
	tcase_add_test(tc, every_child_is_filtered);
	tcase_add_test(tc, a_spare_is_filtered_before_its_connection);
	suite_add_tcase(s, tc);
	return s;
}
