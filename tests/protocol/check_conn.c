/* Framed packet I/O (protocol/conn.c) over a socketpair. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "conn.h"
#include "conn_pair.h"
#include "check_main.h"

START_TEST(packet_in_pieces)
{
	static const uint8_t rrq[] = "\0\1some/file";
	struct pkt p;
	size_t i;
	pid_t pid;

	/* One byte at a time from another process: still one packet. */
	if ((pid = fork()) == 0) {
		for (i = 0; i < sizeof(rrq); i++) {
			if (write(sv[1], rrq + i, 1) != 1)
				_exit(1);
			usleep(1000);
		}
		_exit(0);
	}
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_RRQ);
	ck_assert_str_eq(p.u.req.path, "some/file");
	ck_assert_int_eq(waits, 1);
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(packets_back_to_back)
{
	static const uint8_t two[] = "\0\4\0\7" "\0\6dir\0" "\0\4\0\x08";
	struct pkt p;

	ck_assert_int_eq(write(sv[1], two, sizeof(two) - 1),
	    (ssize_t)sizeof(two) - 1);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_uint_eq(p.u.ack.block, 7);
	ck_assert_int_eq(conn_pending(&c), 1);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_str_eq(p.u.req.path, "dir");
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_uint_eq(p.u.ack.block, 8);
	/* The later packets were already buffered: no second wait. */
	ck_assert_int_eq(waits, 1);
	ck_assert_int_eq(conn_pending(&c), 0);
}
END_TEST

START_TEST(eof_at_boundary_and_inside)
{
	struct pkt p;

	ck_assert_int_eq(write(sv[1], "\0\4\0\1" "\0\4\0", 7), 7);
	shutdown(sv[1], SHUT_WR);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_TRUNCATED);
	conn_pair_close();
	conn_pair_open();
	shutdown(sv[1], SHUT_WR);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_EOF);
}
END_TEST

START_TEST(malformed_is_reported_at_once)
{
	struct pkt p;

	/* An unknown opcode; the peer keeps the connection open. */
	ck_assert_int_eq(write(sv[1], "\0\x0e", 2), 2);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_MALFORMED);
	ck_assert_int_eq(c.bad, PKT_BAD_OPCODE);
	conn_pair_close();
	conn_pair_open();
	/* DEL without the users extension: unknown, said at once too. */
	ck_assert_int_eq(write(sv[1], "\0\x0b", 2), 2);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_MALFORMED);
	ck_assert_int_eq(c.bad, PKT_EXT_OPCODE);
	conn_pair_close();
	conn_pair_open();
	/* With it, a request: its path is awaited, then decoded. */
	c.exts = PKT_EXT_USERS;
	ck_assert_int_eq(write(sv[1], "\0\x0b", 2), 2);
	ck_assert_int_eq(write(sv[1], "a\0", 2), 2);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DEL);
	ck_assert_str_eq(p.u.req.path, "a");
	conn_pair_close();
	conn_pair_open();
	/* An oversize DAT is refused at its header, data unsent. */
	ck_assert_int_eq(write(sv[1], "\0\3\0\1\2\1", 6), 6);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_MALFORMED);
	ck_assert_int_eq(c.bad, PKT_DATA_TOO_LONG);
	ck_assert_str_eq(conn_status_str(&c, CONN_MALFORMED),
	    "block over the block size");
}
END_TEST

START_TEST(interrupted_wait_asks_the_hook)
{
	struct sigaction sa;
	struct pkt p;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);		/* no SA_RESTART */
	alarm(1);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_TIMEOUT);
	ck_assert_str_eq(conn_status_str(&c, CONN_TIMEOUT), "timed out");
}
END_TEST

