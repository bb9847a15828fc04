/*
 * File attributes (docs/protocol.md, "File attributes"): stat makes a
 * RRQ's size OACK carry the file's mtime and mode; mtime and mode given
 * before a WRQ are the published file's, the mode within the server's
 * limits (never set-id, never writable by group or others, always
 * readable by the server), for that one request; pipelined, the OPT
 * before each upload is answered in order and costs no sync of its own.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fixture.h"
#include "digest.h"
#include "options.h"
#include "check_main.h"

/* Packets gathered for one write. */
static uint8_t out[64 * 1024];
static size_t outlen;

static void
add(ssize_t n)
{
	ck_assert_int_gt(n, 0);
	outlen += (size_t)n;
}

static void
flush(void)
{
	harness_send(fd, out, outlen);
	outlen = 0;
}

static void
add_opt(const struct pkt_opt *pairs, size_t n)
{
	add(pkt_encode_opt(out + outlen, sizeof(out) - outlen, PKT_OPT,
	    pairs, n));
}

/* Expects an OACK; returns the value of name in it, or -1 if absent. */
static long long
expect_oack(const char *name)
{
	struct pkt p;
	size_t i;

	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_msg(p.op == PKT_OACK, "got %s", pkt_op_name(p.op));
	for (i = 0; i < p.u.opt.count; i++)
		if (strcmp(p.u.opt.opts[i].name, name) == 0)
			return atoll(p.u.opt.opts[i].value);
	return -1;
}

/* WRQ, every DAT of data (512-byte blocks), then its SUM (xxh128). */
static void
add_upload(const char *path, const void *data, size_t len)
{
	char hex[DIGEST_HEX_MAX + 1];
	const uint8_t *b = data;
	struct digest d;
	uint16_t block = 0;
	size_t off = 0, n;

	add(pkt_encode_req(out + outlen, sizeof(out) - outlen, PKT_WRQ,
	    path));
	do {
		n = len - off < 512 ? len - off : 512;
		add(pkt_encode_dat(out + outlen, sizeof(out) - outlen,
		    ++block, b + off, n));
		off += n;
	} while (n == 512);
	ck_assert_int_eq(digest_init(&d, DIGEST_XXH128), 0);
	digest_update(&d, data, len);
	digest_final(&d, hex);
	digest_free(&d);
	add(pkt_encode_sum(out + outlen, sizeof(out) - outlen, "xxh128",
	    hex));
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

static void
stat_stored(const char *name, struct stat *st)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", S.root, name);
	ck_assert_int_eq(stat(path, st), 0);
}

/*
 * An upload's OPT: the attributes given; pipelined, with a digest (the
 * SUM add_upload sends).
 */
static void
upload_attrs(const char *mtime, const char *mode, const char *pipeline)
{
	struct pkt_opt pairs[4];
	size_t n = 0;

	if (mtime != NULL)
		pairs[n++] = (struct pkt_opt){ "mtime", mtime };
	if (mode != NULL)
		pairs[n++] = (struct pkt_opt){ "mode", mode };
	if (pipeline != NULL) {
		pairs[n++] = (struct pkt_opt){ "pipeline", pipeline };
		pairs[n++] = (struct pkt_opt){ "digest", "xxh128" };
	}
	add_opt(pairs, n);
}

START_TEST(stat_announces_mtime_and_mode_on_rrq)
{
	struct pkt_opt pairs[2] = { { "tsize", "0" }, { "stat", "0" } };
	struct announce a;
	struct pkt p;
	char path[PATH_MAX * 2];
	struct timespec times[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };

	snprintf(path, sizeof(path), "%s/a.txt", S.root);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, times, 0), 0);
	add_opt(pairs, 2);
	flush();
	ck_assert_int_eq(expect_oack("stat"), 0);
	harness_send_req(&C, PKT_RRQ, "a.txt");
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(opts_announce_from_oack(&p, 1, &a), 0);
	ck_assert_uint_eq(a.size, 6);
	ck_assert_uint_eq(a.mtime, 1000000000);
	ck_assert_uint_eq(a.mode, 0640);
	ck_assert_int_eq(conn_send_ack(&C, 0), CONN_OK);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	ck_assert_int_eq(conn_send_ack(&C, 1), CONN_OK);
	/* A listing's size OACK is as without the extension. */
	harness_send_req(&C, PKT_DRQ, "sub");
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(opts_announce_from_oack(&p, 0, &a), 0);
	ck_assert_int_eq(conn_send_ack(&C, 0), CONN_OK);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(conn_send_ack(&C, p.u.dat.block), CONN_OK);
	/* Without tsize there is no size OACK to extend: left out. */
	add_opt(&pairs[1], 1);
	flush();
	ck_assert_int_eq(expect_oack("stat"), -1);
}
END_TEST

