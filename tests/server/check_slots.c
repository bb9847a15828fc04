/*
 * Slots held cheaply (issue 25, item 3; docs/protocol.md, "Making
 * room"): with -c reached, the session that has waited longest for a
 * request, two seconds or more, is closed with ERR 9 so that a newcomer
 * is served; a session in a transfer never is; a PROXY connection that
 * sends no header is closed after a short time of its own.  Every wait
 * is bounded, and every time asserted is a lower bound the server keeps.
 */
#include <check.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "check_main.h"

#define HOLDERS		64
#define ROOM_IDLE_MIN_MS 10000	/* server/listener.c */
#define PROXY_HEADER_MS	5000	/* server/child.c */
#define TRIES		200	/* of 100 ms: the longest a retry loop runs */

static struct server S;

static void
setup(void)
{
	char dir[PATH_MAX + 8];

	harness_dirs(&S);
	harness_write_file(&S, "a.txt", "hello\n", 6);
	snprintf(dir, sizeof(dir), "%s/empty", S.root);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
}

static void
teardown(void)
{
	harness_cleanup(&S);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The cheap request a holder sends: DRQ of an empty directory. */
static void
list_empty(struct conn *c)
{
	char *data = NULL;
	uint16_t code = 0;

	ck_assert_int_eq(harness_fetch(c, PKT_DRQ, "empty", &data, &code), 0);
	free(data);
}

static void
fetch_hello(struct conn *c)
{
	char *data = NULL;
	uint16_t code = 0;

	ck_assert_int_eq(harness_fetch(c, PKT_RRQ, "a.txt", &data, &code), 6);
	ck_assert_mem_eq(data, "hello\n", 6);
	free(data);
}

/*
 * Dials until the server greets rather than refusing with ERR 9, every
 * 100 ms up to TRIES; returns the socket, greeted, with *c set up.
 */
static int
dial_until_greeted(struct conn *c)
{
	struct pkt p;
	int f, i;

	for (i = 0; i < TRIES; i++) {
		f = harness_dial(&S, 0);
		ck_assert_int_eq(conn_init(c, f, NULL, NULL), 0);
		ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
		if (p.op == PKT_DAT) {
			harness_send(f, "\x00\x04\x00\x01", 4);	/* ACK 1 */
			return f;
		}
		ck_assert_uint_eq(p.u.err.code, ERR_BUSY);
		ck_assert_str_eq(p.u.err.msg,
		    "Server busy: too many connections");
		conn_free(c);
		close(f);
		usleep(100000);
	}
	ck_abort_msg("still refused after %d tries", TRIES);
	return -1;
}

/* The session was closed to make room: the documented ERR 9, then EOF. */
static void
expect_made_room(struct conn *c)
{
	struct pkt p;

	ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ERR);
	ck_assert_uint_eq(p.u.err.code, ERR_BUSY);
	ck_assert_str_eq(p.u.err.msg,
	    "Server busy: closed to make room for another session");
	harness_expect_closed(c);
}

/*
 * 64 holders take every slot of -c 64 (-p 100, -t 60) with one cheap
 * request each.  A newcomer is refused until they have waited the
 * minimum, then served: the longest waiting holder gets ERR 9 and is
 * closed, and every other holder is still served.
 */
START_TEST(newcomer_served_while_holders_keep_every_slot)
{
	const char *args[] = { "-c", "64", "-p", "100", "-t", "60", NULL };
	struct conn hc[HOLDERS], c;
	struct pollfd pfd[HOLDERS];
	int hf[HOLDERS], f, i, n, closed = -1;
	int64_t first;

	harness_start(&S, args);
	first = now_ms();
	for (i = 0; i < HOLDERS; i++) {
		hf[i] = harness_session(&S, &hc[i]);
		list_empty(&hc[i]);
	}
	f = dial_until_greeted(&c);
	/* The first holder's wait began after the test sent its request. */
	ck_assert_int_ge(now_ms() - first, ROOM_IDLE_MIN_MS);
	fetch_hello(&c);
	ck_assert(harness_log_has(&S, "Making room: closing the session of "
	    "127.0.0.1"));
	/* Exactly one holder was closed, and it was told why. */
	for (i = 0; i < HOLDERS; i++) {
		pfd[i].fd = hf[i];
		pfd[i].events = POLLIN;
	}
	n = poll(pfd, HOLDERS, 20000);
	ck_assert_int_ge(n, 1);
	for (i = 0; i < HOLDERS; i++) {
		if (pfd[i].revents == 0)
			continue;
		ck_assert_int_eq(closed, -1);
		closed = i;
		expect_made_room(&hc[i]);
	}
	ck_assert_int_ne(closed, -1);
	for (i = 0; i < HOLDERS; i++) {
		if (i != closed)
			list_empty(&hc[i]);
		harness_end_session(&hc[i], &hf[i]);
	}
	harness_end_session(&c, &f);
}
END_TEST

/*
 * A session in a transfer is never closed to make room, however long it
 * has been in it; once it waits for a request, it is.
 */
START_TEST(session_in_a_transfer_is_never_closed_to_make_room)
{
	const char *args[] = { "-c", "1", "-t", "60", NULL };
	struct conn a, b, c;
	struct pkt p;
	int64_t asked;
	int fa, fb, fc;

	harness_start(&S, args);
	fa = harness_session(&S, &a);
	/* DAT 1 (the whole file), and no ACK yet: the transfer goes on. */
	harness_send_req(&a, PKT_RRQ, "a.txt");
	ck_assert_int_eq(harness_recv(&a, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	usleep((ROOM_IDLE_MIN_MS + 500) * 1000);
	fb = harness_dial(&S, 0);
	ck_assert_int_eq(conn_init(&b, fb, NULL, NULL), 0);
	harness_expect_err(&b, ERR_BUSY);
	harness_end_session(&b, &fb);
	ck_assert(!harness_log_has_now(&S, "Making room"));
	/* The transfer ends; the wait for a request begins. */
	asked = now_ms();
	harness_send(fa, "\x00\x04\x00\x01", 4);	/* ACK 1 */
	fc = dial_until_greeted(&c);
	ck_assert_int_ge(now_ms() - asked, ROOM_IDLE_MIN_MS);
	expect_made_room(&a);
	fetch_hello(&c);
	harness_end_session(&a, &fa);
	harness_end_session(&c, &fc);
}
END_TEST

/* A PROXY connection that sends nothing is closed within a short time. */
START_TEST(silent_proxy_connection_closed_after_its_own_short_time)
{
	const char *args[] = { "--proxy-protocol", "-t", "60", NULL };
	struct conn s;
	int64_t start;
	int f;

	harness_start(&S, args);
	start = now_ms();
	f = harness_dial(&S, 0);
	ck_assert_int_eq(conn_init(&s, f, NULL, NULL), 0);
	/* Within harness_recv's 20 s, far below the 60 s idle timeout. */
	harness_expect_closed(&s);
	ck_assert_int_ge(now_ms() - start, PROXY_HEADER_MS);
	ck_assert(harness_log_has(&S, "Closed: no PROXY header within 5 s"));
	harness_end_session(&s, &f);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("slots");
	TCase *tc = tcase_create("making room");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, newcomer_served_while_holders_keep_every_slot);
	tcase_add_test(tc, session_in_a_transfer_is_never_closed_to_make_room);
	tcase_add_test(tc,
	    silent_proxy_connection_closed_after_its_own_short_time);
	suite_add_tcase(s, tc);
	return s;
}
