/*
 * The interactive client, driven through a pseudo-terminal as a person
 * would use it: the prompt, tab completion, history, the progress bar,
 * and Ctrl-C aborting a transfer.  The server is the real one.  Also the
 * tokenizer's rule (client/words.c) on its own.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "pattern.h"
#include "words.h"
#include "check_main.h"

#define EXPECT_SECONDS	20

static struct server S;
static char local[PATH_MAX];
static const char *state_home;	/* XDG_STATE_HOME for the next client */
static unsigned short cols = 100;	/* its terminal's width */
static const char *lc_all = "C.UTF-8";	/* its locale */
static unsigned port;		/* 0: the server's */
static pid_t fake_pid;		/* fake_server's process */
static pid_t link_pgid;		/* slow_link's process group */
static void	link_stop(void);
static int fake_ready[2];	/* it writes a byte per listing asked */
static int tty = -1;
static pid_t client_pid;
static char screen[1 << 20];
static size_t seen;		/* screen[0..seen) was matched already */
static size_t have;

static void
spawn_client(const char *const *opts)
{
	const char *argv[16];
	char portstr[16];
	struct winsize ws = { 24, cols, 0, 0 };
	int n = 0;

	snprintf(portstr, sizeof(portstr), "%u", port != 0 ? port : S.port);
	argv[n++] = getenv("CLIENT_BIN");
	while (opts != NULL && *opts != NULL)
		argv[n++] = *opts++;
	argv[n++] = "127.0.0.1";
	argv[n++] = portstr;
	argv[n] = NULL;
	ck_assert_ptr_nonnull(argv[0]);
	client_pid = forkpty(&tty, NULL, NULL, &ws);
	ck_assert_int_ge(client_pid, 0);
	if (client_pid == 0) {
		if (chdir(local) == -1)
			_exit(126);
		setenv("TERM", "vt100", 1);
		setenv("HOME", local, 1);	/* no personal ~/.editrc */
		/* Nor the tester's history. */
		if (state_home != NULL)
			setenv("XDG_STATE_HOME", state_home, 1);
		else
			unsetenv("XDG_STATE_HOME");
		setenv("LC_ALL", lc_all, 1);
		setenv("SHELL", "/bin/sh", 1);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	seen = have = 0;
}

/*
 * Reads what the terminal has into the screen; 0 at its end.  NUL bytes
 * go: libedit pads with them after a redisplay on a vt100, and the screen
 * is searched as a string.
 */
static ssize_t
read_screen(void)
{
	ssize_t n;
	size_t i, kept = have;

	if ((n = read(tty, screen + have, sizeof(screen) - 1 - have)) <= 0)
		return n;
	for (i = have; i < have + (size_t)n; i++)
		if (screen[i] != '\0')
			screen[kept++] = screen[i];
	have = kept;
	screen[have] = '\0';
	return n;
}

/* Reads the terminal until text appears after what was seen; bounded. */
static void
expect(const char *text)
{
	struct pollfd pfd = { tty, POLLIN, 0 };
	time_t end = time(NULL) + EXPECT_SECONDS;
	char *hit;

	while (time(NULL) < end) {
		screen[have] = '\0';
		if ((hit = strstr(screen + seen, text)) != NULL) {
			seen = (size_t)(hit - screen) + strlen(text);
			return;
		}
		if (poll(&pfd, 1, 100) == 1 && read_screen() <= 0)
			break;
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

	while (poll(&pfd, 1, 100) == 1 && read_screen() > 0)
		continue;
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

/* The server's child serving the one session. */
static pid_t
server_child(void)
{
	pid_t child = harness_newest_child(&S);

	ck_assert_int_gt(child, 0);
	return child;
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
	link_stop();
	if (fake_pid > 0) {
		kill(fake_pid, SIGKILL);
		waitpid(fake_pid, &status, 0);
		fake_pid = 0;
	}
	harness_cleanup(&S);
}

/* Waits (bounded) for the client to exit; returns its exit status. */
static int
wait_exit(void)
{
	int rc = harness_wait_exit(client_pid);

	client_pid = 0;
	drain();
	return rc;
}

/* Leaves with "quit" and checks the exit status. */
static void
quit(void)
{
	int rc;

	type("quit\r");
	rc = wait_exit();
	ck_assert_msg(rc == 0, "client exit %d; the screen after quit:\n%s",
	    rc, screen + seen);
}

static void
local_file(const char *name)
{
	char path[PATH_MAX * 2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", local, name);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT, 0644), 0);
	ck_assert_int_eq(write(fd, "mine\n", 5), 5);
	close(fd);
}

static int
remote_exists(const char *name)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", S.root, name);
	return access(path, F_OK) == 0;
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
	local_file("localonly.txt");
	spawn_client(NULL);
	expect("fs:/> ");
	type("put loca\t\r");
	expect("fs:/> ");
	ck_assert_int_eq(remote_exists("localonly.txt"), 1);
	quit();
}
END_TEST

START_TEST(a_stalled_transfer_says_so)
{
	static const char *const plain[] = { "--no-options", NULL };
	pid_t child;

	spawn_client(plain);
	expect("fs:/> ");
	type("get huge\r");
	expect("huge ");
	/* Freeze the server's child: nothing moves, the bar must say so. */
	child = server_child();
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

START_TEST(ctrl_c_at_the_prompt_discards_the_line)
{
	spawn_client(NULL);
	expect("fs:/> ");
	type("lls dl");
	expect("lls dl");
	type("\x03");
	expect("^C");
	expect("fs:/> ");
	type("pwd\r");
	expect("/\r\n");
	screen[have] = '\0';
	ck_assert_ptr_null(strstr(screen, "dlpwd"));
	quit();
}
END_TEST

/*
 * Names with blanks and quotes, completed after an opening quote of
 * either kind and unquoted: each line runs as it stands, its argument
 * the name exactly (no backslash, quote or newline left in it).
 */
START_TEST(completed_names_run_as_shown)
{
	local_file("local copy.txt");
	harness_write_file(&S, "my remote file.txt", "r\n", 2);
	harness_write_file(&S, "it's quoted.txt", "q\n", 2);
	harness_write_file(&S, "plain name*.txt", "p\n", 2);
	spawn_client(NULL);
	expect("fs:/> ");
	type("put \"loc\t\r");
	expect("fs:/> ");
	ck_assert_int_eq(remote_exists("local copy.txt"), 1);
	type("get \"my\t\r");
	expect("fs:/> ");
	ck_assert_int_eq(local_exists("my remote file.txt"), 1);
	type("get 'it\t\r");
	expect("fs:/> ");
	ck_assert_int_eq(local_exists("it's quoted.txt"), 1);
	type("get \"it\t");
	expect("\" ");
	type("\x03");
	expect("fs:/> ");
	type("get pla\t");
	/* Escaped as typed: the blank, and the star made plain. */
	expect("in\\ name\\*.txt ");	/* after a cursor move */
	type("\r");
	expect("fs:/> ");
	ck_assert_int_eq(local_exists("plain name*.txt"), 1);
	/* Quoted, a star is a star, not a pattern for "plain name.txt". */
	harness_write_file(&S, "plain name.txt", "n\n", 2);
	type("get 'plain name*.txt' '\\*?['\r");
	expect("fs:/> ");
	ck_assert_int_eq(local_exists("\\*?["), 1);
	ck_assert_int_eq(local_exists("plain name.txt"), 0);
	quit();
}
END_TEST

/* A name that starts with '-' is completed so that it is no flag. */
START_TEST(a_dash_name_completes_as_a_name)
{
	harness_write_file(&S, "sub/-dash.txt", "d\n", 2);
	spawn_client(NULL);
	expect("fs:/> ");
	type("cd sub\r");
	expect("fs:/sub> ");
	type("get \t\r");
	expect("fs:/sub> ");
	ck_assert_int_eq(local_exists("-dash.txt"), 1);
	quit();
}
END_TEST

/* n remote files: prefix and a number of digits digits, from 0. */
static void
numbered_names(const char *prefix, int digits, int n)
{
	char name[64];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%0*d", prefix, digits, i);
		harness_write_file(&S, name, "c", 1);
	}
}

START_TEST(completion_lists_in_columns)
{
	numbered_names("column_name_", 2, 30);
	spawn_client(NULL);
	expect("fs:/> ");
	type("get col\t");		/* completes as far as they agree */
	expect("umn_name_");
	type("\t");
	/* 100 columns hold six of 14 + 2; down the columns, as ls does. */
	expect("\r\ncolumn_name_00  column_name_05  column_name_10  "
	    "column_name_15  column_name_20  column_name_25\r\n");
	expect("column_name_04  column_name_09  column_name_14  "
	    "column_name_19  column_name_24  column_name_29\r\n");
	expect("fs:/> ");
	type("\x03");
	expect("fs:/> ");
	quit();
}
END_TEST

/* More than a screen (24 rows here): asked first, as readline does. */
START_TEST(completion_asks_before_a_long_list)
{
	numbered_names("a_long_completion_name_", 3, 150);
	spawn_client(NULL);
	expect("fs:/> ");
	type("get a_lo\t");
	expect("name_");
	type("\t");
	expect("Display all 150 possibilities? (y or n)");
	type("n");
	expect("fs:/> ");
	drain();
	ck_assert_ptr_null(strstr(screen + seen, "name_000  "));
	type("\t");
	expect("Display all 150 possibilities? (y or n)");
	type("y");
	/* 100 columns hold three of 26 + 2; 50 rows, down the columns. */
	expect("\r\na_long_completion_name_000  a_long_completion_name_050  "
	    "a_long_completion_name_100\r\n");
	expect("a_long_completion_name_049  a_long_completion_name_099  "
	    "a_long_completion_name_149\r\n");
	expect("fs:/> ");
	type("\x03");
	expect("fs:/> ");
	quit();
}
END_TEST

/*
 * In ls(1)'s order: the locale's collation of the names, a directory's
 * '/' left out ("tk/" first, where byte order with it put "tk-dev/").
 */
START_TEST(completion_sorts_as_ls_does)
{
	static const char *const dirs[] = { "tk8.6-dev", "tk-dev", "tk" };
	char path[PATH_MAX * 2];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", S.root, dirs[i]);
		ck_assert_int_eq(mkdir(path, 0755), 0);
	}
	spawn_client(NULL);
	expect("fs:/> ");
	type("cd t\t");
	expect("k");
	type("\t");
	expect("\r\ntk/         tk-dev/     tk8.6-dev/\r\n");	/* C.UTF-8 */
	type("\x03");
	expect("fs:/> ");
	quit();
}
END_TEST

START_TEST(utf8_local_names_typed_and_completed)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/日本語", local);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/résumé", local);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	local_file("résumé.pdf");
	spawn_client(NULL);
	expect("fs:/> ");
	type("lcd 日\t\r");
	expect("fs:/> ");
	type("lpwd\r");
	expect("/local/日本語\r\n");
	type("lcd ..\r");
	expect("fs:/> ");
	type("lcd résumé\r");	/* typed whole */
	expect("fs:/> ");
	type("lpwd\r");
	expect("/local/résumé\r\n");
	type("lcd ..\r");
	expect("fs:/> ");
	/* Two matches agree on "résumé": completed, then listed. */
	type("lls ré\t");
	expect("sumé");
	type("\t");
	/* As ls -p shows them: "résumé" sorts first, its '/' left out. */
	expect("\r\nrésumé/     résumé.pdf\r\n");
	type("\x03");
	expect("fs:/> ");
	quit();
}
END_TEST

