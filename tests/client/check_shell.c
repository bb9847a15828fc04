/*
 * The interactive client, driven through a pseudo-terminal as a person
 * would use it: the prompt, tab completion, history, the progress bar,
 * and Ctrl-C aborting a transfer.  The server is the real one.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "check_main.h"

#define EXPECT_SECONDS	20

static struct server S;
static char local[PATH_MAX];
static int tty = -1;
static pid_t client_pid;
static char screen[1 << 20];
static size_t seen;		/* screen[0..seen) was matched already */
static size_t have;

static void
spawn_client(const char *const *opts)
{
	const char *argv[16];
	char port[16];
	struct winsize ws = { 24, 100, 0, 0 };
	int n = 0;

	snprintf(port, sizeof(port), "%u", S.port);
	argv[n++] = getenv("CLIENT_BIN");
	while (opts != NULL && *opts != NULL)
		argv[n++] = *opts++;
	argv[n++] = "127.0.0.1";
	argv[n++] = port;
	argv[n] = NULL;
	ck_assert_ptr_nonnull(argv[0]);
	client_pid = forkpty(&tty, NULL, NULL, &ws);
	ck_assert_int_ge(client_pid, 0);
	if (client_pid == 0) {
		if (chdir(local) == -1)
			_exit(126);
		setenv("TERM", "vt100", 1);
		setenv("HOME", local, 1);	/* no personal ~/.editrc */
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	seen = have = 0;
}

/* Reads the terminal until text appears after what was seen; bounded. */
static void
expect(const char *text)
{
	struct pollfd pfd = { tty, POLLIN, 0 };
	char *hit;
	ssize_t n;
	int i;

	for (i = 0; i < EXPECT_SECONDS * 10; i++) {
		screen[have] = '\0';
		if ((hit = strstr(screen + seen, text)) != NULL) {
			seen = (size_t)(hit - screen) + strlen(text);
			return;
		}
		if (poll(&pfd, 1, 100) == 1) {
			n = read(tty, screen + have, sizeof(screen) - 1 - have);
			if (n <= 0)
				break;
			have += (size_t)n;
		}
	}
	screen[have] = '\0';
	ck_abort_msg("never saw \"%s\"; the screen after it:\n%s", text,
	    screen + seen);
}

/* Whatever the terminal still holds, for a failure's message. */
static void
drain(void)
{
	struct pollfd pfd = { tty, POLLIN, 0 };
	ssize_t n;

	while (poll(&pfd, 1, 100) == 1 && (n = read(tty, screen + have,
	    sizeof(screen) - 1 - have)) > 0)
		have += (size_t)n;
	screen[have] = '\0';
}

static void
type(const char *keys)
{
	ck_assert_int_eq(write(tty, keys, strlen(keys)),
	    (ssize_t)strlen(keys));
}

static int
local_exists(const char *name)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", local, name);
	return stat(path, &st) == 0;
}

static void
setup(void)
{
	static char big[1 << 20];
	char path[PATH_MAX * 2];
	int fd, i;

	harness_dirs(&S);
	snprintf(local, sizeof(local), "%s/local", S.top);
	ck_assert_int_eq(mkdir(local, 0755), 0);
	harness_write_file(&S, "unique_remote_name.txt", "unique\n", 7);
	harness_write_file(&S, "a.txt", "a\n", 2);
	snprintf(path, sizeof(path), "%s/sub", S.root);
	mkdir(path, 0755);
	/* 64 MiB: in the plain protocol, seconds of transfer. */
	snprintf(path, sizeof(path), "%s/huge", S.root);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	for (i = 0; i < 64; i++)
		ck_assert_int_eq(write(fd, big, sizeof(big)),
		    (ssize_t)sizeof(big));
	close(fd);
	harness_start(&S, NULL);
}

static void
teardown(void)
{
	int status;

	if (tty != -1) {
		close(tty);
		tty = -1;
	}
	if (client_pid > 0) {
		kill(client_pid, SIGKILL);
		waitpid(client_pid, &status, 0);
		client_pid = 0;
	}
	harness_cleanup(&S);
}

/* Leaves with "quit" and checks the exit status. */
static void
quit(void)
{
	int status, i;

	type("quit\r");
	for (i = 0; i < EXPECT_SECONDS * 100; i++) {
		if (waitpid(client_pid, &status, WNOHANG) == client_pid) {
			client_pid = 0;
			drain();
			ck_assert_msg(WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0, "client exit %d; the "
			    "screen after quit:\n%s", WEXITSTATUS(status),
			    screen + seen);
			return;
		}
		usleep(10000);
	}
	ck_abort_msg("client did not quit");
}

