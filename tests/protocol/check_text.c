/* Escaping of peer text (protocol/text.c): bounded for any input. */
#include <check.h>
#include <string.h>

#include "text.h"
#include "check_main.h"

static void
expect(const char *in, size_t len, unsigned flags, const char *want)
{
	char out[256];

	text_escape(out, sizeof(out), in, len, flags);
	ck_assert_str_eq(out, want);
}

START_TEST(escapes)
{
	expect("plain ~", 7, 0, "plain ~");
	expect("a\\b", 3, 0, "a\\\\b");
	expect("a\nb\tc\rd", 7, 0, "a\\nb\\tc\\rd");
	expect("\x1b[2J", 4, 0, "\\033[2J");
	expect("\x7f", 1, 0, "\\177");
	expect("a\0b", 3, 0, "a\\000b");
	expect("say \"hi\"", 8, 0, "say \"hi\"");
	expect("say \"hi\"", 8, TEXT_QUOTE, "say \\\"hi\\\"");
}
END_TEST

START_TEST(utf8_shown_only_when_asked)
{
	expect("caf\xc3\xa9", 5, 0, "caf\\303\\251");
	expect("caf\xc3\xa9", 5, TEXT_UTF8, "caf\xc3\xa9");
	expect("\xe6\x97\xa5", 3, TEXT_UTF8, "\xe6\x97\xa5");
	/* Not printable UTF-8: escaped byte by byte all the same. */
	expect("\xc0\x80", 2, TEXT_UTF8, "\\300\\200");
	expect("\xe2\x80\xae", 3, TEXT_UTF8, "\\342\\200\\256");
	expect("\xc2\x9b", 2, TEXT_UTF8, "\\302\\233");
	expect("\xe6\x97", 2, TEXT_UTF8, "\\346\\227");
}
END_TEST

/* The finding of issue 13: a long input never writes past the buffer. */
START_TEST(bounded_for_any_length)
{
	char in[4000], buf[80];
	size_t size, i;

	memset(in, 'p', sizeof(in));
	for (size = 1; size <= 64; size++) {
		memset(buf, 'Z', sizeof(buf));
		text_escape(buf, size, in, sizeof(in), 0);
		ck_assert_uint_eq(strlen(buf), size - 1);
		for (i = size; i < sizeof(buf); i++)
			ck_assert_int_eq(buf[i], 'Z');
	}
	memset(in, '\x01', sizeof(in));
	for (size = 1; size <= 64; size++) {
		memset(buf, 'Z', sizeof(buf));
		text_escape(buf, size, in, sizeof(in), 0);
		/* Whole escapes only: a multiple of four. */
		ck_assert_uint_eq(strlen(buf), (size - 1) / 4 * 4);
		for (i = size; i < sizeof(buf); i++)
			ck_assert_int_eq(buf[i], 'Z');
	}
	/* A UTF-8 character is never cut in half. */
	memset(buf, 'Z', sizeof(buf));
	text_escape(buf, 3, "\xe6\x97\xa5", 3, TEXT_UTF8);
	ck_assert_str_eq(buf, "");
	text_escape(buf, 4, "\xe6\x97\xa5", 3, TEXT_UTF8);
	ck_assert_str_eq(buf, "\xe6\x97\xa5");
	text_escape(buf, 0, "x", 1, 0);		/* nothing written */
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, escapes);
	tcase_add_test(tc, utf8_shown_only_when_asked);
	tcase_add_test(tc, bounded_for_any_length);
	suite_add_tcase(s, tc);
	return s;
}
