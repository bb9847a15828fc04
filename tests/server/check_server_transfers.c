/*
 * The server's transfers, end to end: an upload is published whole and
 * once or not at all (cut, killed, raced, overtaken); digests on
 * downloads and checked on uploads; the offset of a resumed download.
 * protocol.md sections 4 to 6.
 */
#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "digest.h"
#include "options.h"
#include "check_main.h"

/* Sends OPT with these pairs; returns the OACK's pair count. */
static size_t
negotiate(const struct pkt_opt *pairs, size_t n)
{
	uint8_t buf[600];
	struct pkt p;
	ssize_t len;

	len = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, pairs, n);
	ck_assert_int_gt(len, 0);
	harness_send(fd, buf, (size_t)len);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_OACK);
	return p.u.opt.count;
}

static void
digest_of(enum digest_alg alg, const void *data, size_t len, char *hex)
{
	struct digest d;

	ck_assert_int_eq(digest_init(&d, alg), 0);
	digest_update(&d, data, len);
	digest_final(&d, hex);
	digest_free(&d);
}

/*
 * RRQ path with 512-byte blocks, window 1: expects data[0..len) from
 * offset off, then a SUM of the whole when alg is set, then ACKs last.
 */
static void
expect_download(const char *path, const char *data, size_t off, size_t len,
    enum digest_alg alg)
{
	char hex[DIGEST_HEX_MAX + 1];
	struct pkt p;
	size_t got = off;
	uint16_t block = 0;

	harness_send_req(&C, PKT_RRQ, path);
	for (;;) {
		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_msg(p.op == PKT_DAT, "RRQ %s: %s", path,
		    pkt_op_name(p.op));
		ck_assert_uint_eq(p.u.dat.block, ++block);
		ck_assert_uint_le(got + p.u.dat.size, len);
		ck_assert_mem_eq(p.u.dat.data, data + got, p.u.dat.size);
		got += p.u.dat.size;
		if (p.u.dat.size < 512)
			break;
		ck_assert_int_eq(conn_send_ack(&C, block), CONN_OK);
	}
	ck_assert_uint_eq(got, len);
	if (alg != DIGEST_NONE) {
		/* Sent without waiting for the final ACK. */
		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_int_eq(p.op, PKT_SUM);
		ck_assert_str_eq(p.u.sum.alg, digest_name(alg));
		digest_of(alg, data, len, hex);
		ck_assert_str_eq(p.u.sum.digest, hex);
	}
	ck_assert_int_eq(conn_send_ack(&C, block), CONN_OK);
}

static char pattern3000[3000];

static void
write_pattern(void)
{
	size_t i;

	for (i = 0; i < sizeof(pattern3000); i++)
		pattern3000[i] = (char)(i * 7 + i / 512);
	harness_write_file(&S, "p3000", pattern3000, sizeof(pattern3000));
}

/* WRQ name, then DAT 1 of len bytes (< 512): the final block. */
static void
upload_final_block(const char *name, const void *data, size_t len)
{
	uint8_t buf[600];
	struct pkt p;
	ssize_t n;

	harness_send_req(&C, PKT_WRQ, name);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	ck_assert_uint_eq(p.u.ack.block, 0);
	n = pkt_encode_dat(buf, sizeof(buf), 1, data, len);
	harness_send(fd, buf, (size_t)n);
}

static void
send_sum(const char *alg, const char *hex)
{
	uint8_t buf[600];
	ssize_t n = pkt_encode_sum(buf, sizeof(buf), alg, hex);

	ck_assert_int_gt(n, 0);
	harness_send(fd, buf, (size_t)n);
}

static void
set_offset(const char *value, int tsize)
{
	struct pkt_opt pairs[3] = { { "offset", value }, { "digest",
	    "xxh128" }, { "tsize", "0" } };

	ck_assert_uint_eq(negotiate(pairs, tsize ? 3 : 2), tsize ? 3 : 2);
}