START_TEST(prompt_help_and_pwd)
{
	spawn_client(NULL);
	expect("'s fileserver");
	expect("fs:/> ");
	type("help\r");
	expect("get REMOTE [LOCAL]");
	expect("fs:/> ");
	type("cd sub\r");
	expect("fs:/sub> ");
	type("pwd\r");
	expect("/sub\r\n");
	quit();
}
END_TEST

START_TEST(tab_completes_commands_and_remote_names)
{
	spawn_client(NULL);
	expect("fs:/> ");
	/* Judged by the effect: libedit redraws with cursor moves. */
	type("he\t\r");
	expect("get REMOTE [LOCAL]");
	expect("fs:/> ");
	type("get uni\t\r");
	expect("fs:/> ");
	ck_assert_int_eq(local_exists("unique_remote_name.txt"), 1);
	quit();
}
END_TEST

START_TEST(tab_completes_local_names)
{
	char path[PATH_MAX * 2];
	int fd;

	snprintf(path, sizeof(path), "%s/localonly.txt", local);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_eq(write(fd, "mine\n", 5), 5);
	close(fd);
	spawn_client(NULL);
	expect("fs:/> ");
	type("put loca\t\r");
	expect("fs:/> ");
	snprintf(path, sizeof(path), "%s/localonly.txt", S.root);
	ck_assert_int_eq(access(path, F_OK), 0);
	quit();
}
END_TEST

START_TEST(a_stalled_transfer_says_so)
{
	static const char *const plain[] = { "--no-options", NULL };
	char path[64], buf[64];
	pid_t child = 0;
	FILE *f;
	int i;

	spawn_client(plain);
	expect("fs:/> ");
	type("get huge\r");
	expect("huge ");
	/* Freeze the server's child: nothing moves, the bar must say so. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)S.pid,
	    (int)S.pid);
	for (i = 0; i < 200 && child <= 0; i++) {
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(buf, sizeof(buf), f) != NULL)
				child = (pid_t)atoi(buf);
			fclose(f);
		}
		usleep(10000);
	}
	ck_assert_int_gt(child, 0);
	kill(child, SIGSTOP);
	expect("stalled");
	kill(child, SIGCONT);
	type("\x03");
	expect("fs:/> ");
	ck_assert_int_eq(local_exists("huge"), 0);
	quit();
}
END_TEST

START_TEST(history_recalls_the_last_line)
{
	spawn_client(NULL);
	expect("fs:/> ");
	type("cd sub\r");
	expect("fs:/sub> ");
	type("cd /\r");
	expect("fs:/> ");
	type("\x1b[A\x1b[A\r");		/* up twice: "cd sub" again */
	expect("fs:/sub> ");
	quit();
}
END_TEST

START_TEST(progress_bar_during_a_get)
{
	spawn_client(NULL);
	expect("fs:/> ");
	type("get huge\r");
	/* The bar's summary: name, 100%, bytes, rate, elapsed time. */
	expect("100%");
	expect("64.0MiB");
	expect("/s");
	expect("fs:/> ");
	ck_assert_int_eq(local_exists("huge"), 1);
	quit();
}
END_TEST

START_TEST(ctrl_c_aborts_a_transfer)
{
	static const char *const plain[] = { "--no-options", NULL };

	spawn_client(plain);
	expect("fs:/> ");
	type("get huge\r");
	expect("huge ");		/* the bar has started */
	type("\x03");
	expect("get huge: interrupted");
	expect("fs:/> ");
	ck_assert_int_eq(local_exists("huge"), 0);
	/* The next command reconnects and works. */
	type("get a.txt\r");
	expect("fs:/> ");
	ck_assert_int_eq(local_exists("a.txt"), 1);
	quit();
}
END_TEST

START_TEST(ctrl_c_at_the_prompt_does_not_quit)
{
	spawn_client(NULL);
	expect("fs:/> ");
	type("\x03");
	type("pwd\r");
	expect("/\r\n");
	quit();
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("shell");
	TCase *tc = tcase_create("terminal");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, prompt_help_and_pwd);
	tcase_add_test(tc, tab_completes_commands_and_remote_names);
	tcase_add_test(tc, tab_completes_local_names);
	tcase_add_test(tc, a_stalled_transfer_says_so);
	tcase_add_test(tc, history_recalls_the_last_line);
	tcase_add_test(tc, progress_bar_during_a_get);
	tcase_add_test(tc, ctrl_c_aborts_a_transfer);
	tcase_add_test(tc, ctrl_c_at_the_prompt_does_not_quit);
	suite_add_tcase(s, tc);
	return s;
}
