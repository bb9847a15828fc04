/*
 * The server's processes, end to end: its log lines, no zombie after
 * many sessions, SIGTERM ending the children with nothing left behind,
 * -q, and the process title that ps shows.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fixture.h"
#include "check_main.h"

START_TEST(ipv6_and_log_lines)
{
	struct conn c;
	struct pkt p;
	int f = harness_dial(&S, 1);

	conn_init(&c, f, NULL, NULL);
	ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
	conn_free(&c);
	close(f);
	harness_expect_fetch_err(&C, "nope", ERR_NOT_FOUND);
	ck_assert(harness_log_has(&S, "] Received a connection from "
	    "127.0.0.1, port "));
	ck_assert(harness_log_has(&S, "] Received a connection from ::1, "
	    "port "));
	ck_assert(harness_log_has(&S, "] Sent ERR 1: File not found"));
	ck_assert(harness_log_has(&S, "] RRQ \"nope\" 0 bytes "));
}
END_TEST

START_TEST(no_zombies_after_many_sessions)
{
	struct conn c;
	int i, f;

	for (i = 0; i < 30; i++) {
		f = fixture_another(&c);
		conn_free(&c);
		close(f);
	}
	harness_end_session(&C, &fd);
	harness_wait_no_children(&S, 10);
}
END_TEST

START_TEST(sigterm_stops_children_and_port_rebinds)
{
	struct conn c;
	int f, before;

	fixture_start(NULL);
	before = harness_entries(S.root);
	f = harness_session(&S, &c);
	harness_start_upload(&c, "abandoned");
	harness_send_dat(&c, 1, 512);
	{
		struct pkt p;

		ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
		ck_assert_uint_eq(p.u.ack.block, 1);
	}
	ck_assert_int_eq(harness_stop(&S), 0);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
	ck_assert_int_eq(harness_exists(&S, "abandoned"), 0);
	ck_assert_int_eq(harness_entries(S.root), before);
	/* The same port, at once. */
	harness_start(&S, NULL);
	ck_assert_int_eq(harness_stop(&S), 0);
}
END_TEST

START_TEST(quiet_keeps_only_the_listening_line)
{
	static const char *const args[] = { "-q", NULL };
	struct stat st;

	fixture_start(args);
	fd = harness_session(&S, &C);
	harness_expect_fetch_err(&C, "nope", ERR_NOT_FOUND);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	ck_assert_int_eq(stat(S.log, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
}
END_TEST

START_TEST(ps_shows_peer_and_operation)
{
	char path[64], title[512];
	pid_t child;
	ssize_t n;
	int f, i;

	fixture_start(NULL);
	fd = harness_session(&S, &C);
	ck_assert_int_gt(child = harness_newest_child(&S), 0);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)child);
	for (i = 0; i < 200; i++) {
		f = open(path, O_RDONLY);
		n = read(f, title, sizeof(title) - 1);
		close(f);
		title[n > 0 ? n : 0] = '\0';
		if (strstr(title, "idle") != NULL)
			break;
		usleep(10000);
	}
	ck_assert_msg(strstr(title, "127.0.0.1 port ") != NULL &&
	    strstr(title, ": idle") != NULL, "title: %s", title);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("server process");
	TCase *tc;

	tc = tcase_create("sessions");
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ipv6_and_log_lines);
	tcase_add_test(tc, no_zombies_after_many_sessions);
	suite_add_tcase(s, tc);

	tc = tcase_create("own servers");
	tcase_add_checked_fixture(tc, fixture_plain_setup, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sigterm_stops_children_and_port_rebinds);
	tcase_add_test(tc, quiet_keeps_only_the_listening_line);
	tcase_add_test(tc, ps_shows_peer_and_operation);
	suite_add_tcase(s, tc);
	return s;
}