/* UTF-8 names both ways, with the UTF-8 name rule (protocol.md s. 5). */
START_TEST(utf8_remote_names_completed)
{
	harness_write_file(&S, "日本語.txt", "j\n", 2);
	local_file("résumé.pdf");
	spawn_client(NULL);
	expect("fs:/> ");
	type("get 日\t\r");
	expect("fs:/> ");
	ck_assert_int_eq(local_exists("日本語.txt"), 1);
	type("put rés\t\r");
	expect("fs:/> ");
	ck_assert_int_eq(remote_exists("résumé.pdf"), 1);
	type("ls\r");
	expect("résumé.pdf\r\n");
	quit();
}
END_TEST

START_TEST(history_is_kept_across_sessions)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/state", S.top);
	state_home = dir;
	spawn_client(NULL);
	expect("fs:/> ");
	type("cd sub\r");
	expect("fs:/sub> ");
	quit();
	snprintf(path, sizeof(path), "%s/fileserver", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/fileserver/history", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	spawn_client(NULL);
	expect("fs:/> ");
	type("\x1b[A\x1b[A\r");	/* up past "quit": "cd sub" */
	expect("fs:/sub> ");
	quit();
	/* Without XDG_STATE_HOME: under ~/.local/state. */
	state_home = NULL;
	spawn_client(NULL);
	expect("fs:/> ");
	type("pwd\r");
	expect("fs:/> ");
	quit();
	snprintf(path, sizeof(path), "%s/.local/state/fileserver/history",
	    local);
	ck_assert_int_eq(stat(path, &st), 0);
}
END_TEST

