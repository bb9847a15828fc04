/*
 * The transfer engine (protocol/xfer.c) over a socketpair: one end sends,
 * a forked process receives, every byte is checked against a pattern.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "xfer.h"
#include "check_main.h"

/* The byte at offset i of every test file. */
static uint8_t
pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 9) + 7);
}

struct src {
	uint64_t off, size;
	size_t chunk;			/* most bytes a read returns */
};

static ssize_t
src_read(void *ctx, void *buf, size_t len)
{
	struct src *s = ctx;
	uint8_t *b = buf;
	size_t i;

	if (len > s->chunk)
		len = s->chunk;
	if (len > s->size - s->off)
		len = (size_t)(s->size - s->off);
	for (i = 0; i < len; i++)
		b[i] = pattern(s->off + i);
	s->off += len;
	return (ssize_t)len;
}

struct sink {
	uint64_t off;
	int bad, finished, fail_finish;
};

static int
sink_write(void *ctx, struct iovec *iov, int iovcnt)
{
	struct sink *k = ctx;
	const uint8_t *b;
	size_t i;
	int j;

	for (j = 0; j < iovcnt; j++) {
		b = iov[j].iov_base;
		for (i = 0; i < iov[j].iov_len; i++)
			if (b[i] != pattern(k->off + i))
				k->bad = 1;
		k->off += iov[j].iov_len;
	}
	return 0;
}

static int
sink_finish(void *ctx)
{
	struct sink *k = ctx;

	if (k->fail_finish) {
		errno = EEXIST;
		return -1;
	}
	k->finished = 1;
	return 0;
}

/*
 * Sends size bytes with the given block and window sizes, telling the
 * engine the source holds hint bytes; a child receives them.  Checks both
 * ends.
 */
static void
digest_trip(uint64_t size, size_t blksize, unsigned window, size_t chunk,
    uint64_t hint, enum digest_alg alg)
{
	struct xfer_params xp = { .blksize = blksize, .windowsize = window,
	    .size_hint = hint };
	struct xfer_result res;
	struct src s = { 0, size, chunk };
	struct digest d;
	struct conn c;
	int sv[2], status;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (alg != DIGEST_NONE) {
		ck_assert_int_eq(digest_init(&d, alg), 0);
		xp.digest = &d;
	}
	if ((pid = fork()) == 0) {
		struct sink k = { 0, 0, 0, 0 };
		struct conn rc;

		close(sv[0]);
		if (conn_init(&rc, sv[1], NULL, NULL) == -1)
			_exit(10);
		if (xfer_recv(&rc, &xp, NULL, sink_write, sink_finish, &k,
		    &res) != XFER_OK)
			_exit(11);
		_exit(k.bad ? 12 : k.off != size ? 13 : !k.finished ? 14 :
		    res.bytes != size ? 15 : 0);
	}
	close(sv[1]);
	ck_assert_int_eq(conn_init(&c, sv[0], NULL, NULL), 0);
	ck_assert_int_eq(xfer_send(&c, &xp, src_read, &s, &res), XFER_OK);
	ck_assert_uint_eq(res.bytes, size);
	if (alg != DIGEST_NONE)
		digest_free(&d);
	waitpid(pid, &status, 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "receiver of %llu bytes, block %zu, window %u: status %d",
	    (unsigned long long)size, blksize, window, WEXITSTATUS(status));
	conn_free(&c);
	close(sv[0]);
}

static void
hinted_trip(uint64_t size, size_t blksize, unsigned window, size_t chunk,
    uint64_t hint)
{
	digest_trip(size, blksize, window, chunk, hint, DIGEST_NONE);
}

static void
round_trip(uint64_t size, size_t blksize, unsigned window, size_t chunk)
{
	hinted_trip(size, blksize, window, chunk, 0);
}

START_TEST(sizes_around_a_block)
{
	static const uint64_t sizes[] = { 0, 1, 511, 512, 513, 1024, 1025 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		round_trip(sizes[i], 512, 1, 1 << 20);
		round_trip(sizes[i], 512, 8, 1 << 20);
	}
}
END_TEST

