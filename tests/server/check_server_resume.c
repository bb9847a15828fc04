/*
 * Resumable uploads (docs/protocol.md, "Resumable uploads"): a part kept
 * outside DIR after a cut or a kill, resumed from its end by the same
 * client only, published only whole and verified, dropped on a mismatch,
 * expired after --part-ttl, within -m and --parts-max, never visible.
 * And the digest cache, which answers a whole-file digest asked again
 * without reading the file, and never for a file that changed.
 */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fixture.h"
#include "digest.h"
#include "options.h"
#include "check_main.h"

#define SIZE	3000
#define BIG	(1024 * 1024)
#define BIGBLK	8192

static char data[BIG];
static char parts[PATH_MAX];

/*
 * A server with a parts directory beside root, and extra arguments.  The
 * directory is nobody's (as root), for -u nobody; the same for others.
 */
static void
start_with(const char *a1, const char *a2)
{
	const char *args[] = { "--parts", parts, a1, a2, NULL };
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 511);
	harness_dirs(&S);
	snprintf(parts, sizeof(parts), "%s/parts", S.top);
	ck_assert_int_eq(mkdir(parts, 0700), 0);
	if (geteuid() == 0)
		ck_assert_int_eq(chown(parts, 65534, 65534), 0);
	/* Reachable by nobody: the served directory and its parent. */
	ck_assert_int_eq(chmod(S.top, 0755), 0);
	ck_assert_int_eq(chmod(S.root, 0777), 0);
	harness_start(&S, args);
	fd = harness_session(&S, &C);
}

static void
setup(void)
{
	start_with(NULL, NULL);
}

/* The parts kept: files named fs-part.* in the parts directory. */
static int
count_parts(void)
{
	struct dirent *d;
	DIR *dp = opendir(parts);
	int n = 0;

	ck_assert_ptr_nonnull(dp);
	while ((d = readdir(dp)) != NULL)
		n += strncmp(d->d_name, "fs-part.", 8) == 0;
	closedir(dp);
	return n;
}

static struct pkt
recv_pkt(struct conn *c)
{
	struct pkt p;

	ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
	return p;
}

/* OPT digest xxh128, resume size (and a block size when blk): count. */
static size_t
ask_resume(struct conn *c, int cfd, size_t size, unsigned blk)
{
	char value[24], bs[24];
	struct pkt_opt pairs[3] = { { "digest", "xxh128" }, { "resume",
	    value }, { "blksize", bs } };
	uint8_t buf[600];
	struct pkt p;
	ssize_t len;

	snprintf(value, sizeof(value), "%zu", size);
	snprintf(bs, sizeof(bs), "%u", blk);
	len = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, pairs, blk ? 3 : 2);
	harness_send(cfd, buf, (size_t)len);
	p = recv_pkt(c);
	ck_assert_int_eq(p.op, PKT_OACK);
	return p.u.opt.count;
}

/* WRQ name, resumable: the bytes the server holds (its OACK offset). */
static uint64_t
resume_wrq(struct conn *c, const char *name, size_t size)
{
	struct pkt p;
	uint64_t held;

	harness_send_req(c, PKT_WRQ, name);
	p = recv_pkt(c);
	ck_assert_msg(p.op == PKT_OACK, "WRQ %s answered %s", name,
	    pkt_op_name(p.op));
	ck_assert_int_eq(opts_held_from_oack(&p, size, &held), 0);
	return held;
}

/*
 * Sends data[from..size) in blocks of blk, each acknowledged (window 1);
 * stops after cut blocks when cut is not 0.  Returns the final block.
 */
static uint16_t
send_from(struct conn *c, int cfd, size_t from, size_t size, size_t blk,
    unsigned cut)
{
	uint8_t buf[BIGBLK + 16];
	uint16_t block = 0;
	size_t n;
	ssize_t len;
	struct pkt p;

	for (;;) {
		n = size - from < blk ? size - from : blk;
		len = pkt_encode_dat(buf, sizeof(buf), ++block, data + from, n);
		harness_send(cfd, buf, (size_t)len);
		from += n;
		if (n < blk)
			return block;
		p = recv_pkt(c);
		ck_assert_int_eq(p.op, PKT_ACK);
		ck_assert_uint_eq(p.u.ack.block, block);
		if (cut != 0 && block == cut)
			return block;
	}
}

