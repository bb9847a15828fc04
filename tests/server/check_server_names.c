/*
 * The server's names, end to end: what it serves and lists, what it
 * refuses (traversal, links out of the tree, FIFOs, bad names) and the
 * directories it makes.  protocol.md sections 5 and 7; the tree is
 * fixture.h's.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"
#include "listing.h"
#include "check_main.h"

/* The root's listing: type, size, name, in byte order. */
static const struct { char type; uint64_t size; const char *name; }
expected_root[] = {
	{ 'f', 1, ".hidden" }, { 'f', 6, "a.txt" }, { 'f', 6, "abslink" },
	{ 'f', 1000, "b1000" }, { 'f', 512, "b512" }, { 'd', 0, "dirlink" },
	{ 'f', 0, "empty" }, { 'f', 6, "link" }, { 'd', 0, "sub" },
};

static void
check_root_listing(enum pkt_op op)
{
	struct listing_entry e;
	char *text, *line, *nl;
	uint16_t code;
	size_t i = 0;
	ssize_t n;

	n = harness_fetch(&C, op, "", &text, &code);
	ck_assert_int_ge(n, 0);
	for (line = text; line < text + n; line = nl + 1) {
		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);
		ck_assert_int_eq(listing_parse(line, (size_t)(nl - line), &e),
		    0);
		ck_assert_uint_lt(i, sizeof(expected_root) /
		    sizeof(expected_root[0]));
		ck_assert_str_eq(e.name, expected_root[i].name);
		ck_assert_int_eq(e.type, expected_root[i].type);
		ck_assert_uint_eq(e.size, expected_root[i].size);
		ck_assert_uint_gt(e.mtime, 1000000000);
		i++;
	}
	ck_assert_uint_eq(i, sizeof(expected_root) / sizeof(expected_root[0]));
	free(text);
}

/* Sends MKD and expects ACK 0, or ERR code when code is not 0. */
static void
expect_mkd(const char *path, uint16_t code)
{
	struct pkt p;

	harness_send_req(&C, PKT_MKD, path);
	if (code != 0) {
		harness_expect_err(&C, code);
		return;
	}
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_msg(p.op == PKT_ACK && p.u.ack.block == 0,
	    "MKD %s: %s, not ACK 0", path, pkt_op_name(p.op));
}

START_TEST(downloads_of_every_edge_size)
{
	char big[1000];

	memset(big, 'b', sizeof(big));
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	harness_expect_fetch(&C, "empty", "", 0);
	harness_expect_fetch(&C, "b512", big, 512);
	harness_expect_fetch(&C, "b1000", big, 1000);
	harness_expect_fetch(&C, "sub/inner.txt", "inner", 5);
	harness_expect_fetch(&C, ".hidden", "h", 1);
}
END_TEST

START_TEST(listing_shows_exactly_what_is_served)
{
	check_root_listing(PKT_DRQ);
}
END_TEST

START_TEST(rrq_of_empty_path_lists_the_root)
{
	check_root_listing(PKT_RRQ);
}
END_TEST

START_TEST(listing_of_dirs_files_and_missing)
{
	char *text;
	uint16_t code = 0;
	ssize_t n;

	n = harness_fetch(&C, PKT_DRQ, "sub", &text, &code);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(text, "f 5 "));
	ck_assert_ptr_nonnull(strstr(text, " inner.txt\n"));
	free(text);
	n = harness_fetch(&C, PKT_DRQ, "dirlink", &text, &code);
	ck_assert_int_gt(n, 0);
	free(text);
	ck_assert_int_eq(harness_fetch(&C, PKT_DRQ, "a.txt", &text, &code),
	    -1);
	ck_assert_uint_eq(code, ERR_ACCESS);
	ck_assert_int_eq(harness_fetch(&C, PKT_DRQ, "nope", &text, &code),
	    -1);
	ck_assert_uint_eq(code, ERR_NOT_FOUND);
	ck_assert_int_eq(harness_fetch(&C, PKT_DRQ, "rootlink", &text,
	    &code), -1);
	ck_assert_uint_eq(code, ERR_ACCESS);
	ck_assert_int_eq(harness_fetch(&C, PKT_DRQ, "../", &text, &code), -1);
	ck_assert_uint_eq(code, ERR_BAD_NAME);
}
END_TEST