START_TEST(one_mebibyte_every_block_size)
{
	round_trip(1 << 20, 512, 1, 1 << 20);
	round_trip(1 << 20, 512, 8, 1 << 20);
	round_trip(1 << 20, 65464, 1, 1 << 20);
	round_trip(1 << 20, 65464, 8, 1 << 20);
	round_trip((1 << 20) + 1, 8, 8, 1 << 20);
	/* A source that dribbles: short reads are asked again. */
	round_trip(100000, 512, 3, 7);
}
END_TEST

START_TEST(size_hint_is_only_a_hint)
{
	static const uint64_t sizes[] = { 0, 1, 511, 512, 513, 1024, 1025 };
	size_t i;

	/* Exact, as a server knows it from fstat. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		hinted_trip(sizes[i], 512, 1, 1 << 20, sizes[i]);
		hinted_trip(sizes[i], 65464, 4, 1 << 20, sizes[i]);
	}
	/* Wrong both ways, as when a file grows or shrinks meanwhile. */
	hinted_trip(1 << 20, 512, 8, 1 << 20, 100);
	hinted_trip(1 << 20, 65464, 1, 1 << 20, 1);
	hinted_trip(1000, 512, 1, 1 << 20, (uint64_t)1 << 40);
	hinted_trip(100000, 512, 3, 7, 1000);
}
END_TEST

START_TEST(block_numbers_roll_over)
{
	/* 70000 blocks of 8 bytes: past 65535, block 0, then on. */
	round_trip(70000 * 8 + 3, 8, 1, 1 << 20);
	round_trip(70000 * 8, 8, 8, 1 << 20);
}
END_TEST

/*
 * A scripted peer on sv[1]: writes raw bytes, stops sending, and reads
 * until EOF.  It closes our end, or it would never see that EOF.
 */
static pid_t
raw_peer(const int sv[2], const void *bytes, size_t len)
{
	char drain[4096];
	int fd = sv[1];
	pid_t pid;

	if ((pid = fork()) == 0) {
		close(sv[0]);
		if (write(fd, bytes, len) != (ssize_t)len)
			_exit(1);
		shutdown(fd, SHUT_WR);
		while (read(fd, drain, sizeof(drain)) > 0)
			;
		_exit(0);
	}
	return pid;
}

static enum xfer_status
recv_from_raw_digest(const void *bytes, size_t len, size_t blksize,
    enum digest_alg alg, struct xfer_result *res, struct sink *k)
{
	struct xfer_params xp = { .blksize = blksize, .windowsize = 1 };
	enum xfer_status st;
	struct digest d;
	struct conn c;
	int sv[2];
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = raw_peer(sv, bytes, len);
	close(sv[1]);
	conn_init(&c, sv[0], NULL, NULL);
	if (alg != DIGEST_NONE) {
		ck_assert_int_eq(digest_init(&d, alg), 0);
		xp.digest = &d;
	}
	st = xfer_recv(&c, &xp, NULL, sink_write, sink_finish, k, res);
	if (alg != DIGEST_NONE)
		digest_free(&d);
	conn_free(&c);
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return st;
}

static enum xfer_status
recv_from_raw(const void *bytes, size_t len, size_t blksize,
    struct xfer_result *res, struct sink *k)
{
	return recv_from_raw_digest(bytes, len, blksize, DIGEST_NONE, res, k);
}

/* The SUM after every size of final block, windows 1 and 8, rollover. */
START_TEST(sum_follows_every_final_block)
{
	static const uint64_t sizes[] = { 0, 1, 7, 8, 9, 511, 512, 513,
	    8 * 8 - 1, 8 * 8, 8 * 8 + 1 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		digest_trip(sizes[i], 8, 1, 1 << 20, 0, DIGEST_XXH128);
		digest_trip(sizes[i], 8, 8, 1 << 20, 0, DIGEST_XXH128);
		digest_trip(sizes[i], 512, 8, 3, 0, DIGEST_SHA256);
	}
	digest_trip(70000 * 8 + 3, 8, 8, 1 << 20, 0, DIGEST_XXH128);
	digest_trip(3 << 20, 65464, 32, 100000, 0, DIGEST_SHA256);
}
END_TEST

/* A final DAT of "abc" (block size 8), then what comes after it. */
static size_t
dat_abc_then(uint8_t *buf, size_t size, const void *after, size_t alen)
{
	ssize_t n = pkt_encode_dat(buf, size, 1, "\x07\x8a\x0d", 3);

	ck_assert_int_gt(n, 0);
	memcpy(buf + n, after, alen);
	return (size_t)n + alen;
}

