/*
 * The server's command line, end to end: each server here is started
 * with options of its own (-t -r -m -c -p -n -u -b, the umask it
 * inherits), and wrong arguments or a port in use are reported as
 * interface.md says.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fixture.h"
#include "check_main.h"

/* Runs the server binary to completion; its status and standard error. */
static int
run_server(const char *const *argv, char *err, size_t errlen)
{
	const char *bin = getenv("SERVER_BIN");
	const char *full[16];
	int pipefd[2], status, n = 0;
	ssize_t r;
	size_t len = 0;
	pid_t pid;

	full[n++] = bin;
	while (*argv != NULL)
		full[n++] = *argv++;
	full[n] = NULL;
	ck_assert_int_eq(pipe(pipefd), 0);
	if ((pid = fork()) == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		alarm(10);
		execv(bin, (char *const *)(uintptr_t)full);
		_exit(127);
	}
	close(pipefd[1]);
	while (len + 1 < errlen && (r = read(pipefd[0], err + len,
	    errlen - 1 - len)) > 0)
		len += (size_t)r;
	err[len] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(idle_timeout_whole_packet)
{
	static const char *const args[] = { "-t", "1", NULL };
	struct conn c;
	struct pkt p;
	int f, i;

	fixture_start(args);
	/* No ACK for the greeting: ERR 5 and close. */
	f = harness_dial(&S, 0);
	conn_init(&c, f, NULL, NULL);
	ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
	harness_expect_err(&c, ERR_TIMEOUT);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
	/* A request trickling in, a byte every 0.3 s for 3 s: the clock
	 * is per packet, so ERR 5 comes before the packet is whole. */
	f = harness_session(&S, &c);
	harness_send(f, "\0\1", 2);
	for (i = 0; i < 10; i++) {
		if (send(f, "a", 1, MSG_NOSIGNAL) != 1)
			break;
		usleep(300000);
	}
	send(f, "", 1, MSG_NOSIGNAL);
	harness_expect_err(&c, ERR_TIMEOUT);
	conn_free(&c);
	close(f);
}
END_TEST

START_TEST(uploads_are_0644_whatever_the_umask)
{
	char path[PATH_MAX * 2];
	struct stat st;

	/* In force when the server starts, so its children inherit it. */
	umask(077);
	fixture_start(NULL);
	fd = harness_session(&S, &C);
	ck_assert_int_eq(harness_upload(&C, "moded", "m", 1), 0);
	snprintf(path, sizeof(path), "%s/moded", S.root);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
}
END_TEST

START_TEST(read_only_refuses_every_upload)
{
	static const char *const args[] = { "-r", NULL };

	fixture_start(args);
	fd = harness_session(&S, &C);
	ck_assert_int_eq(harness_upload(&C, "new", "x", 1), ERR_ACCESS);
	ck_assert_int_eq(harness_upload(&C, "../bad", "x", 1), ERR_ACCESS);
	ck_assert_int_eq(harness_upload(&C, "a.txt", "x", 1), ERR_ACCESS);
	/* MKD writes too: refused before any other check. */
	harness_send_req(&C, PKT_MKD, "newdir");
	harness_expect_err(&C, ERR_ACCESS);
	harness_send_req(&C, PKT_MKD, "../bad");
	harness_expect_err(&C, ERR_ACCESS);
	ck_assert(!harness_exists(&S, "newdir"));
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
}
END_TEST

START_TEST(max_upload_is_exact)
{
	static const char *const args[] = { "-m", "1000", NULL };
	char data[1001];

	memset(data, 'm', sizeof(data));
	fixture_start(args);
	fd = harness_session(&S, &C);
	ck_assert_int_eq(harness_upload(&C, "fits", data, 1000), 0);
	ck_assert_int_eq(harness_upload(&C, "over", data, 1001),
	    ERR_DISK_FULL);
	harness_expect_closed(&C);
	ck_assert_int_eq(harness_exists(&S, "fits"), 1);
	ck_assert_int_eq(harness_exists(&S, "over"), 0);
}
END_TEST

START_TEST(max_clients_and_per_address)
{
	static const char *const args[] = { "-c", "2", "-p", "1", NULL };
	struct conn a, b, c;
	struct pkt p;
	int fa, fb, fc, i, ok = 0;

	fixture_start(args);
	fa = harness_session(&S, &a);
	/* Same address, over -p 1. */
	fb = harness_dial(&S, 0);
	conn_init(&b, fb, NULL, NULL);
	harness_expect_err(&b, ERR_BUSY);
	harness_expect_closed(&b);
	conn_free(&b);
	close(fb);
	/* Another address (::1) is its own count. */
	fb = harness_dial(&S, 1);
	conn_init(&b, fb, NULL, NULL);
	ck_assert_int_eq(harness_recv(&b, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	/* Over -c 2 in all. */
	fc = harness_dial(&S, 0);
	conn_init(&c, fc, NULL, NULL);
	harness_expect_err(&c, ERR_BUSY);
	conn_free(&c);
	close(fc);
	/* A refused connection cost no slot; a closed one frees one. */
	conn_free(&a);
	close(fa);
	for (i = 0; i < 200 && !ok; i++) {
		fc = harness_dial(&S, 0);
		conn_init(&c, fc, NULL, NULL);
		ok = harness_recv(&c, &p) == CONN_OK && p.op == PKT_DAT;
		conn_free(&c);
		close(fc);
		if (!ok)
			usleep(20000);
	}
	ck_assert_msg(ok, "the slot was never freed");
	conn_free(&b);
	close(fb);
}
END_TEST

START_TEST(greeting_name_option)
{
	static const char *const args[] = { "-n", "Test Box", NULL };
	static const char want[] = "Hello from Test Box's fileserver";
	struct conn c;
	struct pkt p;
	int f;

	fixture_start(args);
	f = harness_dial(&S, 0);
	conn_init(&c, f, NULL, NULL);
	ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
	ck_assert_uint_eq(p.u.dat.size, sizeof(want) - 1);
	ck_assert_mem_eq(p.u.dat.data, want, sizeof(want) - 1);
	conn_free(&c);
	close(f);
}
END_TEST

START_TEST(user_option_chroots_and_drops_privileges)
{
	static const char *const args[] = { "-u", "nobody", NULL };
	char path[64], line[256], root[PATH_MAX];
	long uid = -1, gid = -1;
	ssize_t n;
	pid_t child;
	FILE *f;

	if (geteuid() != 0)
		return;		/* -u needs root; nothing to show otherwise */
	fixture_start(args);
	/* Served while confined: the directory must be readable by nobody. */
	chmod(S.top, 0755);
	fd = harness_session(&S, &C);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	harness_expect_fetch_err(&C, "passwd", ERR_ACCESS);
	ck_assert_int_gt(child = harness_newest_child(&S), 0);
	/* The child runs as nobody, groups included, inside the directory. */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)child);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "Uid: %ld", &uid);
		sscanf(line, "Gid: %ld", &gid);
		if (strncmp(line, "Groups:", 7) == 0)
			ck_assert_msg(strspn(line + 7, " \t0123456789") ==
			    strlen(line + 7) - 1, "groups: %s", line);
	}
	fclose(f);
	ck_assert_int_eq(uid, 65534);
	ck_assert_int_eq(gid, 65534);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)child);
	n = readlink(path, root, sizeof(root) - 1);
	ck_assert_int_gt(n, 0);
	root[n] = '\0';
	ck_assert_str_eq(root, S.root);
	/* Uploads work as nobody too: O_TMPFILE, then linkat via /proc. */
	chmod(S.root, 0777);
	ck_assert_int_eq(harness_upload(&C, "by-nobody", "x", 1), 0);
}
END_TEST