START_TEST(bang_runs_a_local_command)
{
	static const char *const batch[] = { "-q", "-b", "batch.txt", NULL };
	char path[PATH_MAX * 2];
	int fd;

	spawn_client(NULL);
	expect("fs:/> ");
	type("!echo hi; echo there\r");
	expect("\r\nhi\r\nthere\r\n");
	expect("fs:/> ");
	type("!exit 3\r");
	expect("!exit 3: exit status 3\r\n");
	expect("fs:/> ");
	type("!\r");			/* $SHELL, here /bin/sh */
	type("echo in$((6 * 7))\r");
	expect("in42");
	type("exit\r");
	expect("fs:/> ");
	quit();
	/* In a batch too; a failed one stops it. */
	snprintf(path, sizeof(path), "%s/batch.txt", local);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT, 0644), 0);
	ck_assert_int_eq(write(fd, "!echo batch-$((1 + 1))\n!false\npwd\n", 34),
	    34);
	close(fd);
	spawn_client(batch);
	expect("batch-2");
	expect("!false: exit status 1");
	ck_assert_int_eq(wait_exit(), 1);
	ck_assert_ptr_null(strstr(screen, "\r\n/\r\n"));
}
END_TEST

START_TEST(progress_turns_bars_off_and_on)
{
	spawn_client(NULL);
	expect("fs:/> ");
	type("progress\r");
	expect("progress bars off");
	expect("fs:/> ");
	type("get a.txt\r");
	expect("fs:/> ");
	ck_assert_int_eq(local_exists("a.txt"), 1);
	ck_assert_ptr_null(strstr(screen, "100%"));
	type("progress\r");
	expect("progress bars on");
	type("get unique_remote_name.txt\r");
	expect("100%");
	expect("fs:/> ");
	quit();
}
END_TEST