START_TEST(upload_takes_mtime_and_mode_for_one_wrq)
{
	static const struct { const char *asked; mode_t kept; } modes[] = {
		{ "493", 0755 },	/* 0755 as asked */
		{ "384", 0600 },	/* 0600 */
		{ "511", 0755 },	/* 0777: no write for group, others */
		{ "128", 0600 },	/* 0200: the server can read it */
		{ "292", 0444 },	/* 0444 */
	};
	char name[16], value[16];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		snprintf(name, sizeof(name), "up%zu", i);
		snprintf(value, sizeof(value), "%zu", 1000000000 + i);
		upload_attrs(value, modes[i].asked, NULL);
		flush();
		ck_assert_int_eq(expect_oack("mode"), (long long)modes[i].kept);
		ck_assert_int_eq(harness_upload(&C, name, "data\n", 5), 0);
		stat_stored(name, &st);
		ck_assert_uint_eq(st.st_mode & 07777, modes[i].kept);
		ck_assert_int_eq(st.st_mtime, 1000000000 + (long)i);
	}
	/* The next upload has neither: 0644, and the time it was made. */
	ck_assert_int_eq(harness_upload(&C, "plain", "data\n", 5), 0);
	stat_stored("plain", &st);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_int_gt(st.st_mtime, 1000000000 + 100);
}
END_TEST

START_TEST(a_set_id_mode_is_a_bad_option)
{
	struct pkt_opt setuid = { "mode", "2541" };	/* 04755 */

	add_opt(&setuid, 1);
	flush();
	harness_expect_err(&C, ERR_OPTIONS);
	harness_expect_closed(&C);
}
END_TEST

START_TEST(an_option_before_another_request_is_spent)
{
	struct stat st;

	/* Taken by the listing, not by the upload after it. */
	upload_attrs("1000000000", "493", NULL);
	flush();
	ck_assert_int_eq(expect_oack("mtime"), 1000000000);
	{
		char *text;
		uint16_t code;

		ck_assert_int_ge(harness_fetch(&C, PKT_DRQ, "", &text, &code),
		    0);
		free(text);
	}
	ck_assert_int_eq(harness_upload(&C, "after", "x", 1), 0);
	stat_stored("after", &st);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_int_gt(st.st_mtime, 1000000000 + 100);
}
END_TEST

/*
 * Pipelined: an OPT before every upload, all in one write.  The OACKs
 * come in order with the ACKs, every file has its attributes, and the
 * OPTs did not force a sync each: the uploads were held for the batch.
 */
START_TEST(pipelined_opt_before_each_upload)
{
	char name[16], value[16];
	struct stat st;
	unsigned i;

	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		snprintf(value, sizeof(value), "%u", 1100000000 + i);
		upload_attrs(value, i % 2 ? "384" : "493", "8");
		add_upload(name, "pipelined\n", 10);
	}
	flush();
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(expect_oack("pipeline"), 8);
		expect_ack(1);
	}
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		stat_stored(name, &st);
		ck_assert_uint_eq(st.st_mode & 07777, i % 2 ? 0600 : 0755);
		ck_assert_int_eq(st.st_mtime, 1100000000 + (long)i);
	}
	/* Sent in one write, all six are in the buffer at once. */
	ck_assert(harness_log_has(&S, "Publishing 6 uploads held for one "
	    "sync"));
}
END_TEST

/* The server logs its batches with -v. */
static void
setup_verbose(void)
{
	static const char *const args[] = { "-v", NULL };

	fixture_start(args);
	fd = harness_session(&S, &C);
}

Suite *
suite(void)
{
	Suite *s = suite_create("attrs");
	TCase *tc = tcase_create("attrs");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, stat_announces_mtime_and_mode_on_rrq);
	tcase_add_test(tc, upload_takes_mtime_and_mode_for_one_wrq);
	tcase_add_test(tc, a_set_id_mode_is_a_bad_option);
	tcase_add_test(tc, an_option_before_another_request_is_spent);
	suite_add_tcase(s, tc);
	tc = tcase_create("pipelined");
	tcase_add_checked_fixture(tc, setup_verbose, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, pipelined_opt_before_each_upload);
	suite_add_tcase(s, tc);
	return s;
}