START_TEST(traversal_is_refused_and_the_session_goes_on)
{
	harness_expect_fetch_err(&C, "../etc/passwd", ERR_BAD_NAME);
	harness_expect_fetch_err(&C, "/etc/passwd", ERR_BAD_NAME);
	harness_expect_fetch_err(&C, "sub/../a.txt", ERR_BAD_NAME);
	harness_expect_fetch_err(&C, "sub/../../etc/passwd", ERR_BAD_NAME);
	harness_expect_fetch_err(&C, "....//", ERR_BAD_NAME);
	harness_expect_fetch_err(&C, "a//b", ERR_BAD_NAME);
	harness_expect_fetch_err(&C, "sub/", ERR_BAD_NAME);
	harness_expect_fetch_err(&C, "./a.txt", ERR_BAD_NAME);
	harness_expect_fetch_err(&C, "..", ERR_BAD_NAME);
	/* Printable and well formed, just absent. */
	harness_expect_fetch_err(&C, "..\\etc\\passwd", ERR_NOT_FOUND);
	harness_expect_fetch_err(&C, "....", ERR_NOT_FOUND);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
}
END_TEST

START_TEST(symlinks_inside_served_outside_refused)
{
	harness_expect_fetch(&C, "link", "hello\n", 6);
	harness_expect_fetch(&C, "abslink", "hello\n", 6);
	harness_expect_fetch(&C, "dirlink/inner.txt", "inner", 5);
	harness_expect_fetch_err(&C, "rootlink", ERR_ACCESS);
	harness_expect_fetch_err(&C, "rootlink/etc/passwd", ERR_ACCESS);
	harness_expect_fetch_err(&C, "passwd", ERR_ACCESS);
	harness_expect_fetch_err(&C, "sibling", ERR_ACCESS);
	harness_expect_fetch_err(&C, "abssibling", ERR_ACCESS);
	harness_expect_fetch_err(&C, "dangling", ERR_NOT_FOUND);
}
END_TEST

START_TEST(fifo_and_directory_are_not_regular_files)
{
	/* A FIFO must not hang the child: it answers at once. */
	harness_expect_fetch_err(&C, "fifo", ERR_ACCESS);
	harness_expect_fetch_err(&C, "sub", ERR_ACCESS);
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
}
END_TEST

START_TEST(bad_names)
{
	char name[1100];

	harness_expect_fetch_err(&C, "tab\there", ERR_BAD_NAME);
	harness_expect_fetch_err(&C, "bad\nname", ERR_BAD_NAME);
	harness_expect_fetch_err(&C, "esc\x1b", ERR_BAD_NAME);
	/* Printable UTF-8 is a valid name; broken UTF-8 and controls not. */
	harness_expect_fetch_err(&C, "caf\xc3\xa9", ERR_NOT_FOUND);
	harness_expect_fetch_err(&C, "caf\xc3", ERR_BAD_NAME);
	harness_expect_fetch_err(&C, "c1\xc2\x85", ERR_BAD_NAME);
	harness_expect_fetch_err(&C, "rlm\xe2\x80\x8f", ERR_BAD_NAME);
	memset(name, 'n', 256);
	name[256] = '\0';
	harness_expect_fetch_err(&C, name, ERR_BAD_NAME);
	name[255] = '\0';
	harness_expect_fetch_err(&C, name, ERR_NOT_FOUND);
	/* Over 1024 bytes: malformed, the connection closes. */
	memset(name, 'a', 1025);
	for (int i = 100; i < 1025; i += 100)
		name[i] = '/';
	name[1025] = '\0';
	harness_send(fd, "\0\1", 2);
	harness_send(fd, name, 1026);
	harness_expect_err(&C, ERR_ILLEGAL);
	harness_expect_closed(&C);
}
END_TEST