static void
send_sum_of(int cfd, size_t size, int wrong)
{
	char hex[DIGEST_HEX_MAX + 1];
	struct digest d;
	uint8_t buf[600];
	ssize_t len;

	ck_assert_int_eq(digest_init(&d, DIGEST_XXH128), 0);
	digest_update(&d, data, size);
	digest_final(&d, hex);
	digest_free(&d);
	if (wrong)
		hex[0] = hex[0] == '0' ? '1' : '0';
	len = pkt_encode_sum(buf, sizeof(buf), "xxh128", hex);
	harness_send(cfd, buf, (size_t)len);
}

/* A resumable upload of size bytes cut after cut blocks of 512. */
static void
cut_upload(const char *name, size_t size, unsigned cut)
{
	ck_assert_uint_eq(ask_resume(&C, fd, size, 0), 2);
	ck_assert_uint_eq(resume_wrq(&C, name, size), 0);
	send_from(&C, fd, 0, size, 512, cut);
	harness_end_session(&C, &fd);
	harness_wait_no_children(&S, 10);
	fd = harness_session(&S, &C);
}

/* Resumes name from what the server holds, to the end: that offset. */
static uint64_t
finish_upload(const char *name, size_t size, int wrong_sum)
{
	uint64_t held;
	uint16_t last;
	struct pkt p;

	ck_assert_uint_eq(ask_resume(&C, fd, size, 0), 2);
	held = resume_wrq(&C, name, size);
	last = send_from(&C, fd, held, size, 512, 0);
	send_sum_of(fd, size, wrong_sum);
	p = recv_pkt(&C);
	if (wrong_sum) {
		ck_assert_int_eq(p.op, PKT_ERR);
		ck_assert_uint_eq(p.u.err.code, ERR_INTEGRITY);
	} else {
		ck_assert_msg(p.op == PKT_ACK, "got %s", pkt_op_name(p.op));
		ck_assert_uint_eq(p.u.ack.block, last);
	}
	return held;
}

static void
expect_file(const char *name, size_t size)
{
	char path[PATH_MAX * 2], *got;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", S.root, name);
	ck_assert_ptr_nonnull(f = fopen(path, "rb"));
	got = malloc(size + 1);
	ck_assert_uint_eq(fread(got, 1, size + 1, f), size);
	fclose(f);
	ck_assert_mem_eq(got, data, size);
	free(got);
}

START_TEST(offered_only_with_parts_and_a_digest)
{
	struct pkt_opt only = { "resume", "3000" }, both[3] = { { "digest",
	    "xxh128" }, { "resume", "3000" }, { "pipeline", "8" } };
	uint8_t buf[600];
	char *list = NULL;
	uint16_t code;
	ssize_t len;
	struct pkt p;

	/* Without a digest the whole could not be verified: left out. */
	len = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, &only, 1);
	harness_send(fd, buf, (size_t)len);
	p = recv_pkt(&C);
	ck_assert_int_eq(p.op, PKT_OACK);
	ck_assert_uint_eq(p.u.opt.count, 0);
	/* With pipeline: left out too. */
	len = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, both, 3);
	harness_send(fd, buf, (size_t)len);
	p = recv_pkt(&C);
	ck_assert_uint_eq(p.u.opt.count, 2);
	/* For the next request only: a plain WRQ after a listing. */
	ck_assert_uint_eq(ask_resume(&C, fd, SIZE, 0), 2);
	ck_assert_int_ge(harness_fetch(&C, PKT_DRQ, "", &list, &code), 0);
	free(list);
	harness_send_req(&C, PKT_WRQ, "plain");
	p = recv_pkt(&C);
	ck_assert_int_eq(p.op, PKT_ACK);
}
END_TEST