START_TEST(receiver_checks_the_sum)
{
	char hex[DIGEST_HEX_MAX + 1];
	uint8_t buf[700], sum[600];
	struct xfer_result res;
	struct sink k = { 0, 0, 0, 0 };
	struct digest d;
	ssize_t n;
	size_t len;

	/* The right SUM: finished, and the whole file checked. */
	digest_init(&d, DIGEST_XXH128);
	digest_update(&d, "\x07\x8a\x0d", 3);
	digest_final(&d, hex);
	digest_free(&d);
	n = pkt_encode_sum(sum, sizeof(sum), "xxh128", hex);
	len = dat_abc_then(buf, sizeof(buf), sum, (size_t)n);
	ck_assert_int_eq(recv_from_raw_digest(buf, len, 8, DIGEST_XXH128,
	    &res, &k), XFER_OK);
	ck_assert_int_eq(k.finished, 1);
	/* One hex digit off: ERR 10 owed, nothing finished. */
	hex[0] = hex[0] == '0' ? '1' : '0';
	n = pkt_encode_sum(sum, sizeof(sum), "xxh128", hex);
	len = dat_abc_then(buf, sizeof(buf), sum, (size_t)n);
	k = (struct sink){ 0, 0, 0, 0 };
	ck_assert_int_eq(recv_from_raw_digest(buf, len, 8, DIGEST_XXH128,
	    &res, &k), XFER_INTEGRITY);
	ck_assert_uint_eq(res.errcode, ERR_INTEGRITY);
	ck_assert_int_eq(k.finished, 0);
	/* Another algorithm than the one in force is a mismatch too. */
	n = pkt_encode_sum(sum, sizeof(sum), "sha256", hex);
	len = dat_abc_then(buf, sizeof(buf), sum, (size_t)n);
	k = (struct sink){ 0, 0, 0, 0 };
	ck_assert_int_eq(recv_from_raw_digest(buf, len, 8, DIGEST_XXH128,
	    &res, &k), XFER_INTEGRITY);
	/* Missing: an ACK in its place is ERR 4; a close, a lost peer. */
	len = dat_abc_then(buf, sizeof(buf), "\0\4\0\1", 4);
	k = (struct sink){ 0, 0, 0, 0 };
	ck_assert_int_eq(recv_from_raw_digest(buf, len, 8, DIGEST_XXH128,
	    &res, &k), XFER_VIOLATION);
	ck_assert_uint_eq(res.errcode, ERR_ILLEGAL);
	ck_assert_int_eq(k.finished, 0);
	len = dat_abc_then(buf, sizeof(buf), "", 0);
	ck_assert_int_eq(recv_from_raw_digest(buf, len, 8, DIGEST_XXH128,
	    &res, &k), XFER_CONN);
	ck_assert_int_eq(k.finished, 0);
	/* Malformed: no EOS within 512 bytes. */
	memset(sum, 'a', sizeof(sum));
	sum[0] = 0;
	sum[1] = PKT_SUM;
	len = dat_abc_then(buf, sizeof(buf), sum, sizeof(sum));
	ck_assert_int_eq(recv_from_raw_digest(buf, len, 8, DIGEST_XXH128,
	    &res, &k), XFER_VIOLATION);
	ck_assert_int_eq(k.finished, 0);
	/* Early: a SUM where a DAT belongs is ERR 4. */
	n = pkt_encode_sum(sum, sizeof(sum), "xxh128", hex);
	ck_assert_int_eq(recv_from_raw_digest(sum, (size_t)n, 8,
	    DIGEST_XXH128, &res, &k), XFER_VIOLATION);
	ck_assert_uint_eq(res.errcode, ERR_ILLEGAL);
	/* Without a digest in force a SUM is just unexpected. */
	len = dat_abc_then(buf, sizeof(buf), "", 0);
	k = (struct sink){ 0, 0, 0, 0 };
	ck_assert_int_eq(recv_from_raw(buf, len, 8, &res, &k), XFER_OK);
}
END_TEST

