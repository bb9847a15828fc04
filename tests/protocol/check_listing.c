/* Listing lines (protocol/listing.c), section 4. */
#include <check.h>
#include <string.h>

#include "listing.h"
#include "check_main.h"

static struct listing_entry e;

static int
parse(const char *line)
{
	return listing_parse(line, strlen(line), &e);
}

START_TEST(format_then_parse)
{
	struct listing_entry in = { 'f', 5368709120ULL, 1700000000, "a b.txt" };
	char buf[LISTING_LINE_MAX + 1];
	int n;

	n = listing_format(buf, sizeof(buf), &in);
	ck_assert_str_eq(buf, "f 5368709120 1700000000 a b.txt\n");
	ck_assert_int_eq(listing_parse(buf, (size_t)n - 1, &e), 0);
	ck_assert_int_eq(e.type, 'f');
	ck_assert_uint_eq(e.size, 5368709120ULL);
	ck_assert_uint_eq(e.mtime, 1700000000);
	ck_assert_str_eq(e.name, "a b.txt");
	ck_assert_int_eq(listing_format(buf, 10, &in), -1);
	ck_assert_int_eq(parse("d 0 0 dir"), 0);
	ck_assert_int_eq(e.type, 'd');
	ck_assert_int_eq(parse("f 18446744073709551615 1 max"), 0);
}
END_TEST

START_TEST(refuses_what_breaks_the_format)
{
	char name[300];

	ck_assert_int_eq(parse(""), -1);
	ck_assert_int_eq(parse("l 1 1 link"), -1);
	ck_assert_int_eq(parse("f1 1 x"), -1);
	ck_assert_int_eq(parse("f  1 1 x"), -1);
	ck_assert_int_eq(parse("f 1 1 "), -1);
	ck_assert_int_eq(parse("f 1 1"), -1);
	ck_assert_int_eq(parse("f -1 1 x"), -1);
	ck_assert_int_eq(parse("f 1x 1 x"), -1);
	ck_assert_int_eq(parse("f 18446744073709551616 1 x"), -1);
	ck_assert_int_eq(parse("f 1 1 esc\x1b[2J"), -1);
	ck_assert_int_eq(listing_parse("f 1 1 a\0b", 9, &e), -1);
	memset(name, 'n', sizeof(name));
	memcpy(name, "f 1 1 ", 6);
	name[6 + 256] = '\0';
	ck_assert_int_eq(parse(name), -1);
	name[6 + 255] = '\0';
	ck_assert_int_eq(parse(name), 0);
}
END_TEST

START_TEST(lines_are_cut_one_by_one)
{
	static const char text[] = "a\n\nbc";
	const char *line;
	size_t pos = 0, n;

	line = listing_next_line(text, 5, &pos, &n);
	ck_assert_ptr_eq(line, text);
	ck_assert_uint_eq(n, 1);
	line = listing_next_line(text, 5, &pos, &n);
	ck_assert_ptr_eq(line, text + 2);
	ck_assert_uint_eq(n, 0);
	line = listing_next_line(text, 5, &pos, &n);
	ck_assert_ptr_eq(line, text + 3);
	ck_assert_uint_eq(n, 2);	/* the last, without its newline */
	ck_assert_ptr_null(listing_next_line(text, 5, &pos, &n));
	pos = 0;
	ck_assert_ptr_null(listing_next_line(text, 0, &pos, &n));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("listing");
	TCase *tc = tcase_create("lines");

	tcase_add_test(tc, format_then_parse);
	tcase_add_test(tc, refuses_what_breaks_the_format);
	tcase_add_test(tc, lines_are_cut_one_by_one);
	suite_add_tcase(s, tc);
	return s;
}