START_TEST(resume_after_a_cut_sends_only_the_rest)
{
	uint64_t held;

	cut_upload("r.bin", SIZE, 4);
	/* Kept outside DIR, and nothing under the name meanwhile. */
	ck_assert_int_eq(harness_exists(&S, "r.bin"), 0);
	ck_assert_int_eq(count_parts(), 1);
	held = finish_upload("r.bin", SIZE, 0);
	ck_assert_uint_eq(held, 4 * 512);
	expect_file("r.bin", SIZE);
	ck_assert_int_eq(count_parts(), 0);
	/* Published: never replaced, resumable or not. */
	ck_assert_uint_eq(ask_resume(&C, fd, SIZE, 0), 2);
	harness_send_req(&C, PKT_WRQ, "r.bin");
	harness_expect_err(&C, ERR_EXISTS);
}
END_TEST

START_TEST(a_mismatch_drops_the_part)
{
	cut_upload("m.bin", SIZE, 2);
	ck_assert_uint_eq(finish_upload("m.bin", SIZE, 1), 2 * 512);
	harness_end_session(&C, &fd);
	harness_wait_no_children(&S, 10);
	ck_assert_int_eq(harness_exists(&S, "m.bin"), 0);
	ck_assert_int_eq(count_parts(), 0);
	fd = harness_session(&S, &C);
	ck_assert_uint_eq(finish_upload("m.bin", SIZE, 0), 0);
	expect_file("m.bin", SIZE);
}
END_TEST

START_TEST(a_part_is_the_clients_alone)
{
	struct conn c6, c2;
	int fd6, fd2;
	char *list;
	uint16_t code;

	cut_upload("mine", SIZE, 3);
	/* Not listed, not readable. */
	list = NULL;
	ck_assert_int_ge(harness_fetch(&C, PKT_DRQ, "", &list, &code), 0);
	ck_assert_ptr_null(strstr(list, "mine"));
	ck_assert_ptr_null(strstr(list, "fs-part"));
	free(list);
	harness_expect_fetch_err(&C, "mine", ERR_NOT_FOUND);
	/* Another address (::1) has no part of its own: from 0. */
	fd6 = harness_dial(&S, 1);
	harness_greet(fd6, &c6);
	ck_assert_uint_eq(ask_resume(&c6, fd6, SIZE, 0), 2);
	ck_assert_uint_eq(resume_wrq(&c6, "mine", SIZE), 0);
	/* The same address, while another session holds it: ERR 0. */
	harness_end_session(&c6, &fd6);
	fd2 = harness_session(&S, &c2);
	ck_assert_uint_eq(ask_resume(&c2, fd2, SIZE, 0), 2);
	ck_assert_uint_eq(resume_wrq(&c2, "mine", SIZE), 3 * 512);
	ck_assert_uint_eq(ask_resume(&C, fd, SIZE, 0), 2);
	harness_send_req(&C, PKT_WRQ, "mine");
	harness_expect_err(&C, ERR_UNDEFINED);
	harness_end_session(&c2, &fd2);
	/* Another size is another part. */
	ck_assert_uint_eq(ask_resume(&C, fd, SIZE - 1, 0), 2);
	ck_assert_uint_eq(resume_wrq(&C, "mine", SIZE - 1), 0);
}
END_TEST

START_TEST(an_expired_part_is_gone)
{
	const struct timespec wait = { 2, 200000000L };

	harness_end_session(&C, &fd);
	harness_cleanup(&S);
	start_with("--part-ttl", "1");
	cut_upload("old", SIZE, 3);
	ck_assert_int_eq(count_parts(), 1);
	nanosleep(&wait, NULL);
	/* Any resumable request sweeps it; this one starts afresh. */
	ck_assert_uint_eq(ask_resume(&C, fd, 100, 0), 2);
	ck_assert_uint_eq(resume_wrq(&C, "other", 100), 0);
	harness_end_session(&C, &fd);
	harness_wait_no_children(&S, 10);
	ck_assert_int_eq(count_parts(), 1);	/* "other"'s, empty */
	fd = harness_session(&S, &C);
	ck_assert_uint_eq(finish_upload("old", SIZE, 0), 0);
}
END_TEST