/* Section 5: printable UTF-8 names are listed and served; the rest not. */
START_TEST(utf8_names_listed_and_served)
{
	static const char *const good[] = {
		"r\xc3\xa9sum\xc3\xa9.pdf", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.txt",
		"cafe\xcc\x81", "caf\xc3\xa9", "\xf0\x9f\x98\x80",
	};
	static const char *const bad[] = {
		"bad\xff", "rlo\xe2\x80\xae", "c1\xc2\x9b", "ls\xe2\x80\xa8",
		"over\xc0\xaf", "sur\xed\xa0\x80",
	};
	char *text, want[256];
	uint16_t code = 0;
	size_t i;
	ssize_t n;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		harness_write_file(&S, good[i], good[i], strlen(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		harness_write_file(&S, bad[i], "x", 1);
	n = harness_fetch(&C, PKT_DRQ, "", &text, &code);
	ck_assert_int_gt(n, 0);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(want, sizeof(want), " %s\n", good[i]);
		ck_assert_msg(strstr(text, want) != NULL, "%s not listed",
		    good[i]);
		harness_expect_fetch(&C, good[i], good[i], strlen(good[i]));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), " %s\n", bad[i]);
		ck_assert_msg(strstr(text, want) == NULL, "bad name listed");
		harness_expect_fetch_err(&C, bad[i], ERR_BAD_NAME);
	}
	free(text);
	/* Uploads under a UTF-8 name; NFC and NFD are two names. */
	ck_assert_int_eq(harness_upload(&C, "\xe6\x96\xb0.bin", "new", 3), 0);
	harness_expect_fetch(&C, "\xe6\x96\xb0.bin", "new", 3);
	ck_assert_int_eq(harness_upload(&C, "caf\xc3\xa9", "x", 1), ERR_EXISTS);
	ck_assert_int_eq(harness_upload(&C, "rlo\xe2\x80\xaex", "x", 1),
	    ERR_BAD_NAME);
	/* The log escapes what is not printable UTF-8, and '"'. */
	harness_expect_fetch_err(&C, "q\"uote", ERR_NOT_FOUND);
	ck_assert(harness_log_has(&S, "RRQ \"q\\\"uote\""));
	ck_assert(harness_log_has(&S, "RRQ \"r\xc3\xa9sum\xc3\xa9.pdf\""));
	ck_assert(harness_log_has(&S, "RRQ \"rlo\\342\\200\\256\""));
}
END_TEST

START_TEST(mkd_every_answer)
{
	char path[PATH_MAX * 2];
	struct stat st;

	expect_mkd("newdir", 0);
	snprintf(path, sizeof(path), "%s/newdir", S.root);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	expect_mkd("newdir/deeper", 0);
	expect_mkd("r\xc3\xa9sum\xc3\xa9s", 0);
	/* Exists as anything: ERR 6. */
	expect_mkd("newdir", ERR_EXISTS);
	expect_mkd("a.txt", ERR_EXISTS);
	expect_mkd("dangling", ERR_EXISTS);
	expect_mkd("fifo", ERR_EXISTS);
	/* The parent: missing ERR 1, not a directory ERR 2. */
	expect_mkd("missing/x", ERR_NOT_FOUND);
	expect_mkd("a.txt/x", ERR_ACCESS);
	/* Bad names: ERR 7; outside: ERR 2; a link inside is followed. */
	expect_mkd("../x", ERR_BAD_NAME);
	expect_mkd("", ERR_BAD_NAME);
	expect_mkd("a//b", ERR_BAD_NAME);
	expect_mkd("bad\xffname", ERR_BAD_NAME);
	expect_mkd("rtl\xe2\x80\xaename", ERR_BAD_NAME);
	expect_mkd("rootlink/tmp-fs-test", ERR_ACCESS);
	expect_mkd("dirlink/viaLink", 0);
	ck_assert(harness_exists(&S, "sub/viaLink"));
	/* Each of these ended the request only. */
	harness_expect_fetch(&C, "a.txt", "hello\n", 6);
	{
		char *text;
		uint16_t code = 0;
		ssize_t n = harness_fetch(&C, PKT_DRQ, "newdir", &text, &code);

		ck_assert_int_gt(n, 0);
		ck_assert_ptr_nonnull(strstr(text, " deeper\n"));
		ck_assert_ptr_ne(strstr(text, "d 0 "), NULL);
		free(text);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("server names");
	TCase *tc;

	tc = tcase_create("names");
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, downloads_of_every_edge_size);
	tcase_add_test(tc, listing_shows_exactly_what_is_served);
	tcase_add_test(tc, rrq_of_empty_path_lists_the_root);
	tcase_add_test(tc, listing_of_dirs_files_and_missing);
	tcase_add_test(tc, traversal_is_refused_and_the_session_goes_on);
	tcase_add_test(tc, symlinks_inside_served_outside_refused);
	tcase_add_test(tc, fifo_and_directory_are_not_regular_files);
	tcase_add_test(tc, bad_names);
	tcase_add_test(tc, utf8_names_listed_and_served);
	tcase_add_test(tc, mkd_every_answer);
	suite_add_tcase(s, tc);
	return s;
}
