/*
 * The pipeline extension (docs/protocol.md, "Pipelining") on the real
 * server, with raw packets: many requests sent in one write are answered
 * in order, nothing waits (no ACK 0, no window ACKs, downloads do not
 * wait for their final ACK), a refused upload fails that file only, and
 * an upload's one ACK comes only once the file is published.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fixture.h"
#include "digest.h"
#include "options.h"
#include "check_main.h"

/* Packets gathered for one write. */
static uint8_t out[256 * 1024];
static size_t outlen;

static void
setup(void)
{
	fixture_setup();
	outlen = 0;
}

static void
setup_limited(void)
{
	static const char *const args[] = { "-m", "1000", NULL };

	fixture_start(args);
	fd = harness_session(&S, &C);
	outlen = 0;
}

static void
add(ssize_t n)
{
	ck_assert_int_gt(n, 0);
	outlen += (size_t)n;
}

static void
add_req(enum pkt_op op, const char *path)
{
	add(pkt_encode_req(out + outlen, sizeof(out) - outlen, op, path));
}

static void
add_ack(uint16_t block)
{
	add(pkt_encode_ack(out + outlen, sizeof(out) - outlen, block));
}

static void
digest_of(const void *data, size_t len, char *hex)
{
	struct digest d;

	ck_assert_int_eq(digest_init(&d, DIGEST_XXH128), 0);
	digest_update(&d, data, len);
	digest_final(&d, hex);
	digest_free(&d);
}

/* WRQ, then every DAT of data (512-byte blocks), then its SUM. */
static void
add_upload(const char *path, const void *data, size_t len)
{
	char hex[DIGEST_HEX_MAX + 1];
	const uint8_t *b = data;
	uint16_t block = 0;
	size_t off = 0, n;

	add_req(PKT_WRQ, path);
	do {
		n = len - off < 512 ? len - off : 512;
		add(pkt_encode_dat(out + outlen, sizeof(out) - outlen,
		    ++block, b + off, n));
		off += n;
	} while (n == 512);
	digest_of(data, len, hex);
	add(pkt_encode_sum(out + outlen, sizeof(out) - outlen, "xxh128",
	    hex));
}

static void
flush(void)
{
	harness_send(fd, out, outlen);
	outlen = 0;
}

/* OPT tsize 0, digest xxh128 and pipeline n; returns the echoed n. */
static unsigned
negotiate(const char *n)
{
	struct pkt_opt pairs[] = { { "tsize", "0" }, { "digest", "xxh128" },
	    { "pipeline", n } };
	struct pkt p;
	size_t i;

	add(pkt_encode_opt(out + outlen, sizeof(out) - outlen, PKT_OPT, pairs,
	    3));
	flush();
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_OACK);
	for (i = 0; i < p.u.opt.count; i++)
		if (strcmp(p.u.opt.opts[i].name, "pipeline") == 0)
			return (unsigned)atoi(p.u.opt.opts[i].value);
	return 0;
}

/*
 * The answer to a pipelined download: OACK tsize, then at once every
 * DAT (no ACK 0, none per window), then the SUM.  Returns the final
 * block; the bytes go to got[0..*len).
 */
static uint16_t
expect_data(char *got, size_t cap, size_t *len, int with_sum)
{
	char hex[DIGEST_HEX_MAX + 1];
	uint64_t size;
	uint16_t block = 0;
	struct pkt p;

	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_msg(p.op == PKT_OACK, "got %s", pkt_op_name(p.op));
	ck_assert_int_eq(opts_tsize_from_oack(&p, &size), 0);
	*len = 0;
	do {
		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_msg(p.op == PKT_DAT, "got %s", pkt_op_name(p.op));
		ck_assert_uint_eq(p.u.dat.block, ++block);
		ck_assert_uint_le(*len + p.u.dat.size, cap);
		memcpy(got + *len, p.u.dat.data, p.u.dat.size);
		*len += p.u.dat.size;
	} while (p.u.dat.size == 512);
	ck_assert_uint_eq(*len, size);
	if (with_sum) {
		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_int_eq(p.op, PKT_SUM);
		digest_of(got, *len, hex);
		ck_assert_str_eq(p.u.sum.digest, hex);
	}
	return block;
}