START_TEST(limits_hold)
{
	harness_end_session(&C, &fd);
	harness_cleanup(&S);
	start_with("--parts-max", "4000");
	/* Over --parts-max: ERR 3 before any data, and the session goes on. */
	cut_upload("a", SIZE, 1);
	ck_assert_uint_eq(ask_resume(&C, fd, SIZE, 0), 2);
	harness_send_req(&C, PKT_WRQ, "b");
	harness_expect_err(&C, ERR_DISK_FULL);
	ck_assert_uint_eq(ask_resume(&C, fd, 1000, 0), 2);
	ck_assert_uint_eq(resume_wrq(&C, "b", 1000), 0);
	harness_end_session(&C, &fd);
	harness_wait_no_children(&S, 10);
	harness_cleanup(&S);
	/* Over -m: ERR 3 at the WRQ. */
	start_with("-m", "2999");
	ck_assert_uint_eq(ask_resume(&C, fd, SIZE, 0), 2);
	harness_send_req(&C, PKT_WRQ, "c");
	harness_expect_err(&C, ERR_DISK_FULL);
	ck_assert_int_eq(count_parts(), 0);
}
END_TEST

START_TEST(more_than_announced_is_refused)
{
	uint8_t buf[600];
	ssize_t len;

	ck_assert_uint_eq(ask_resume(&C, fd, 100, 0), 2);
	ck_assert_uint_eq(resume_wrq(&C, "long", 100), 0);
	len = pkt_encode_dat(buf, sizeof(buf), 1, data, 200);
	harness_send(fd, buf, (size_t)len);
	harness_expect_err(&C, ERR_DISK_FULL);
	harness_end_session(&C, &fd);
	harness_wait_no_children(&S, 10);
	ck_assert_int_eq(harness_exists(&S, "long"), 0);
}
END_TEST

START_TEST(killed_child_leaves_a_resumable_part)
{
	pid_t child = harness_last_child(&S);
	int before = harness_entries(S.root);
	uint64_t held;
	uint16_t last;
	struct pkt p;

	ck_assert_uint_eq(ask_resume(&C, fd, BIG, BIGBLK), 3);
	ck_assert_uint_eq(resume_wrq(&C, "k.bin", BIG), 0);
	send_from(&C, fd, 0, BIG, BIGBLK, 64);	/* half */
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	harness_expect_closed(&C);
	harness_end_session(&C, &fd);
	harness_wait_no_children(&S, 10);
	ck_assert_int_eq(harness_entries(S.root), before);
	fd = harness_session(&S, &C);
	ck_assert_uint_eq(ask_resume(&C, fd, BIG, BIGBLK), 3);
	held = resume_wrq(&C, "k.bin", BIG);
	/* What was stored before the kill is kept (the rest was held). */
	ck_assert_uint_gt(held, 0);
	ck_assert_uint_le(held, BIG / 2);
	last = send_from(&C, fd, held, BIG, BIGBLK, 0);
	send_sum_of(fd, BIG, 0);
	p = recv_pkt(&C);
	ck_assert_int_eq(p.op, PKT_ACK);
	ck_assert_uint_eq(p.u.ack.block, last);
	expect_file("k.bin", BIG);
}
END_TEST

/*
 * OPT digest, offset = size; RRQ name: the empty DAT, then the SUM,
 * whose digest goes to hex.
 */
static void
digest_at_end(const char *name, size_t size, char *hex, const char *alg)
{
	char value[24];
	struct pkt_opt pairs[2] = { { "digest", alg }, { "offset", value } };
	uint8_t buf[600];
	ssize_t len;
	struct pkt p;

	snprintf(value, sizeof(value), "%zu", size);
	len = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, pairs, 2);
	harness_send(fd, buf, (size_t)len);
	p = recv_pkt(&C);
	ck_assert_uint_eq(p.u.opt.count, 2);
	harness_send_req(&C, PKT_RRQ, name);
	p = recv_pkt(&C);
	ck_assert_int_eq(p.op, PKT_DAT);
	ck_assert_uint_eq(p.u.dat.size, 0);
	p = recv_pkt(&C);
	ck_assert_int_eq(p.op, PKT_SUM);
	strcpy(hex, p.u.sum.digest);
	ck_assert_int_eq(conn_send_ack(&C, 1), CONN_OK);
}