START_TEST(large_send_is_whole)
{
	static uint8_t big[1 << 20], got[1 << 20];
	size_t off = 0;
	ssize_t n;
	pid_t pid;
	int status;

	memset(big, 0x5a, sizeof(big));
	big[sizeof(big) - 1] = 1;
	if ((pid = fork()) == 0) {
		/* Far more than the socket buffer: the sender must wait. */
		_exit(conn_send(&c, big, sizeof(big)) == CONN_OK ? 0 : 1);
	}
	while (off < sizeof(got) &&
	    (n = read(sv[1], got + off, sizeof(got) - off)) > 0)
		off += (size_t)n;
	ck_assert_uint_eq(off, sizeof(big));
	ck_assert_mem_eq(got, big, sizeof(big));
	waitpid(pid, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(nowait_err_never_blocks)
{
	static uint8_t fill[4096];
	struct pkt p;
	size_t used;
	uint8_t buf[600];
	ssize_t n;
	int flags = MSG_DONTWAIT;

	ck_assert_int_eq(conn_send_err_nowait(&c, 5, "Idle timeout"), 0);
	n = read(sv[1], buf, sizeof(buf));
	ck_assert_int_eq(pkt_decode(buf, (size_t)n, 512, &p, &used), PKT_OK);
	ck_assert_uint_eq(p.u.err.code, 5);
	/* Fill the socket until it takes no more; then it must refuse. */
	while (send(sv[0], fill, sizeof(fill), flags) > 0)
		;
	ck_assert_int_eq(conn_send_err_nowait(&c, 5, "Idle timeout"), -1);
}
END_TEST

START_TEST(packet_ready_only_when_whole)
{
	static const uint8_t ack_and_half[] = "\0\4\0\1" "\0\1so";
	static const uint8_t rest[] = "me";
	static const uint8_t two_acks[] = "\0\4\0\1\0\4\0\2";
	static const uint8_t ack_and_bad[] = "\0\4\0\1\0\77";
	struct pkt p;

	ck_assert_int_eq(write(sv[1], ack_and_half, sizeof(ack_and_half) - 1),
	    (ssize_t)sizeof(ack_and_half) - 1);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	/* Half an RRQ: bytes pending, but a wait still ahead. */
	ck_assert_int_eq(conn_pending(&c), 1);
	ck_assert_int_eq(write(sv[1], rest, sizeof(rest)), (ssize_t)sizeof(rest));
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_str_eq(p.u.req.path, "some");

	ck_assert_int_eq(write(sv[1], two_acks, sizeof(two_acks) - 1),
	    (ssize_t)sizeof(two_acks) - 1);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_int_eq(conn_packet_ready(&c), 1);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_uint_eq(p.u.ack.block, 2);

	/* Bytes known to be malformed are ready too: no wait before ERR. */
	ck_assert_int_eq(write(sv[1], ack_and_bad, sizeof(ack_and_bad) - 1),
	    (ssize_t)sizeof(ack_and_bad) - 1);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_int_eq(conn_packet_ready(&c), 1);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_MALFORMED);
}
END_TEST

START_TEST(send_more_then_send_arrive_whole_and_in_order)
{
	uint8_t got[8];
	size_t off = 0;
	ssize_t n;

	ck_assert_int_eq(conn_send_more(&c, "\0\4\0\1", 4), CONN_OK);
	ck_assert_int_eq(conn_send_ack(&c, 2), CONN_OK);
	while (off < sizeof(got) &&
	    (n = read(sv[1], got + off, sizeof(got) - off)) > 0)
		off += (size_t)n;
	ck_assert_mem_eq(got, "\0\4\0\1\0\4\0\2", 8);
}
END_TEST

/* A receive that finds nothing: polled or not, then stopped by the alarm. */
static void
silent_wait(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 20000 } };
	struct sigaction sa;
	struct pkt p;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);		/* no SA_RESTART */
	alarmed = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_TIMEOUT);
}

/*
 * Held: packets stay where conn_recv found them, also when the buffer is
 * used up (no reset to its start), until a packet would need them moved:
 * then CONN_FULL, nothing consumed; after release the next one is whole.
 */
#define HELD_DATA	30000
#define HELD_N		8