static void
expect_ack(uint16_t block)
{
	struct pkt p;

	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_msg(p.op == PKT_ACK, "wanted ACK %u, got %s%s%s", block,
	    pkt_op_name(p.op), p.op == PKT_ERR ? ": " : "",
	    p.op == PKT_ERR ? p.u.err.msg : "");
	ck_assert_uint_eq(p.u.ack.block, block);
}

/* The file as the server's directory holds it: its size, or -1. */
static long
stored_size(const char *name)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", S.root, name);
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

START_TEST(pipeline_is_negotiated_and_lowered)
{
	struct pkt_opt zero = { "pipeline", "0" };

	ck_assert_uint_eq(negotiate("1000"), 64);
	ck_assert_uint_eq(negotiate("3"), 3);
	add(pkt_encode_opt(out, sizeof(out), PKT_OPT, &zero, 1));
	flush();
	harness_expect_err(&C, ERR_OPTIONS);
	harness_expect_closed(&C);
}
END_TEST

START_TEST(every_kind_in_one_write_answered_in_order)
{
	char got[4096], up[1300];
	size_t len, i;
	uint16_t last_a, last_l, last_b;

	for (i = 0; i < sizeof(up); i++)
		up[i] = (char)(i * 13);
	ck_assert_uint_eq(negotiate("8"), 8);
	add_req(PKT_RRQ, "a.txt");
	add_req(PKT_DRQ, "sub");
	add_req(PKT_MKD, "new");
	add_upload("new/up", up, sizeof(up));
	add_req(PKT_RRQ, "missing");
	add_req(PKT_RRQ, "b1000");
	flush();
	last_a = expect_data(got, sizeof(got), &len, 1);
	ck_assert_uint_eq(len, 6);
	ck_assert_mem_eq(got, "hello\n", 6);
	last_l = expect_data(got, sizeof(got), &len, 0);
	ck_assert_ptr_nonnull(memmem(got, len, " inner.txt\n", 11));
	expect_ack(0);				/* MKD */
	expect_ack(3);				/* the upload: 512+512+276 */
	/* Its one ACK comes once it is published, whole. */
	ck_assert_int_eq(stored_size("new/up"), (long)sizeof(up));
	harness_expect_err(&C, ERR_NOT_FOUND);
	last_b = expect_data(got, sizeof(got), &len, 1);
	ck_assert_uint_eq(len, 1000);
	ck_assert_uint_eq(last_b, 2);
	/* The downloads' ACKs, late, oldest first; then the session goes on. */
	add_ack(last_a);
	add_ack(last_l);
	add_ack(last_b);
	add_req(PKT_DRQ, "new");
	flush();
	expect_data(got, sizeof(got), &len, 0);
	ck_assert_ptr_nonnull(memmem(got, len, " up\n", 4));
}
END_TEST

START_TEST(downloads_do_not_wait_for_their_ack)
{
	char got[4096];
	size_t len;
	int i;

	ck_assert_uint_eq(negotiate("4"), 4);
	/* Four downloads, no ACK at all: all four are sent. */
	for (i = 0; i < 4; i++)
		add_req(PKT_RRQ, "b1000");
	flush();
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(expect_data(got, sizeof(got), &len, 1), 2);
	/* A fifth while four await their ACK is one too many. */
	add_req(PKT_RRQ, "a.txt");
	flush();
	harness_expect_err(&C, ERR_ILLEGAL);
	harness_expect_closed(&C);
}
END_TEST

START_TEST(ack_of_the_wrong_block_or_opt_too_early)
{
	struct pkt_opt tsize = { "tsize", "0" };
	char got[4096];
	size_t len;

	ck_assert_uint_eq(negotiate("4"), 4);
	add_req(PKT_RRQ, "b1000");
	flush();
	ck_assert_uint_eq(expect_data(got, sizeof(got), &len, 1), 2);
	add_ack(1);
	flush();
	harness_expect_err(&C, ERR_ILLEGAL);
	harness_expect_closed(&C);

	/* An OPT while a download awaits its ACK. */
	fixture_reconnect();
	ck_assert_uint_eq(negotiate("4"), 4);
	add_req(PKT_RRQ, "a.txt");
	flush();
	ck_assert_uint_eq(expect_data(got, sizeof(got), &len, 1), 1);
	add(pkt_encode_opt(out, sizeof(out), PKT_OPT, &tsize, 1));
	flush();
	harness_expect_err(&C, ERR_ILLEGAL);
	harness_expect_closed(&C);
}
END_TEST