START_TEST(upload_then_list_and_read_back)
{
	char data[3000], *text;
	uint16_t code;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	ck_assert_int_eq(harness_upload(&C, "new.bin", data, sizeof(data)),
	    0);
	ck_assert_int_eq(harness_upload(&C, "sub/n0", "", 0), 0);
	ck_assert_int_eq(harness_upload(&C, "sub/n512", data, 512), 0);
	harness_expect_fetch(&C, "new.bin", data, sizeof(data));
	harness_expect_fetch(&C, "sub/n0", "", 0);
	harness_expect_fetch(&C, "sub/n512", data, 512);
	ck_assert_int_gt(harness_fetch(&C, PKT_DRQ, "", &text, &code), 0);
	ck_assert_ptr_nonnull(strstr(text, "f 3000 "));
	free(text);
}
END_TEST

START_TEST(upload_never_replaces)
{
	int before = harness_entries(S.root);

	ck_assert_int_eq(harness_upload(&C, "a.txt", "x", 1), ERR_EXISTS);
	ck_assert_int_eq(harness_upload(&C, "sub", "x", 1), ERR_EXISTS);
	ck_assert_int_eq(harness_upload(&C, "dangling", "x", 1), ERR_EXISTS);
	ck_assert_int_eq(harness_upload(&C, "fifo", "x", 1), ERR_EXISTS);
	ck_assert_int_eq(harness_upload(&C, "nodir/x", "x", 1),
	    ERR_NOT_FOUND);
	ck_assert_int_eq(harness_upload(&C, "a.txt/x", "x", 1),
	    ERR_NOT_FOUND);
	ck_assert_int_eq(harness_upload(&C, "rootlink/tmp/x", "x", 1),
	    ERR_ACCESS);
	ck_assert_int_eq(harness_upload(&C, "../x", "x", 1), ERR_BAD_NAME);
	ck_assert_int_eq(harness_upload(&C, "", "x", 1), ERR_BAD_NAME);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	ck_assert_int_eq(harness_entries(S.root), before);
}
END_TEST

START_TEST(disconnect_mid_upload_keeps_nothing)
{
	int before = harness_entries(S.root);

	harness_start_upload(&C, "cut");
	harness_send_dat(&C, 1, 512);
	harness_end_session(&C, &fd);
	harness_wait_no_children(&S, 10);
	ck_assert_int_eq(harness_exists(&S, "cut"), 0);
	ck_assert_int_eq(harness_entries(S.root), before);
}
END_TEST

START_TEST(killed_child_mid_upload_leaves_nothing)
{
	int before = harness_entries(S.root);
	pid_t child = harness_last_child(&S);

	harness_start_upload(&C, "killed");
	harness_send_dat(&C, 1, 512);
	{
		struct pkt p;

		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_uint_eq(p.u.ack.block, 1);
	}
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	harness_expect_closed(&C);
	harness_wait_no_children(&S, 10);
	ck_assert_int_eq(harness_exists(&S, "killed"), 0);
	ck_assert_int_eq(harness_entries(S.root), before);
}
END_TEST

START_TEST(two_uploads_of_one_name_exactly_one_wins)
{
	struct conn c;
	struct pkt p;
	char *data;
	uint16_t code;
	int f;

	f = fixture_another(&c);
	harness_start_upload(&C, "race");
	harness_start_upload(&c, "race");
	harness_send_dat(&C, 1, 100);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	harness_send_dat(&c, 1, 200);
	harness_expect_err(&c, ERR_EXISTS);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
	ck_assert_int_eq(harness_fetch(&C, PKT_RRQ, "race", &data, &code),
	    100);
	free(data);
}
END_TEST

START_TEST(name_appearing_mid_upload_is_not_replaced)
{
	harness_start_upload(&C, "late");
	harness_send_dat(&C, 1, 512);
	harness_write_file(&S, "late", "mine", 4);
	{
		struct pkt p;

		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_uint_eq(p.u.ack.block, 1);
	}
	harness_send_dat(&C, 2, 3);
	harness_expect_err(&C, ERR_EXISTS);
	harness_expect_closed(&C);
	fixture_reconnect();
	harness_expect_fetch(&C, "late", "mine", 4);
}
END_TEST