START_TEST(held_packets_stay_until_released)
{
	static uint8_t out[HELD_N * (PKT_DAT_HDR_LEN + HELD_DATA)];
	static uint8_t data[HELD_DATA];
	const uint8_t *held[HELD_N];
	int letter[HELD_N], n = 0, fulls = 0, i, k;
	enum conn_status st;
	struct pkt p;
	ssize_t len = 0;
	pid_t pid;

	for (i = 0; i < HELD_N; i++) {
		memset(data, 'a' + i, sizeof(data));
		len += pkt_encode_dat(out + len, sizeof(out) - (size_t)len,
		    (uint16_t)(i + 1), data, sizeof(data));
	}
	/* More than the buffer holds: another process writes, and waits. */
	if ((pid = fork()) == 0)
		_exit(write(sv[1], out, (size_t)len) == len ? 0 : 1);
	conn_hold(&c);
	for (i = 0; i < HELD_N; i++) {
		if ((st = conn_recv(&c, HELD_DATA, &p)) == CONN_FULL) {
			/* Everything taken so far is where it was. */
			ck_assert_int_ge(n, 2);
			for (k = 0; k < n; k++) {
				ck_assert_int_eq(held[k][0], letter[k]);
				ck_assert_int_eq(held[k][HELD_DATA - 1],
				    letter[k]);
			}
			n = 0;
			fulls++;
			conn_release(&c);
			conn_hold(&c);
			st = conn_recv(&c, HELD_DATA, &p);
		}
		ck_assert_int_eq(st, CONN_OK);
		ck_assert_int_eq(p.op, PKT_DAT);
		ck_assert_uint_eq(p.u.dat.block, (unsigned)(i + 1));
		ck_assert_int_eq(p.u.dat.data[0], 'a' + i);
		ck_assert_int_eq(p.u.dat.data[HELD_DATA - 1], 'a' + i);
		held[n] = p.u.dat.data;
		letter[n++] = 'a' + i;
	}
	ck_assert_int_ge(fulls, 1);
	conn_release(&c);
	waitpid(pid, NULL, 0);
}
END_TEST

/*
 * Grown, the buffer keeps what it held (here the first half of an ACK);
 * it never shrinks.
 */
START_TEST(reserve_grows_and_keeps)
{
	static const uint8_t two[] = { 0, 4, 0, 7, 0, 4 };
	struct pkt p;

	ck_assert_int_eq(write(sv[1], two, sizeof(two)), (ssize_t)sizeof(two));
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_uint_eq(p.u.ack.block, 7);
	ck_assert_int_eq(conn_reserve(&c, 1 << 20), 0);
	ck_assert_uint_ge(c.rcap, 1 << 20);
	ck_assert_int_eq(conn_reserve(&c, 100), 0);
	ck_assert_uint_ge(c.rcap, 1 << 20);
	ck_assert_int_eq(write(sv[1], "\0\1", 2), 2);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	ck_assert_uint_eq(p.u.ack.block, 1);
}
END_TEST

START_TEST(empty_polls_back_off)
{
	static const unsigned skips[] = { 0, 1, 3, 7, 15 };
	struct pkt p;
	size_t i;
	unsigned k;

	/* As on a machine where polling can pay (conn_poll_us). */
	c.poll.us = CONN_POLL_US;
	/* Each miss blocks the next 0, 1, 3, 7... waits without a poll. */
	for (i = 0; i < sizeof(skips) / sizeof(skips[0]); i++) {
		silent_wait();
		ck_assert_uint_eq(c.poll.skip, skips[i]);
		for (k = skips[i]; k > 0; k--) {
			silent_wait();
			ck_assert_uint_eq(c.poll.skip, k - 1);
		}
	}
	/* Up to CONN_POLL_SKIP, and no further. */
	c.poll.backoff = CONN_POLL_SKIP;
	silent_wait();
	ck_assert_uint_eq(c.poll.skip, CONN_POLL_SKIP);
	ck_assert_uint_eq(c.poll.backoff, CONN_POLL_SKIP);
	/* A packet there before the wait says nothing of polling. */
	c.poll.skip = 0;
	c.poll.backoff = 7;
	ck_assert_int_eq(write(sv[1], "\0\4\0\1", 4), 4);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_uint_eq(c.poll.backoff, 7);
	/* Without polling, nothing changes. */
	c.poll.us = 0;
	c.poll.backoff = 1;
	silent_wait();
	ck_assert_uint_eq(c.poll.skip, 0);
	ck_assert_uint_eq(c.poll.backoff, 1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("framing");

	tcase_add_checked_fixture(tc, conn_pair_open, conn_pair_close);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, packet_in_pieces);
	tcase_add_test(tc, packets_back_to_back);
	tcase_add_test(tc, eof_at_boundary_and_inside);
	tcase_add_test(tc, malformed_is_reported_at_once);
	tcase_add_test(tc, interrupted_wait_asks_the_hook);
	tcase_add_test(tc, large_send_is_whole);
	tcase_add_test(tc, nowait_err_never_blocks);
	tcase_add_test(tc, packet_ready_only_when_whole);
	tcase_add_test(tc, send_more_then_send_arrive_whole_and_in_order);
	tcase_add_test(tc, empty_polls_back_off);
	tcase_add_test(tc, held_packets_stay_until_released);
	tcase_add_test(tc, reserve_grows_and_keeps);
	suite_add_tcase(s, tc);
	return s;
}