/*
 * Uploads that hit an existing name, a bad name, a missing directory and
 * -m (1000 bytes), between good ones, all in one write: only those fail,
 * each with its code, and every other file is stored.
 */
START_TEST(refused_uploads_fail_those_files_only)
{
	char big[2100], ok[700], text[4096];
	size_t len;

	memset(big, 'x', sizeof(big));
	memset(ok, 'o', sizeof(ok));
	ck_assert_uint_eq(negotiate("16"), 16);
	add_upload("one", ok, 100);
	add_upload("a.txt", big, 1500);		/* exists */
	add_upload("two", ok, sizeof(ok));
	add_upload("bad/../x", big, 700);	/* bad name */
	add_upload("nodir/x", big, 600);	/* no such directory */
	add_upload("huge", big, sizeof(big));	/* past -m mid-transfer */
	add_upload("exact", big, 1000);		/* exactly -m: kept */
	add_upload("three", ok, 512);		/* a full block, then empty */
	flush();
	expect_ack(1);
	ck_assert_int_eq(stored_size("one"), 100);
	harness_expect_err(&C, ERR_EXISTS);
	expect_ack(2);
	harness_expect_err(&C, ERR_BAD_NAME);
	harness_expect_err(&C, ERR_NOT_FOUND);
	harness_expect_err(&C, ERR_DISK_FULL);
	expect_ack(2);
	ck_assert_int_eq(stored_size("exact"), 1000);
	expect_ack(2);
	ck_assert_int_eq(stored_size("three"), 512);
	ck_assert_int_eq(stored_size("two"), (long)sizeof(ok));
	ck_assert_int_eq(stored_size("huge"), -1);
	ck_assert_int_eq(stored_size("a.txt"), 6);
	/* The session goes on, and nothing else appeared. */
	add_req(PKT_DRQ, "");
	flush();
	expect_data(text, sizeof(text), &len, 0);
	ck_assert_ptr_null(memmem(text, len, " x\n", 3));
	ck_assert_ptr_null(memmem(text, len, " huge\n", 6));
	ck_assert_ptr_nonnull(memmem(text, len, " three\n", 7));
}
END_TEST

START_TEST(refused_upload_with_broken_framing_closes)
{
	uint8_t dat[6 + 512];

	memset(dat + 6, 'z', 512);
	ck_assert_uint_eq(negotiate("4"), 4);
	add_req(PKT_WRQ, "a.txt");		/* refused: exists */
	pkt_put_dat_header(dat, 1, 512);
	memcpy(out + outlen, dat, sizeof(dat));
	outlen += sizeof(dat);
	pkt_put_dat_header(dat, 3, 10);		/* 2 skipped */
	memcpy(out + outlen, dat, 6 + 10);
	outlen += 6 + 10;
	flush();
	harness_expect_err(&C, ERR_EXISTS);
	harness_expect_err(&C, ERR_ILLEGAL);
	harness_expect_closed(&C);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("pipeline");
	TCase *lim = tcase_create("with -m");

	tcase_add_checked_fixture(tc, setup, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, pipeline_is_negotiated_and_lowered);
	tcase_add_test(tc, every_kind_in_one_write_answered_in_order);
	tcase_add_test(tc, downloads_do_not_wait_for_their_ack);
	tcase_add_test(tc, ack_of_the_wrong_block_or_opt_too_early);
	tcase_add_test(tc, refused_upload_with_broken_framing_closes);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(lim, setup_limited, fixture_teardown);
	tcase_set_timeout(lim, 60);
	tcase_add_test(lim, refused_uploads_fail_those_files_only);
	suite_add_tcase(s, lim);
	return s;
}
