/*
 * Slots held cheaply (issue 25, item 3; docs/protocol.md, "Making
 * room"): with -c reached, a newcomer from an address holding two
 * sessions fewer than another's takes a slot of that one at once; else
 * the session that has waited longest for a request, 10 s or more, is
 * closed with ERR 9 so that a newcomer is served; a session in a
 * transfer never is; a PROXY connection that sends no header is closed
 * after a short time of its own.  The choice itself (server/room.c) is
 * tested alone.  Every wait is bounded, and every time asserted is a
 * lower bound the server keeps.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "room.h"
#include "check_main.h"

#define HOLDERS		64
#define PROXY_HEADER_MS	5000	/* server/child.c */
#define TRIES		200	/* of 100 ms: the longest a retry loop runs */
#define HOLD_PERIOD_MS	1000	/* an adversarial holder's requests */
#define LEGIT_ADDR	"127.0.0.2"	/* another client's address */

static struct server S;
static pid_t holders_pid = -1;	/* the adversarial holders' process */

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
	if (holders_pid > 0) {
		kill(holders_pid, SIGKILL);
		(void)waitpid(holders_pid, NULL, 0);
		holders_pid = -1;
	}
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

/* A socket from address from (a loopback one) to the server, or -1. */
static int
dial_raw(const char *from)
{
	struct timeval tv = { 20, 0 };
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	if (inet_pton(AF_INET, from, &a.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		close(fd);
		return -1;
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)S.port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
dial_from(const char *from)
{
	int fd = dial_raw(from);

	ck_assert_msg(fd != -1, "dial from %s: %s", from, strerror(errno));
	return fd;
}

/*
 * Dials until the server greets rather than refusing with ERR 9, every
 * 100 ms up to TRIES; returns the socket, greeted, with *c set up.
 */
static int
dial_until_greeted_from(struct conn *c, const char *from)
{
	struct pkt p;
	int f, i;

	for (i = 0; i < TRIES; i++) {
		f = from != NULL ? dial_from(from) : harness_dial(&S, 0);
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

static int
dial_until_greeted(struct conn *c)
{
	return dial_until_greeted_from(c, NULL);
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

/* What the adversarial holders did, shared with the test. */
struct holders_tally {
	volatile int sessions;		/* greeted and not closed */
	volatile int closed;		/* closed to make room */
	volatile int refused;		/* reconnections refused */
	volatile int requests;		/* requests answered */
};

struct holder {
	int fd;
	struct conn c;
	int greeted;			/* past the greeting */
	int asked;			/* a request in flight */
	int64_t next;			/* when to connect or ask next */
};

/* A holder's session ended (ERR or close): reconnect at once. */
static void
holder_drop(struct holder *h, struct holders_tally *t, const struct pkt *p)
{
	int busy = p != NULL && p->op == PKT_ERR && p->u.err.code == ERR_BUSY;

	if (h->greeted) {
		t->sessions--;
		if (busy)
			t->closed++;
	} else if (busy) {
		t->refused++;
	}
	/* At once; 10 ms after a refusal, so the loop spins no CPU away. */
	h->next = now_ms() + (h->greeted ? 0 : 10);
	conn_free(&h->c);
	close(h->fd);
	h->fd = -1;
	h->greeted = h->asked = 0;
}

/* One packet from the server to a holder. */
static void
holder_read(struct holder *h, struct holders_tally *t)
{
	struct pkt p;

	if (conn_recv(&h->c, BLKSIZE_MAX, &p) != CONN_OK) {
		holder_drop(h, t, NULL);
		return;
	}
	if (p.op != PKT_DAT || conn_send_ack(&h->c, p.u.dat.block) !=
	    CONN_OK) {
		holder_drop(h, t, &p);
		return;
	}
	if (!h->greeted) {
		h->greeted = 1;
		t->sessions++;
	} else {
		h->asked = 0;
		t->requests++;
	}
	h->next = now_ms() + HOLD_PERIOD_MS;
}

/* Connects a holder, or asks its cheap request, when its time comes. */
static void
holder_act(struct holder *h)
{
	uint8_t req[16];
	ssize_t n;

	if (h->fd == -1) {
		h->fd = dial_raw("127.0.0.1");
		if (h->fd != -1 && conn_init(&h->c, h->fd, NULL, NULL) != 0) {
			close(h->fd);
			h->fd = -1;
		}
		if (h->fd == -1)
			h->next = now_ms() + 10;
		return;
	}
	if (!h->greeted || h->asked)
		return;
	n = pkt_encode_req(req, sizeof(req), PKT_DRQ, "empty");
	if (n > 0 && send(h->fd, req, (size_t)n, MSG_NOSIGNAL) == n)
		h->asked = 1;
	h->next = now_ms() + HOLD_PERIOD_MS;
}

/*
 * The adversary of issue 25, until killed: HOLDERS sessions from
 * 127.0.0.1, each asking a cheap request every HOLD_PERIOD_MS (ten times
 * as often as the 10 s of idleness that would close it), and each one
 * closed or refused connecting again at once.  No Check here: a
 * failure is a dropped session, and the holder reconnects.
 */
static void
run_holders(struct holders_tally *t)
{
	struct holder h[HOLDERS];
	struct pollfd pfd[HOLDERS];
	int64_t now;
	int i;

	for (i = 0; i < HOLDERS; i++) {
		h[i].fd = -1;
		h[i].greeted = h[i].asked = 0;
		h[i].next = 0;
	}
	for (;;) {
		now = now_ms();
		for (i = 0; i < HOLDERS; i++) {
			if (h[i].next <= now)
				holder_act(&h[i]);
			pfd[i].fd = h[i].fd;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, HOLDERS, 10) <= 0)
			continue;
		for (i = 0; i < HOLDERS; i++)
			if (pfd[i].fd != -1 && pfd[i].revents != 0)
				holder_read(&h[i], t);
	}
}

/* Waits (bounded) until the holders hold n sessions. */
static void
wait_holding(const struct holders_tally *t, int n)
{
	int i;

	for (i = 0; i < TRIES && t->sessions < n; i++)
		usleep(100000);
	ck_assert_int_eq(t->sessions, n);
}

/*
 * Issue 25's adversary: 64 holders from one address take every slot of
 * -c 64 (-p 100), each asking a request every second so that none ever
 * waits the 10 s of idleness, and each closed one connecting again at
 * once.  A client from another address is served (at its first try; the
 * bound is dial_until_greeted's), and again on its next requests, while the holders' reconnections are
 * refused: its address holds fewer sessions than theirs.
 */
START_TEST(newcomer_served_against_holders_that_ask_and_reconnect)
{
	const char *args[] = { "-c", "64", "-p", "100", "-t", "60", NULL };
	struct holders_tally *t;
	struct conn c;
	pid_t parent;
	int f, i;

	harness_start(&S, args);
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(t != MAP_FAILED);
	memset(t, 0, sizeof(*t));
	parent = getpid();
	holders_pid = fork();
	ck_assert_int_ge(holders_pid, 0);
	if (holders_pid == 0) {
		/* A failed assertion ends the test at once, teardown unrun
		 * (Check's fork mode): the holders end with it. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(1);
		run_holders(t);
	}
	wait_holding(t, HOLDERS);
	/* Every slot held, and the holders ask again and again. */
	for (i = 0; i < TRIES && t->requests < 2 * HOLDERS; i++)
		usleep(100000);
	ck_assert_int_ge(t->requests, 2 * HOLDERS);
	f = dial_until_greeted_from(&c, LEGIT_ADDR);
	fetch_hello(&c);
	ck_assert(harness_log_has(&S, "Making room: closing the session of "
	    "127.0.0.1"));
	/* The holder closed came back at once, and was refused: wait for
	 * that, then for more of their requests, and ask again. */
	for (i = 0; i < TRIES && (t->closed < 1 || t->refused < 1); i++)
		usleep(100000);
	ck_assert_int_eq(t->closed, 1);
	ck_assert_int_ge(t->refused, 1);
	for (i = 0; i < 3; i++) {
		usleep(HOLD_PERIOD_MS * 1000);
		fetch_hello(&c);
	}
	ck_assert_int_eq(t->closed, 1);
	ck_assert_int_eq(t->sessions, HOLDERS - 1);
	harness_end_session(&c, &f);
	/* Its slot free, the holders take it back. */
	wait_holding(t, HOLDERS);
	kill(holders_pid, SIGKILL);
	ck_assert_int_eq(waitpid(holders_pid, NULL, 0), holders_pid);
	holders_pid = -1;
	munmap(t, sizeof(*t));
}
END_TEST

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

/* The choice alone (server/room.c), at a made-up time. */
#define NOW	1000000

START_TEST(choice_idle_rule)
{
	struct room_session v[3] = {
		{ NOW - ROOM_IDLE_MIN_MS + 1, 1 },	/* not yet */
		{ 0, 1 },				/* in a transfer */
		{ NOW - 5, 1 },
	};

	ck_assert_int_eq(room_choose(v, 3, 1, 0, NOW), -1);
	v[0].waiting_since = NOW - ROOM_IDLE_MIN_MS;
	ck_assert_int_eq(room_choose(v, 3, 1, 0, NOW), 0);
	/* The longest waiting, whatever its address. */
	v[2].waiting_since = NOW - ROOM_IDLE_MIN_MS - 1;
	ck_assert_int_eq(room_choose(v, 3, 1, 0, NOW), 2);
	/* An address not known yet (PROXY): the idle rule alone. */
	ck_assert_int_eq(room_choose(v, 3, 0, 0, NOW), 2);
	ck_assert_int_eq(room_choose(v, 0, 1, 0, NOW), -1);
}
END_TEST

START_TEST(choice_fair_share)
{
	/* An address holding 3, one holding 2 and one holding 1. */
	struct room_session v[4] = {
		{ NOW - 1, 3 },
		{ NOW - 2, 2 },
		{ NOW - ROOM_IDLE_MIN_MS - 60000, 1 },	/* idle a minute */
		{ NOW - 3, 3 },
	};

	/* A newcomer holding none: the most held, the longest waiting of
	 * them, before any idle one. */
	ck_assert_int_eq(room_choose(v, 4, 1, 0, NOW), 3);
	/* Holding one: still two fewer than 3. */
	ck_assert_int_eq(room_choose(v, 4, 1, 1, NOW), 3);
	/* Holding two: only one fewer, so the idle rule. */
	ck_assert_int_eq(room_choose(v, 4, 1, 2, NOW), 2);
	v[2].waiting_since = NOW - 4;
	ck_assert_int_eq(room_choose(v, 4, 1, 2, NOW), -1);
	/* Not known (PROXY): no share, and none idle long enough. */
	ck_assert_int_eq(room_choose(v, 4, 0, 0, NOW), -1);
	/* A session in a transfer is never the one, however many its
	 * address holds. */
	v[0].waiting_since = v[3].waiting_since = 0;
	ck_assert_int_eq(room_choose(v, 4, 1, 0, NOW), 1);
}
END_TEST

/* The holders of the adversary's address cannot take the slot back. */
START_TEST(choice_holders_cannot_take_back)
{
	struct room_session v[HOLDERS];
	int i;

	for (i = 0; i < HOLDERS - 1; i++) {
		v[i].waiting_since = NOW - 9000;	/* asked 9 s ago */
		v[i].held = HOLDERS - 1;
	}
	v[i].waiting_since = NOW - 9999;		/* the newcomer */
	v[i].held = 1;
	ck_assert_int_eq(room_choose(v, HOLDERS, 1, HOLDERS - 1, NOW), -1);
	/* A newcomer of a third address takes one of theirs. */
	ck_assert_int_lt(room_choose(v, HOLDERS, 1, 0, NOW), HOLDERS - 1);
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
	tc = tcase_create("adversary");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc,
	    newcomer_served_against_holders_that_ask_and_reconnect);
	suite_add_tcase(s, tc);
	tc = tcase_create("choice");
	tcase_add_test(tc, choice_idle_rule);
	tcase_add_test(tc, choice_fair_share);
	tcase_add_test(tc, choice_holders_cannot_take_back);
	suite_add_tcase(s, tc);
	return s;
}