START_TEST(bind_option_listens_on_one_address)
{
	static const char *const args[] = { "-b", "127.0.0.1", NULL };
	struct sockaddr_in6 a;
	char want[600], host[256];
	int f;

	fixture_start(args);
	/* interface.md: the host name, whatever -b says. */
	gethostname(host, sizeof(host));
	snprintf(want, sizeof(want), "File server listening on %s port %u\n",
	    host, S.port);
	ck_assert_str_eq(S.line, want);
	fd = harness_session(&S, &C);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	/* Not on ::1. */
	f = socket(AF_INET6, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	a.sin6_port = htons((uint16_t)S.port);
	ck_assert_int_eq(connect(f, (struct sockaddr *)&a, sizeof(a)), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	close(f);
}
END_TEST

START_TEST(bad_arguments_are_usage_errors)
{
	char err[2048], file[PATH_MAX + 8];
	const char *const *cases[] = {
		(const char *const[]){ NULL },
		(const char *const[]){ "/tmp", NULL },
		(const char *const[]){ "/tmp", "0", "extra", NULL },
		(const char *const[]){ "/tmp", "65536", NULL },
		(const char *const[]){ "/tmp", "-1", NULL },
		(const char *const[]){ "/tmp", "port", NULL },
		(const char *const[]){ "-t", "0", "/tmp", "0", NULL },
		(const char *const[]){ "-c", "0", "/tmp", "0", NULL },
		(const char *const[]){ "-p", "0", "/tmp", "0", NULL },
		(const char *const[]){ "-t", "x", "/tmp", "0", NULL },
		(const char *const[]){ "-m", "-1", "/tmp", "0", NULL },
		(const char *const[]){ "-Z", "/tmp", "0", NULL },
		(const char *const[]){ "--frobnicate", "/tmp", "0", NULL },
		(const char *const[]){ "-t", NULL },
		(const char *const[]){ "/nonexistent/dir", "0", NULL },
		(const char *const[]){ file, "0", NULL },
	};
	size_t i;

	harness_dirs(&S);
	harness_write_file(&S, "plain", "x", 1);
	snprintf(file, sizeof(file), "%s/plain", S.root);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(run_server(cases[i], err, sizeof(err)) == 2,
		    "case %zu: %s", i, err);
		ck_assert_msg(strstr(err, "\nusage: server") != NULL,
		    "case %zu: %s", i, err);
		/* One line of reason, then the usage. */
		ck_assert_msg(strchr(err, '\n') < strstr(err, "usage:"),
		    "case %zu", i);
	}
	ck_assert_int_eq(run_server((const char *const[]){ "-h", NULL }, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "usage: server"));
	ck_assert_int_eq(run_server((const char *const[]){ "-V", NULL }, err,
	    sizeof(err)), 0);
	/* An unknown user: exit 2 and one line, not a crash in NSS. */
	if (geteuid() == 0) {
		ck_assert_int_eq(run_server((const char *const[]){ "-u",
		    "nosuchuser-fs", S.root, "0", NULL }, err, sizeof(err)),
		    2);
		ck_assert_ptr_nonnull(strstr(err, "nosuchuser-fs"));
		ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
	}
}
END_TEST

START_TEST(port_in_use_is_reported)
{
	struct sockaddr_in6 a;
	socklen_t alen = sizeof(a);
	char err[1024], port[16], want[64];
	int l = socket(AF_INET6, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	getsockname(l, (struct sockaddr *)&a, &alen);
	snprintf(port, sizeof(port), "%u", ntohs(a.sin6_port));
	harness_dirs(&S);
	ck_assert_int_eq(run_server((const char *const[]){ S.root, port,
	    NULL }, err, sizeof(err)), 1);
	/* interface.md's text, exactly, at the start of the line. */
	snprintf(want, sizeof(want), "Unable to bind to port %s: ", port);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, ". Sorry!\n"));
	close(l);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("server options");
	TCase *tc;

	tc = tcase_create("options");
	tcase_add_checked_fixture(tc, fixture_plain_setup, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, idle_timeout_whole_packet);
	tcase_add_test(tc, uploads_are_0644_whatever_the_umask);
	tcase_add_test(tc, read_only_refuses_every_upload);
	tcase_add_test(tc, max_upload_is_exact);
	tcase_add_test(tc, max_clients_and_per_address);
	tcase_add_test(tc, greeting_name_option);
	tcase_add_test(tc, user_option_chroots_and_drops_privileges);
	tcase_add_test(tc, bind_option_listens_on_one_address);
	tcase_add_test(tc, bad_arguments_are_usage_errors);
	tcase_add_test(tc, port_in_use_is_reported);
	suite_add_tcase(s, tc);
	return s;
}