/*
 * Checks the bar's frames in screen[from..have), the stretches between
 * carriage returns and newlines with erase sequences taken out: each that
 * holds word must be at most width - 1 columns (the names here are
 * ASCII) and start with the name's first five characters.  Returns how
 * many there were.
 */
static int
frames_fit(size_t from, int width, const char *word, const char *name)
{
	char frame[1024], *p, *end, *k;
	int n = 0;

	screen[have] = '\0';
	for (p = screen + from; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		end = p + strcspn(p, "\r\n");
		snprintf(frame, sizeof(frame), "%.*s", (int)(end - p), p);
		while ((k = strstr(frame, "\033[K")) != NULL)
			memmove(k, k + 3, strlen(k + 3) + 1);
		if (strstr(frame, word) == NULL)
			continue;
		ck_assert_msg((int)strlen(frame) <= width - 1 &&
		    strncmp(frame, name, 5) == 0, "frame \"%s\" in %d columns",
		    frame, width);
		n++;
	}
	return n;
}

/* Starts "get name" of 64 MiB and freezes it once the bar is up;
 * returns where the bar's frames start on the screen. */
static size_t
stalled_bar(const char *name)
{
	static const char *const plain[] = { "--no-options", NULL };
	char huge[PATH_MAX * 2], path[PATH_MAX * 2], cmd[128];
	size_t from;
	pid_t child;

	snprintf(huge, sizeof(huge), "%s/huge", S.root);
	snprintf(path, sizeof(path), "%s/%s", S.root, name);
	ck_assert_int_eq(link(huge, path), 0);
	spawn_client(plain);
	expect("fs:/> ");
	snprintf(cmd, sizeof(cmd), "get %s\r", name);
	type(cmd);
	expect("\r\n");
	from = seen;
	expect("\rprogr");		/* the first frame */
	child = server_child();
	kill(child, SIGSTOP);
	return from;
}

START_TEST(bar_keeps_the_name_at_40_columns)
{
	const char *name = "progress_bar_name.bin";
	size_t from;

	cols = 40;
	from = stalled_bar(name);
	expect("stalled");
	/* Plain mode: no size, so no percent; every frame has these. */
	ck_assert_int_gt(frames_fit(from, 40, "ETA", name) +
	    frames_fit(from, 40, "stalled", name), 1);
	kill(server_child(), SIGCONT);
	type("\x03");
	expect("fs:/> ");
	quit();
}
END_TEST

START_TEST(bar_never_wraps_when_the_terminal_shrinks)
{
	const char *name = "progress_bar_name.bin";
	struct winsize ws = { 24, 40, 0, 0 };

	(void)stalled_bar(name);
	expect("_name.bin        ");	/* a wide frame */
	/* The kernel signals the resize; the brief says to send it too. */
	ck_assert_int_eq(ioctl(tty, TIOCSWINSZ, &ws), 0);
	kill(client_pid, SIGWINCH);
	/* Frames drawn five seconds after the freeze, long after it. */
	expect("stalled");
	expect("\r");
	ck_assert_int_gt(frames_fit(0, 40, "stalled", name), 0);
	kill(server_child(), SIGCONT);
	type("\x03");
	expect("fs:/> ");
	quit();
}
END_TEST