/* The sender puts the SUM on the wire before waiting for the last ACK. */
START_TEST(sender_sends_sum_without_waiting)
{
	struct xfer_params xp = { .blksize = 8, .windowsize = 1 };
	struct xfer_result res;
	struct src s = { 0, 3, 1 << 20 };
	struct digest d;
	struct conn c, peer;
	struct pkt p;
	int sv[2], status;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if ((pid = fork()) == 0) {
		close(sv[1]);
		conn_init(&c, sv[0], NULL, NULL);
		digest_init(&d, DIGEST_SHA256);
		xp.digest = &d;
		_exit(xfer_send(&c, &xp, src_read, &s, &res) == XFER_OK ? 0 :
		    1);
	}
	close(sv[0]);
	conn_init(&peer, sv[1], NULL, NULL);
	ck_assert_int_eq(conn_recv(&peer, 8, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	ck_assert_uint_eq(p.u.dat.size, 3);
	ck_assert_int_eq(conn_recv(&peer, 8, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_SUM);
	ck_assert_str_eq(p.u.sum.alg, "sha256");
	ck_assert_uint_eq(strlen(p.u.sum.digest), 64);
	ck_assert_int_eq(conn_send_ack(&peer, 1), CONN_OK);
	waitpid(pid, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	conn_free(&peer);
	close(sv[1]);
}
END_TEST

START_TEST(receiver_refuses_wrong_block)
{
	struct xfer_result res;
	struct sink k = { 0, 0, 0, 0 };

	/* DAT 2 first. */
	ck_assert_int_eq(recv_from_raw("\0\3\0\2\0\0", 6, 512, &res, &k),
	    XFER_VIOLATION);
	ck_assert_uint_eq(res.errcode, ERR_ILLEGAL);
	ck_assert_int_eq(k.finished, 0);
	/* DAT 1 twice: a duplicate is a violation over TCP. */
	{
		uint8_t two[2 * (6 + 8)];

		pkt_encode_dat(two, sizeof(two), 1, "\x07\x8a\x0d\x90\x13\x96"
		    "\x19\x9c", 8);
		memcpy(two + 14, two, 14);
		k.off = 0;
		ck_assert_int_eq(recv_from_raw(two, sizeof(two), 8, &res, &k),
		    XFER_VIOLATION);
	}
}
END_TEST

START_TEST(receiver_refuses_oversize_block)
{
	struct xfer_result res;
	struct sink k = { 0, 0, 0, 0 };
	uint8_t dat[6 + 513];

	memset(dat, 0, sizeof(dat));
	pkt_put_dat_header(dat, 1, 513);
	ck_assert_int_eq(recv_from_raw(dat, sizeof(dat), 512, &res, &k),
	    XFER_VIOLATION);
	ck_assert_uint_eq(res.errcode, ERR_ILLEGAL);
	ck_assert_uint_eq(k.off, 0);
}
END_TEST

START_TEST(receiver_reports_peer_err_and_lost_peer)
{
	struct xfer_result res;
	struct sink k = { 0, 0, 0, 0 };

	ck_assert_int_eq(recv_from_raw("\0\5\0\3Disk full\0", 14, 512, &res,
	    &k), XFER_PEER_ERR);
	ck_assert_uint_eq(res.errcode, 3);
	ck_assert_str_eq(res.msg, "Disk full");
	ck_assert_int_eq(recv_from_raw("\0\3\0\1\2\0abc", 9, 512, &res, &k),
	    XFER_CONN);
	ck_assert_int_eq(res.conn_status, CONN_TRUNCATED);
	ck_assert_int_eq(recv_from_raw("\0\4\0\1", 4, 512, &res, &k),
	    XFER_VIOLATION);
}
END_TEST

START_TEST(failed_finish_sends_no_last_ack)
{
	struct xfer_params xp = { .blksize = 512, .windowsize = 1 };
	struct xfer_result res;
	struct sink k = { 0, 0, 0, 1 };
	struct conn c;
	uint8_t buf[16];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], "\0\3\0\1\0\1\7", 7), 7);
	conn_init(&c, sv[0], NULL, NULL);
	ck_assert_int_eq(xfer_recv(&c, &xp, NULL, sink_write, sink_finish, &k,
	    &res), XFER_SINK);
	ck_assert_int_eq(res.sys_errno, EEXIST);
	conn_free(&c);
	close(sv[0]);
	/* Nothing was acknowledged. */
	ck_assert_int_eq(read(sv[1], buf, sizeof(buf)), 0);
	close(sv[1]);
}
END_TEST

START_TEST(sender_refuses_wrong_ack)
{
	struct xfer_params xp = { .blksize = 512, .windowsize = 1 };
	struct xfer_result res;
	struct src s = { 0, 2000, 1 << 20 };
	struct conn c;
	int sv[2];
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* ACK 2 for block 1: never sent, so a violation. */
	pid = raw_peer(sv, "\0\4\0\2", 4);
	close(sv[1]);
	conn_init(&c, sv[0], NULL, NULL);
	ck_assert_int_eq(xfer_send(&c, &xp, src_read, &s, &res),
	    XFER_VIOLATION);
	ck_assert_uint_eq(res.errcode, ERR_ILLEGAL);
	conn_free(&c);
	close(sv[0]);
	waitpid(pid, NULL, 0);
}
END_TEST

/* What a progress callback saw: the longest stretch between two calls. */
struct gap {
	uint64_t last, max;
	int calls, stop;
};

static int
gap_progress(void *ctx, uint64_t bytes)
{
	struct gap *g = ctx;

	if (bytes - g->last > g->max)
		g->max = bytes - g->last;
	g->last = bytes;
	g->calls++;
	return g->stop;
}

/*
 * A window larger than the file (6 MiB of 512-byte blocks, windowsize
 * 65535): both ends still report progress every 2 MiB at most, and a
 * sender told to stop stops there, not at the window's end.
 */
START_TEST(progress_within_a_large_window)
{
	const uint64_t size = 6 << 20, most = 2 << 20;
	struct gap g = { 0, 0, 0, 0 };
	struct xfer_params xp = { .blksize = 512, .windowsize = 65535,
	    .progress = gap_progress, .progress_ctx = &g };
	struct xfer_result res;
	struct src s = { 0, size, 1 << 20 };
	struct conn c;
	int sv[2], status, stop;
	pid_t pid;

	for (stop = 0; stop <= 1; stop++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		if ((pid = fork()) == 0) {
			struct sink k = { 0, 0, 0, 0 };
			struct conn rc;
			enum xfer_status st;

			close(sv[0]);
			if (conn_init(&rc, sv[1], NULL, NULL) == -1)
				_exit(10);
			st = xfer_recv(&rc, &xp, NULL, sink_write,
			    sink_finish, &k, &res);
			_exit(stop ? 0 : st != XFER_OK ? 11 : k.bad ? 12 :
			    g.max > most ? 13 : g.calls < 3 ? 14 : 0);
		}
		close(sv[1]);
		memset(&g, 0, sizeof(g));
		g.stop = stop;
		s.off = 0;
		ck_assert_int_eq(conn_init(&c, sv[0], NULL, NULL), 0);
		if (stop) {
			ck_assert_int_eq(xfer_send(&c, &xp, src_read, &s, &res),
			    XFER_CONN);
			ck_assert_int_eq(res.conn_status, CONN_INTERRUPTED);
			ck_assert_int_eq(g.calls, 1);
			ck_assert_uint_le(res.bytes, most);
		} else {
			ck_assert_int_eq(xfer_send(&c, &xp, src_read, &s, &res),
			    XFER_OK);
			ck_assert_uint_le(g.max, most);
			ck_assert_int_ge(g.calls, 3);
		}
		conn_free(&c);
		close(sv[0]);
		waitpid(pid, &status, 0);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "receiver: status %d", WEXITSTATUS(status));
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("xfer");
	TCase *tc = tcase_create("engine");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sizes_around_a_block);
	tcase_add_test(tc, one_mebibyte_every_block_size);
	tcase_add_test(tc, size_hint_is_only_a_hint);
	tcase_add_test(tc, block_numbers_roll_over);
	tcase_add_test(tc, receiver_refuses_wrong_block);
	tcase_add_test(tc, receiver_refuses_oversize_block);
	tcase_add_test(tc, receiver_reports_peer_err_and_lost_peer);
	tcase_add_test(tc, failed_finish_sends_no_last_ack);
	tcase_add_test(tc, sender_refuses_wrong_ack);
	tcase_add_test(tc, sum_follows_every_final_block);
	tcase_add_test(tc, receiver_checks_the_sum);
	tcase_add_test(tc, sender_sends_sum_without_waiting);
	tcase_add_test(tc, progress_within_a_large_window);
	suite_add_tcase(s, tc);
	return s;
}
