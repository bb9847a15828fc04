/*
 * Load and slow clients against the real server: many sessions in a row,
 * a crowd past -c, clients that trickle or stop reading.  Afterwards no
 * zombie, and the parent's descriptors and memory where they started.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "harness.h"
#include "check_main.h"

static struct server S;
static int fds_before;
static long rss_before;

static int
parent_fds(void)
{
	char path[64];
	struct dirent *d;
	DIR *dp;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)S.pid);
	ck_assert_ptr_nonnull(dp = opendir(path));
	while ((d = readdir(dp)) != NULL)
		if (d->d_name[0] != '.')
			n++;
	closedir(dp);
	return n;
}

static long
parent_rss_kib(void)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)S.pid);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		/*
		 * Anonymous memory only: a leak grows it, while the pages
		 * of shared libraries a path first runs (the dynamic
		 * server's libc) are file-backed and say nothing.
		 */
		if (sscanf(line, "RssAnon: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void
start(const char *const *args)
{
	static char big[1 << 20];
	int i;

	harness_dirs(&S);
	harness_write_file(&S, "small", "small\n", 6);
	memset(big, 'b', sizeof(big));
	harness_write_file(&S, "big", big, sizeof(big));
	/* 32 MiB: more than the socket buffers of both ends hold. */
	{
		char path[PATH_MAX * 2];
		int fd;

		snprintf(path, sizeof(path), "%s/huge", S.root);
		fd = open(path, O_WRONLY | O_CREAT, 0644);
		for (i = 0; i < 32; i++)
			ck_assert_int_eq(write(fd, big, sizeof(big)),
			    (ssize_t)sizeof(big));
		close(fd);
	}
	harness_start(&S, args);
	/* One session first, so lazily set up state is in the baseline. */
	{
		struct conn c;
		char *d;
		uint16_t code;
		int fd = harness_session(&S, &c);

		harness_fetch(&c, PKT_RRQ, "small", &d, &code);
		free(d);
		conn_free(&c);
		close(fd);
	}
	/* Reaped: the parent is past that connection (it held 15 fds, not
	 * 14, when counted as the child ended, on a busy machine). */
	harness_wait_no_children(&S, 20);
	fds_before = parent_fds();
	rss_before = parent_rss_kib();
}

/* No children left, no zombie, the parent as it was. */
static void
settled(void)
{
	harness_wait_no_children(&S, 20);
	ck_assert_int_eq(parent_fds(), fds_before);
	/* Resident memory may differ by a page or two of stack, no more. */
	ck_assert_msg(parent_rss_kib() <= rss_before + 16,
	    "parent RSS %ld KiB, was %ld", parent_rss_kib(), rss_before);
}

static void
teardown(void)
{
	harness_cleanup(&S);
}

static void
fetch_small(void)
{
	struct conn c;
	char *d;
	uint16_t code;
	int fd = harness_session(&S, &c);

	ck_assert_int_eq(harness_fetch(&c, PKT_RRQ, "small", &d, &code), 6);
	ck_assert_mem_eq(d, "small\n", 6);
	free(d);
	conn_free(&c);
	close(fd);
}

START_TEST(a_thousand_sessions_in_a_row)
{
	int i;

	start(NULL);
	for (i = 0; i < 1000; i++)
		fetch_small();
	settled();
}
END_TEST

START_TEST(fifty_downloads_at_once_byte_correct)
{
	static const char *const args[] = { "-c", "64", "-p", "64", NULL };
	static char want[1 << 20];
	pid_t pids[50];
	int i, status, ok = 0;

	memset(want, 'b', sizeof(want));
	start(args);
	/* Fifty processes, each a session, all at once. */
	for (i = 0; i < 50; i++) {
		if ((pids[i] = fork()) == 0) {
			struct conn c;
			char *d;
			uint16_t code;
			int f = harness_session(&S, &c);
			ssize_t n = harness_fetch(&c, PKT_RRQ, "big", &d, &code);

			_exit(n == (ssize_t)sizeof(want) &&
			    memcmp(d, want, sizeof(want)) == 0 ? 0 : 1);
			(void)f;
		}
	}
	for (i = 0; i < 50; i++) {
		waitpid(pids[i], &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	}
	ck_assert_int_eq(ok, 50);
	settled();
}
END_TEST

START_TEST(two_hundred_at_once_against_64)
{
	static const char *const args[] = { "-c", "64", "-p", "256", NULL };
	static char log[1 << 20];
	struct conn c[200];
	struct pkt p;
	const char *at;
	int fd[200], i, greeted = 0, busy = 0, made_room = 0;

	start(args);
	/* The baseline session's child must be gone, or it takes a place. */
	harness_wait_no_children(&S, 20);
	for (i = 0; i < 200; i++) {
		fd[i] = harness_dial(&S, 0);
		conn_init(&c[i], fd[i], NULL, NULL);
	}
	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(harness_recv(&c[i], &p), CONN_OK);
		if (p.op == PKT_DAT)
			greeted++;
		else if (p.op == PKT_ERR && p.u.err.code == 9)
			busy++;
	}
	/*
	 * A greeted session waits for its ACK 1 as for a request: on a
	 * machine slow enough that the accepts outlast 2 s, a later
	 * connection is served in its place (docs/protocol.md, "Making
	 * room").  The parent logs each before it serves the newcomer,
	 * whose greeting the loop above has read.
	 */
	harness_read_log(&S, log, sizeof(log));
	for (at = log; (at = strstr(at, "] Making room: ")) != NULL; at++)
		made_room++;
	ck_assert_int_eq(greeted, 64 + made_room);
	ck_assert_int_eq(busy, 136 - made_room);
	for (i = 0; i < 200; i++) {
		conn_free(&c[i]);
		close(fd[i]);
	}
	settled();
}
END_TEST

START_TEST(trickling_clients_dropped_others_served)
{
	static const char *const args[] = { "-t", "2", "-c", "100", "-p",
	    "100", NULL };
	struct conn c[64];
	struct pkt p;
	struct pollfd pfd;
	int fd[64], got[64], i, round, dropped = 0;

	start(args);
	for (i = 0; i < 64; i++) {
		fd[i] = harness_session(&S, &c[i]);
		got[i] = 0;
	}
	/* One byte a second of an RRQ that never ends, for six seconds;
	 * a normal client is served every round meanwhile. */
	for (round = 0; round < 6; round++) {
		for (i = 0; i < 64; i++) {
			pfd.fd = fd[i];
			pfd.events = POLLIN;
			if (got[i] || poll(&pfd, 1, 0) == 1) {
				got[i] = 1;
				continue;
			}
			(void)send(fd[i], round == 0 ? "\0" : round == 1 ?
			    "\1" : "a", 1, MSG_NOSIGNAL);
		}
		fetch_small();
		sleep(1);
	}
	for (i = 0; i < 64; i++) {
		if (harness_recv(&c[i], &p) == CONN_OK && p.op == PKT_ERR &&
		    p.u.err.code == 5)
			dropped++;
		conn_free(&c[i]);
		close(fd[i]);
	}
	ck_assert_int_eq(dropped, 64);
	settled();
}
END_TEST

START_TEST(clients_that_stop_reading)
{
	static const char *const args[] = { "-t", "2", NULL };
	static const struct pkt_opt flood[2] = {
		{ "blksize", "65464" }, { "windowsize", "65535" },
	};
	uint8_t req[600];
	struct conn c[8];
	int fd[8], i;
	ssize_t n;

	start(args);
	for (i = 0; i < 8; i++) {
		fd[i] = harness_session(&S, &c[i]);
		/* One window holds the whole file: the server sends until
		 * the socket is full. */
		n = pkt_encode_opt(req, sizeof(req), PKT_OPT, flood, 2);
		n += pkt_encode_req(req + n, sizeof(req) - (size_t)n, PKT_RRQ,
		    "huge");
		harness_send(fd[i], req, (size_t)n);
	}
	/* Never read: each child blocks sending, then times out and goes,
	 * while the clients still hold their sockets open. */
	harness_wait_no_children(&S, 10);
	fetch_small();
	for (i = 0; i < 8; i++) {
		conn_free(&c[i]);
		close(fd[i]);
	}
	settled();
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("load");
	TCase *tc = tcase_create("load");

	tcase_add_unchecked_fixture(tc, NULL, NULL);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, a_thousand_sessions_in_a_row);
	tcase_add_test(tc, fifty_downloads_at_once_byte_correct);
	tcase_add_test(tc, two_hundred_at_once_against_64);
	tcase_add_test(tc, trickling_clients_dropped_others_served);
	tcase_add_test(tc, clients_that_stop_reading);
	suite_add_tcase(s, tc);
	return s;
}