START_TEST(uploads_in_flight_are_not_listed)
{
	struct conn c;
	char *text;
	uint16_t code;
	int f;

	harness_start_upload(&C, "inflight");
	harness_send_dat(&C, 1, 512);
	f = fixture_another(&c);
	ck_assert_int_gt(harness_fetch(&c, PKT_DRQ, "", &text, &code), 0);
	ck_assert_ptr_null(strstr(text, "inflight"));
	free(text);
	conn_free(&c);
	close(f);
}
END_TEST

START_TEST(digest_on_downloads_not_listings)
{
	struct pkt_opt xxh = { "Digest", "XXH128" }, sha = { "digest",
	    "sha256" }, md5 = { "digest", "md5" };
	char *text;
	uint16_t code;

	write_pattern();
	ck_assert_uint_eq(negotiate(&xxh, 1), 1);
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_XXH128);
	expect_download("empty", "", 0, 0, DIGEST_XXH128);
	/* A listing has no SUM: the next answer is the next request's. */
	ck_assert_int_gt(harness_fetch(&C, PKT_DRQ, "sub", &text, &code), 0);
	free(text);
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_XXH128);
	ck_assert_uint_eq(negotiate(&sha, 1), 1);
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_SHA256);
	/* An algorithm this server lacks: left out, and no SUM. */
	ck_assert_uint_eq(negotiate(&md5, 1), 0);
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_NONE);
}
END_TEST

START_TEST(digest_checks_uploads_before_publishing)
{
	struct pkt_opt xxh = { "digest", "xxh128" };
	char hex[DIGEST_HEX_MAX + 1];
	struct pkt p;
	struct pollfd pfd;

	digest_of(DIGEST_XXH128, "data", 4, hex);
	ck_assert_uint_eq(negotiate(&xxh, 1), 1);
	/* The final ACK waits for the SUM. */
	upload_final_block("good", "data", 4);
	pfd.fd = fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 300), 0);
	ck_assert(!harness_exists(&S, "good"));
	send_sum("xxh128", hex);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_msg(p.op == PKT_ACK && p.u.ack.block == 1, "no final ACK");
	expect_download("good", "data", 0, 4, DIGEST_XXH128);
	/* Doubled: a SUM after the final ACK is an unexpected packet. */
	send_sum("xxh128", hex);
	harness_expect_err(&C, ERR_ILLEGAL);
	harness_expect_closed(&C);

	/* Wrong: ERR 10, closed, nothing kept. */
	fixture_reconnect();
	negotiate(&xxh, 1);
	upload_final_block("wrong", "datA", 4);
	send_sum("xxh128", hex);
	harness_expect_err(&C, ERR_INTEGRITY);
	harness_expect_closed(&C);
	ck_assert(!harness_exists(&S, "wrong"));
	/* Another algorithm's SUM is a mismatch too. */
	fixture_reconnect();
	negotiate(&xxh, 1);
	upload_final_block("alg", "data", 4);
	send_sum("sha256", hex);
	harness_expect_err(&C, ERR_INTEGRITY);
	ck_assert(!harness_exists(&S, "alg"));
	/* Missing: a request in its place is ERR 4, nothing kept. */
	fixture_reconnect();
	negotiate(&xxh, 1);
	upload_final_block("missing", "data", 4);
	harness_send_req(&C, PKT_RRQ, "a.txt");
	harness_expect_err(&C, ERR_ILLEGAL);
	harness_expect_closed(&C);
	ck_assert(!harness_exists(&S, "missing"));
	/* Early: a SUM in place of a DAT is ERR 4. */
	fixture_reconnect();
	negotiate(&xxh, 1);
	harness_send_req(&C, PKT_WRQ, "early");
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	send_sum("xxh128", hex);
	harness_expect_err(&C, ERR_ILLEGAL);
	ck_assert(!harness_exists(&S, "early"));
	/* Malformed: no EOS within 512 bytes is ERR 4. */
	fixture_reconnect();
	negotiate(&xxh, 1);
	upload_final_block("malformed", "data", 4);
	{
		uint8_t junk[600];

		memset(junk, 'a', sizeof(junk));
		junk[0] = 0;
		junk[1] = PKT_SUM;
		harness_send(fd, junk, sizeof(junk));
	}
	harness_expect_err(&C, ERR_ILLEGAL);
	ck_assert(!harness_exists(&S, "malformed"));
	/* Without a digest in force, no SUM is awaited. */
	fixture_reconnect();
	ck_assert_int_eq(harness_upload(&C, "plain", "data", 4), 0);
	ck_assert(harness_exists(&S, "plain"));
	ck_assert(harness_log_has(&S, "Sent ERR 10"));
}
END_TEST