static void
sha256_of(const void *buf, size_t len, char *hex)
{
	struct digest d;

	ck_assert_int_eq(digest_init(&d, DIGEST_SHA256), 0);
	digest_update(&d, buf, len);
	digest_final(&d, hex);
	digest_free(&d);
}

/* The log lines that say a digest came from the cache. */
static int
cache_hits(void)
{
	static char log[1 << 16];
	const char *p = log;
	int n = 0;

	harness_read_log(&S, log, sizeof(log));
	while ((p = strstr(p, "known from the cache")) != NULL) {
		n++;
		p++;
	}
	return n;
}

START_TEST(the_digest_cache_answers_again_only_for_the_same_file)
{
	char hex[DIGEST_HEX_MAX + 1], want[DIGEST_HEX_MAX + 1];
	char path[PATH_MAX * 2];
	struct timespec times[2];
	struct stat st;

	harness_end_session(&C, &fd);
	harness_cleanup(&S);
	start_with("-v", NULL);
	harness_write_file(&S, "f", data, SIZE);
	sha256_of(data, SIZE, want);
	digest_at_end("f", SIZE, hex, "sha256");
	ck_assert_str_eq(hex, want);
	ck_assert_int_eq(cache_hits(), 0);
	/* Asked again: known, nothing read. */
	digest_at_end("f", SIZE, hex, "sha256");
	ck_assert_str_eq(hex, want);
	ck_assert_int_eq(cache_hits(), 1);
	/* Changed in place, its times put back as they were: the change
	 * time tells, and the file is hashed again. */
	snprintf(path, sizeof(path), "%s/f", S.root);
	ck_assert_int_eq(stat(path, &st), 0);
	data[100] ^= 1;
	harness_write_file(&S, "f", data, SIZE);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, times, 0), 0);
	sha256_of(data, SIZE, want);
	digest_at_end("f", SIZE, hex, "sha256");
	ck_assert_str_eq(hex, want);
	ck_assert_int_eq(cache_hits(), 1);
	/* Asked again: known. */
	digest_at_end("f", SIZE, hex, "sha256");
	ck_assert_str_eq(hex, want);
	ck_assert_int_eq(cache_hits(), 2);
	/* An upload verified by its SUM is known once published. */
	finish_upload("up", SIZE, 0);
	digest_at_end("up", SIZE, hex, "xxh128");
	ck_assert_int_eq(cache_hits(), 3);
}
END_TEST

START_TEST(resumed_under_u_in_the_chroot)
{
	if (geteuid() != 0)
		return;		/* -u needs root; nothing to show otherwise */
	harness_end_session(&C, &fd);
	harness_cleanup(&S);
	/* The parts are reached through the descriptor opened before it. */
	start_with("-u", "nobody");
	cut_upload("u.bin", SIZE, 3);
	ck_assert_int_eq(count_parts(), 1);
	ck_assert_uint_eq(finish_upload("u.bin", SIZE, 0), 3 * 512);
	expect_file("u.bin", SIZE);
	ck_assert_int_eq(count_parts(), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("server resume");
	TCase *tc = tcase_create("resume");

	tcase_add_checked_fixture(tc, setup, fixture_teardown);
	tcase_add_test(tc, offered_only_with_parts_and_a_digest);
	tcase_add_test(tc, resume_after_a_cut_sends_only_the_rest);
	tcase_add_test(tc, a_mismatch_drops_the_part);
	tcase_add_test(tc, a_part_is_the_clients_alone);
	tcase_add_test(tc, an_expired_part_is_gone);
	tcase_add_test(tc, limits_hold);
	tcase_add_test(tc, more_than_announced_is_refused);
	tcase_add_test(tc, killed_child_leaves_a_resumable_part);
	tcase_add_test(tc, resumed_under_u_in_the_chroot);
	tcase_add_test(tc, the_digest_cache_answers_again_only_for_the_same_file);
	suite_add_tcase(s, tc);
	return s;
}