/* Columns of UTF-8 text: its bytes but continuation bytes. */
static int
text_columns(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/*
 * The last frame on the screen that holds word, from the carriage return
 * before it to the line's end, with erase sequences taken out.
 */
static void
last_frame(const char *word, char *out, size_t size)
{
	char *hit = NULL, *p, *start, *k;
	size_t len;

	screen[have] = '\0';
	for (p = screen; (p = strstr(p, word)) != NULL; p++)
		hit = p;
	ck_assert_msg(hit != NULL, "no frame with \"%s\"", word);
	for (start = hit; start > screen && start[-1] != '\r' &&
	    start[-1] != '\n'; start--)
		continue;
	len = strcspn(start, "\r\n");
	snprintf(out, size, "%.*s", (int)len, start);
	while ((k = strstr(out, "\033[K")) != NULL)
		memmove(k, k + 3, strlen(k + 3) + 1);
}

/* A long name at 60 columns: cut with an ellipsis, the rate kept. */
static void
summary_at_60_columns(const char *ellipsis)
{
	const char *name = "a_rather_long_name_for_the_progress_bar.bin";
	char huge[PATH_MAX * 2], path[PATH_MAX * 2], frame[1024];

	snprintf(huge, sizeof(huge), "%s/huge", S.root);
	snprintf(path, sizeof(path), "%s/%s", S.root, name);
	ck_assert_int_eq(link(huge, path), 0);
	cols = 60;
	spawn_client(NULL);
	expect("fs:/> ");
	type("get a_rather_long_name_for_the_progress_bar.bin\r");
	expect("verified xxh128\033[K\r\n");
	last_frame("verified xxh128", frame, sizeof(frame));
	ck_assert_msg(strncmp(frame, "a_rather", 8) == 0 &&
	    strstr(frame, ellipsis) != NULL && strstr(frame, "100%") &&
	    strstr(frame, "64.0MiB") != NULL && strstr(frame, "/s") != NULL &&
	    text_columns(frame) <= 57, "summary \"%s\" in 60 columns",
	    frame);
	expect("fs:/> ");
	quit();
}

START_TEST(bar_shortens_a_name_with_an_ellipsis)
{
	summary_at_60_columns("\u2026 ");
}
END_TEST

START_TEST(bar_shortens_with_dots_outside_utf8)
{
	lc_all = "C";
	summary_at_60_columns("... ");
}
END_TEST

/*
 * Ctrl-C during a transfer: the terminal echoes "^C" after the bar.  It
 * must fit on the bar's line (every frame leaves it two columns), and the
 * line is then cleared whole before the message, so no "ETA^" is left.
 */
START_TEST(ctrl_c_leaves_a_clean_line)
{
	static const char *const plain[] = { "--no-options", NULL };
	char *echo, *msg;
	size_t from;

	spawn_client(plain);
	expect("fs:/> ");
	type("get huge\r");
	expect("\r\n");
	from = seen;
	expect("huge ");
	expect(" ETA");			/* a whole frame */
	type("\x03");
	expect("get huge: interrupted");
	msg = screen + seen - strlen("get huge: interrupted");
	/* The frames hold the echo: with it, still short of the edge. */
	ck_assert_int_gt(frames_fit(from, cols, "ETA", "huge "), 0);
	*msg = '\0';
	echo = strstr(screen + from, "^C");
	ck_assert_msg(echo != NULL && strstr(echo, "\r\033[K") != NULL,
	    "no cleared line after the echo: %s", screen + from);
	*msg = 'g';
	expect("fs:/> ");
	quit();
}
END_TEST

/* get -a of a half-held file: the whole file's progress, and says so. */
START_TEST(a_resumed_get_shows_the_whole_file)
{
	static char half[32 << 20];
	char path[PATH_MAX * 2], frame[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/huge.part", local);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT, 0644), 0);
	ck_assert_int_eq(write(fd, half, sizeof(half)), (ssize_t)sizeof(half));
	close(fd);
	spawn_client(NULL);
	expect("fs:/> ");
	type("get -a huge\r");
	expect("resumed at 32.0MiB, verified xxh128\033[K\r\n");
	last_frame("verified xxh128", frame, sizeof(frame));
	ck_assert_msg(strstr(frame, " 100% ") != NULL &&
	    strstr(frame, " 64.0MiB ") != NULL, "summary \"%s\"", frame);
	expect("fs:/> ");
	ck_assert_int_eq(local_exists("huge"), 1);
	ck_assert_int_eq(local_exists("huge.part"), 0);
	quit();
}
END_TEST

/*
 * A server of the test's own, for what the real one never does: after
 * the greeting it answers a listing with silence, or (trickle) with one
 * full block a second for ever.  It speaks the plain protocol only, so
 * clients of it run with --no-options.  Sets port.
 */
static void
fake_server(int trickle)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	uint8_t buf[600], data[512];
	struct conn c;
	struct pkt p;
	uint16_t block;
	int l, fd;

	ck_assert_int_ge(l = socket(AF_INET, SOCK_STREAM, 0), 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 4), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	port = ntohs(a.sin_port);
	ck_assert_int_eq(pipe(fake_ready), 0);
	/* Lines "f 1 1 zzzzzzzzz": valid, and matching no word typed. */
	for (block = 0; block < sizeof(data); block++)
		data[block] = block % 16 == 15 ? '\n' : block % 16 < 6 ?
		    "f 1 1 "[block % 16] : 'z';
	ck_assert_int_ge(fake_pid = fork(), 0);
	if (fake_pid > 0) {
		close(l);
		return;
	}
	alarm(120);
	while ((fd = accept(l, NULL, NULL)) != -1) {
		if (conn_init(&c, fd, NULL, NULL) == -1 ||
		    conn_send(&c, buf, (size_t)pkt_encode_dat(buf, sizeof(buf),
		    1, "Hello", 5)) != CONN_OK)
			_exit(20);
		while (conn_recv(&c, BLKSIZE_MAX, &p) == CONN_OK) {
			if (p.op != PKT_DRQ)
				continue;
			if (write(fake_ready[1], "r", 1) != 1)
				_exit(21);
			for (block = 1; trickle; block++) {
				if (conn_send(&c, buf, (size_t)pkt_encode_dat(buf,
				    sizeof(buf), block, data, sizeof(data))) !=
				    CONN_OK || conn_recv(&c, BLKSIZE_MAX, &p) !=
				    CONN_OK)
					break;
				sleep(1);
			}
		}
		conn_free(&c);
		close(fd);
	}
	_exit(0);
}

/* Waits (bounded) until the fake server has been asked for a listing. */
static void
fake_asked(void)
{
	struct pollfd pfd = { 0, POLLIN, 0 };
	char b;

	pfd.fd = fake_ready[0];
	ck_assert_int_eq(poll(&pfd, 1, EXPECT_SECONDS * 1000), 1);
	ck_assert_int_eq(read(fake_ready[0], &b, 1), 1);
}

START_TEST(ctrl_c_ends_a_completion_that_waits)
{
	static const char *const plain[] = { "--no-options", NULL };

	fake_server(0);
	spawn_client(plain);
	expect("fs:/> ");
	type("get a\t");
	fake_asked();
	/* The -t timeout is 60 s: only Ctrl-C brings the prompt back. */
	type("\x03");
	expect("^C");
	expect("fs:/> ");
	quit();
}
END_TEST

START_TEST(a_trickling_completion_is_bounded)
{
	static const char *const plain[] = { "--no-options", "-t", "5",
	    NULL };

	fake_server(1);
	spawn_client(plain);
	expect("fs:/> ");
	type("get a\t");
	fake_asked();
	/* Every block within -t; the listing never ends by itself. */
	expect("the listing took over 10 s");
	expect("fs:/> get a");		/* the line kept, prompt again */
	type("\x03");
	expect("fs:/> ");
	quit();
}
END_TEST

/* The tokenizer alone (words.h): what a line gives the commands. */
static void
split_is(const char *line, int argc, const char *arg1)
{
	struct words w;

	ck_assert_int_eq(words_split(line, &w), 0);
	ck_assert_int_eq(w.argc, argc);
	if (argc > 1)
		ck_assert_msg(strcmp(w.argv[1], arg1) == 0, "%s: got \"%s\", "
		    "wanted \"%s\"", line, w.argv[1], arg1);
}

START_TEST(words_follow_the_pattern_rule)
{
	char line[WORDS_LINE_MAX + 2];
	struct words w;
	int i;

	split_is("get 'a*b'", 2, "a\\*b");
	split_is("get a\\*b", 2, "a\\*b");
	split_is("get *.txt", 2, "*.txt");
	split_is("get \"my file\"", 2, "my file");
	split_is("get a\\ b", 2, "a b");
	split_is("get \"a*b\"", 2, "a\\*b");
	split_is("get \"a\\*b\"", 2, "a\\*b");
	split_is("get \"a\\?\\[\"", 2, "a\\?\\[");
	split_is("get 'a\\b'", 2, "a\\\\b");
	split_is("get a\\\\b", 2, "a\\\\b");
	split_is("get \"a\\\\b\"", 2, "a\\\\b");
	split_is("get a\\", 2, "a\\\\");
	split_is("get \"a\\\"b\"", 2, "a\"b");
	split_is("get it\\'s", 2, "it's");
	split_is("get 'it'\\''s'", 2, "it's");
	split_is("get [ab]?", 2, "[ab]?");
	split_is("get '[ab]?'", 2, "\\[ab]\\?");
	split_is("get a\\b", 2, "ab");
	split_is("get 日本語\\ x", 2, "日本語 x");
	split_is("  get\tone  two ", 3, "one");
	split_is("", 0, NULL);
	ck_assert_int_eq(words_split("get \"open", &w), 0);
	ck_assert_int_eq(w.open_last, 1);
	ck_assert_int_eq(w.quote, '"');
	ck_assert_int_eq(words_split("get 'a' ", &w), 0);
	ck_assert_int_eq(w.open_last, 0);
	ck_assert_int_eq(w.quote, 0);
	/* Bounded: words and bytes. */
	ck_assert_int_eq(words_split("a b c d e f g h i j k l m n o p",
	    &w), 0);
	ck_assert_int_eq(words_split("a b c d e f g h i j k l m n o p q",
	    &w), -1);
	for (i = 0; i < WORDS_LINE_MAX; i++)
		line[i] = i % 2 ? '*' : '\'';	/* every byte doubled */
	line[WORDS_LINE_MAX] = '\0';
	ck_assert_int_eq(words_split(line, &w), 0);
	line[WORDS_LINE_MAX] = 'x';
	line[WORDS_LINE_MAX + 1] = '\0';
	ck_assert_int_eq(words_split(line, &w), -1);
}
END_TEST

/*
 * words_quote is the inverse: any name, after any opening, splits back
 * to itself once the pattern layer takes the escapes out.
 */
START_TEST(quoted_names_split_back)
{
	static const char *const names[] = { "my file", "it's", "a*b?[c]",
	    "back\\slash", "dq\"x", "日本語 x", "tab\there", "'\"\\*" };
	static const char quotes[] = { 0, '\'', '"' };
	char q[256], line[512], word[256], open[2] = { 0, 0 };
	struct words w;
	size_t i, j;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (j = 0; j < sizeof(quotes); j++) {
			ck_assert_int_ge(words_quote(q, sizeof(q), names[i],
			    quotes[j]), 0);
			open[0] = quotes[j];
			snprintf(line, sizeof(line), "get %s%s%s x", open, q,
			    open);
			ck_assert_int_eq(words_split(line, &w), 0);
			ck_assert_int_eq(w.argc, 3);
			ck_assert_int_eq(pattern_unescape(w.argv[1], word,
			    sizeof(word)), 0);
			ck_assert_msg(strcmp(word, names[i]) == 0, "%s gave "
			    "\"%s\"", line, word);
		}
	ck_assert_int_eq(words_quote(q, 4, "abcd", 0), -1);
	ck_assert_str_eq(q, "abc");
	ck_assert_int_eq(words_quote(q, 3, "a b", 0), -1);
	ck_assert_str_eq(q, "a");
}
END_TEST

/*
 * A slow link in front of the server: the delay relay (DELAY_BIN) at
 * 5 ms each way and 2 MB/s, in a process group of its own so that its
 * connections' children go with it.  Returns its port.
 */
static unsigned
slow_link(void)
{
	char portstr[16], line[64];
	struct pollfd pfd;
	const char *bin = getenv("DELAY_BIN");
	unsigned p = 0;
	ssize_t n;
	size_t got = 0;
	int out[2];

	ck_assert_ptr_nonnull(bin);
	ck_assert_int_eq(pipe(out), 0);
	snprintf(portstr, sizeof(portstr), "%u", S.port);
	link_pgid = fork();
	ck_assert_int_ge(link_pgid, 0);
	if (link_pgid == 0) {
		setpgid(0, 0);
		dup2(out[1], STDOUT_FILENO);
		execl(bin, "delay", "-d", "5", "-r", "2000000", portstr,
		    (char *)NULL);
		_exit(127);
	}
	setpgid(link_pgid, link_pgid);
	close(out[1]);
	pfd.fd = out[0];
	pfd.events = POLLIN;
	while (got < sizeof(line) - 1 && sscanf(line, "delay port %u", &p) !=
	    1) {
		ck_assert_int_eq(poll(&pfd, 1, EXPECT_SECONDS * 1000), 1);
		n = read(out[0], line + got, sizeof(line) - 1 - got);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
		line[got] = '\0';
	}
	close(out[0]);
	ck_assert_uint_gt(p, 0);
	return p;
}

static void
link_stop(void)
{
	int status;

	if (link_pgid > 0) {
		kill(-link_pgid, SIGKILL);
		waitpid(link_pgid, &status, 0);
		link_pgid = 0;
	}
	port = 0;
}

/* Regular files under dir: how many, and whether each is size bytes. */
static int
whole_files(const char *dir, off_t size, int *all_whole)
{
	char path[PATH_MAX * 2];
	struct dirent *d;
	struct stat st;
	DIR *dp;
	int n = 0;

	*all_whole = 1;
	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		n++;
		*all_whole &= st.st_size == size;
	}
	closedir(dp);
	return n;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Ctrl-C during a pipelined get -r, put -r and get PATTERN (issue 23),
 * over a slow link: back at the prompt at once, what was done said, only whole files
 * on either side, and no file started afterwards.  "At once" is a second
 * on a quiet machine; the bound is three, as a machine busy with other
 * suites took 1.1 s, and a command that went on would take the rest of
 * the tree over the slow link, far longer.
 */
START_TEST(ctrl_c_stops_a_tree_at_once)
{
	static char data[200000];
	char path[PATH_MAX * 2], name[64];
	struct timespec t0;
	int i, n, n2, whole;
	long ms;

	memset(data, 't', sizeof(data));
	snprintf(path, sizeof(path), "%s/t", S.root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/up", local);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "t/f%02d", i);
		harness_write_file(&S, name, data, sizeof(data));
		snprintf(path, sizeof(path), "%s/up/f%02d", local, i);
		n = open(path, O_WRONLY | O_CREAT, 0644);
		ck_assert_int_eq(write(n, data, sizeof(data)),
		    (ssize_t)sizeof(data));
		close(n);
	}
	port = slow_link();
	spawn_client(NULL);
	expect("fs:/> ");
	type("get -r t\r");
	expect("100%");			/* a first file is in */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	type("\x03");
	expect("get: interrupted: ");
	expect("fs:/> ");
	ms = ms_since(&t0);
	ck_assert_msg(ms < 3000, "get -r: %ld ms to the prompt", ms);
	snprintf(path, sizeof(path), "%s/t", local);
	n = whole_files(path, sizeof(data), &whole);
	ck_assert_msg(n > 0 && n < 30 && whole, "get -r: %d files", n);
	usleep(300000);
	ck_assert_int_eq(whole_files(path, sizeof(data), &whole), n);

	type("put -r up\r");
	expect("100%");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	type("\x03");
	expect("put: interrupted: ");
	expect("fs:/> ");
	ms = ms_since(&t0);
	ck_assert_msg(ms < 3000, "put -r: %ld ms to the prompt", ms);
	snprintf(path, sizeof(path), "%s/up", S.root);
	usleep(300000);
	n = whole_files(path, sizeof(data), &whole);
	ck_assert_msg(n < 30 && whole, "put -r: %d files", n);
	usleep(300000);
	n2 = whole_files(path, sizeof(data), &whole);
	ck_assert_int_eq(n2, n);

	/* A pattern's matches go as one pipeline too. */
	snprintf(path, sizeof(path), "%s/pat", local);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	type("get t/f* pat\r");
	expect("100%");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	type("\x03");
	expect("get: interrupted: ");
	expect("fs:/> ");
	ms = ms_since(&t0);
	ck_assert_msg(ms < 3000, "get t/f*: %ld ms to the prompt", ms);
	n = whole_files(path, sizeof(data), &whole);
	ck_assert_msg(n > 0 && n < 30 && whole, "get t/f*: %d files", n);
	usleep(300000);
	ck_assert_int_eq(whole_files(path, sizeof(data), &whole), n);
	quit();
	link_stop();
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
	tcase_add_test(tc, ctrl_c_at_the_prompt_discards_the_line);
	tcase_add_test(tc, completed_names_run_as_shown);
	tcase_add_test(tc, completion_lists_in_columns);
	tcase_add_test(tc, completion_asks_before_a_long_list);
	tcase_add_test(tc, completion_sorts_as_ls_does);
	tcase_add_test(tc, a_dash_name_completes_as_a_name);
	tcase_add_test(tc, utf8_local_names_typed_and_completed);
	tcase_add_test(tc, utf8_remote_names_completed);
	tcase_add_test(tc, history_is_kept_across_sessions);
	tcase_add_test(tc, bang_runs_a_local_command);
	tcase_add_test(tc, progress_turns_bars_off_and_on);
	tcase_add_test(tc, bar_keeps_the_name_at_40_columns);
	tcase_add_test(tc, bar_never_wraps_when_the_terminal_shrinks);
	tcase_add_test(tc, bar_shortens_a_name_with_an_ellipsis);
	tcase_add_test(tc, bar_shortens_with_dots_outside_utf8);
	tcase_add_test(tc, ctrl_c_leaves_a_clean_line);
	tcase_add_test(tc, a_resumed_get_shows_the_whole_file);
	tcase_add_test(tc, ctrl_c_ends_a_completion_that_waits);
	tcase_add_test(tc, a_trickling_completion_is_bounded);
	tcase_add_test(tc, ctrl_c_stops_a_tree_at_once);
	suite_add_tcase(s, tc);
	tc = tcase_create("tokenizer");
	tcase_add_test(tc, words_follow_the_pattern_rule);
	tcase_add_test(tc, quoted_names_split_back);
	suite_add_tcase(s, tc);
	return s;
}