START_TEST(offset_for_the_next_rrq_only)
{
	static const size_t offsets[] = { 0, 700, 512, 1024, 2999, 3000 };
	struct pkt_opt plain = { "offset", "100" };
	struct pkt p;
	uint64_t size;
	char value[32];
	size_t i;

	write_pattern();
	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		snprintf(value, sizeof(value), "%zu", offsets[i]);
		set_offset(value, 0);
		/* The SUM covers the whole file, bytes before offset too. */
		expect_download("p3000", pattern3000, offsets[i], 3000,
		    DIGEST_XXH128);
		/* Then back to 0, though the other options hold. */
		expect_download("p3000", pattern3000, 0, 3000, DIGEST_XXH128);
	}
	/* Past the end: ERR 0, and the session goes on. */
	set_offset("3001", 0);
	harness_expect_fetch_err(&C, "p3000", ERR_UNDEFINED);
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_XXH128);
	set_offset("18446744073709551615", 0);
	harness_expect_fetch_err(&C, "p3000", ERR_UNDEFINED);
	/* tsize counts the bytes that follow the offset. */
	set_offset("1000", 1);
	harness_send_req(&C, PKT_RRQ, "p3000");
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(opts_tsize_from_oack(&p, &size), 0);
	ck_assert_uint_eq(size, 2000);
	conn_send_ack(&C, 0);
	for (i = 1; i <= 4; i++) {
		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_int_eq(p.op, PKT_DAT);
		ck_assert_mem_eq(p.u.dat.data, pattern3000 + 1000 + (i - 1) *
		    512, p.u.dat.size);
		if (i < 4)
			conn_send_ack(&C, (uint16_t)i);
	}
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_SUM);
	conn_send_ack(&C, 4);
	/* Any request takes it: an offset before a listing or upload does
	 * not reach the RRQ after. */
	ck_assert_uint_eq(negotiate(&plain, 1), 1);
	{
		char *text;
		uint16_t code;

		ck_assert_int_gt(harness_fetch(&C, PKT_DRQ, "", &text,
		    &code), 0);
		free(text);
	}
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_NONE);
	ck_assert_uint_eq(negotiate(&plain, 1), 1);
	ck_assert_int_eq(harness_upload(&C, "after-offset", "ab", 2), 0);
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_NONE);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("server transfers");
	TCase *tc;

	tc = tcase_create("transfers");
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, upload_then_list_and_read_back);
	tcase_add_test(tc, upload_never_replaces);
	tcase_add_test(tc, disconnect_mid_upload_keeps_nothing);
	tcase_add_test(tc, killed_child_mid_upload_leaves_nothing);
	tcase_add_test(tc, two_uploads_of_one_name_exactly_one_wins);
	tcase_add_test(tc, name_appearing_mid_upload_is_not_replaced);
	tcase_add_test(tc, uploads_in_flight_are_not_listed);
	tcase_add_test(tc, digest_on_downloads_not_listings);
	tcase_add_test(tc, digest_checks_uploads_before_publishing);
	tcase_add_test(tc, offset_for_the_next_rrq_only);
	suite_add_tcase(s, tc);
	return s;
}
