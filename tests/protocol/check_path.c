/* The name rules (protocol/path.c), every rule of section 5. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "path.h"
#include "proto_limits.h"
#include "check_main.h"

static enum path_status
check(const char *s)
{
	return path_check(s, strlen(s));
}

START_TEST(valid_paths)
{
	ck_assert_int_eq(check("a"), PATH_OK);
	ck_assert_int_eq(check("dir/file.txt"), PATH_OK);
	ck_assert_int_eq(check(".hidden"), PATH_OK);
	ck_assert_int_eq(check("..."), PATH_OK);
	ck_assert_int_eq(check("a/.b/..c"), PATH_OK);
	ck_assert_int_eq(check("with space ~"), PATH_OK);
	/* A backslash is an ordinary printable byte, not a separator. */
	ck_assert_int_eq(check("..\\"), PATH_OK);
	ck_assert_int_eq(check("..\\..\\etc"), PATH_OK);
	/* Letters of any script are printable (section 5). */
	ck_assert_int_eq(check("r\xc3\xa9sum\xc3\xa9.pdf"), PATH_OK);
	ck_assert_int_eq(check("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/x.txt"), PATH_OK);
}
END_TEST

/* One character of each class, alone and inside a name. */
static void
expect_char(const char *bytes, size_t n, int valid)
{
	char name[16];

	ck_assert_uint_eq(path_utf8_char((const unsigned char *)bytes, n),
	    valid ? n : 0);
	snprintf(name, sizeof(name), "a%.*sb", (int)n, bytes);
	ck_assert_msg(path_check(name, n + 2) == (valid ? PATH_OK :
	    PATH_NOT_PRINTABLE), "%02x...: wanted %s", (unsigned char)bytes[0],
	    valid ? "valid" : "refused");
	ck_assert_int_eq(path_name_valid(name), valid);
}

START_TEST(utf8_valid_text)
{
	expect_char("~", 1, 1);
	expect_char("\xc2\xa0", 2, 1);		/* U+00A0, first after C1 */
	expect_char("\xc3\xa9", 2, 1);		/* é precomposed (NFC) */
	expect_char("\xcc\x81", 2, 1);		/* combining acute (NFD) */
	expect_char("\xdf\xbf", 2, 1);		/* U+07FF, last 2-byte */
	expect_char("\xe0\xa0\x80", 3, 1);	/* U+0800, first 3-byte */
	expect_char("\xe6\x97\xa5", 3, 1);	/* 日 */
	expect_char("\xed\x9f\xbf", 3, 1);	/* U+D7FF, below surrogates */
	expect_char("\xee\x80\x80", 3, 1);	/* U+E000, above them */
	expect_char("\xef\xbf\xbd", 3, 1);	/* U+FFFD */
	expect_char("\xf0\x90\x80\x80", 4, 1);	/* U+10000 */
	expect_char("\xf0\x9f\x98\x80", 4, 1);	/* an emoji */
	expect_char("\xf4\x8f\xbf\xbf", 4, 1);	/* U+10FFFF, the last */
	expect_char("\xe2\x80\x8b", 3, 1);	/* U+200B: not bidi */
	expect_char("\xe2\x80\xaf", 3, 1);	/* U+202F: next to bidi */
	expect_char("\xe2\x81\xa5", 3, 1);	/* U+2065: before isolates */
	expect_char("\xe2\x81\xaa", 3, 1);	/* U+206A: after them */
	/* NFC and NFD of café are two valid, different names. */
	ck_assert_int_eq(check("caf\xc3\xa9"), PATH_OK);
	ck_assert_int_eq(check("cafe\xcc\x81"), PATH_OK);
}
END_TEST

START_TEST(utf8_malformed)
{
	expect_char("\xc0\x80", 2, 0);		/* overlong NUL */
	expect_char("\xc1\xbf", 2, 0);		/* overlong 0x7F */
	expect_char("\xe0\x80\xaf", 3, 0);	/* overlong '/' */
	expect_char("\xe0\x9f\xbf", 3, 0);	/* overlong U+07FF */
	expect_char("\xf0\x8f\xbf\xbf", 4, 0);	/* overlong U+FFFF */
	expect_char("\xed\xa0\x80", 3, 0);	/* U+D800, a surrogate */
	expect_char("\xed\xbf\xbf", 3, 0);	/* U+DFFF */
	expect_char("\xf4\x90\x80\x80", 4, 0);	/* U+110000 */
	expect_char("\xf7\xbf\xbf\xbf", 4, 0);	/* past it */
	expect_char("\xf8\x88\x80\x80", 4, 0);	/* a 5-byte lead */
	expect_char("\xff", 1, 0);
	expect_char("\x80", 1, 0);		/* a lone continuation */
	expect_char("\xc3", 1, 0);		/* truncated 2-byte */
	expect_char("\xe6\x97", 2, 0);		/* truncated 3-byte */
	expect_char("\xf0\x9f\x98", 3, 0);	/* truncated 4-byte */
	expect_char("\xc3\x28", 2, 0);		/* continuation missing */
	/* Truncated at the very end of the path, too. */
	ck_assert_int_eq(check("abc\xe6\x97"), PATH_NOT_PRINTABLE);
	ck_assert_uint_eq(path_utf8_char((const unsigned char *)"\xe6\x97\xa5",
	    2), 0);
}
END_TEST

START_TEST(utf8_controls_and_bidi)
{
	static const char *const refused[] = {
		"\x01", "\x1f", "\x7f",
		"\xc2\x80", "\xc2\x85", "\xc2\x9b", "\xc2\x9f",	/* C1 */
		"\xe2\x80\xa8", "\xe2\x80\xa9",		/* U+2028/9 */
		"\xd8\x9c",					/* U+061C */
		"\xe2\x80\x8e", "\xe2\x80\x8f",		/* LRM, RLM */
		"\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac",
		"\xe2\x80\xad", "\xe2\x80\xae",		/* U+202A-E */
		"\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8",
		"\xe2\x81\xa9",				/* U+2066-9 */
	};
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		expect_char(refused[i], strlen(refused[i]), 0);
	ck_assert_uint_eq(path_utf8_char((const unsigned char *)"", 1), 0);
	ck_assert_int_eq(path_text_printable("ok \xc3\xa9", 5), 1);
	ck_assert_int_eq(path_text_printable("no\xe2\x80\xae", 5), 0);
	ck_assert_int_eq(path_text_printable("", 0), 1);
}
END_TEST

START_TEST(refused_paths)
{
	ck_assert_int_eq(check(""), PATH_EMPTY);
	ck_assert_int_eq(check("/"), PATH_ABSOLUTE);
	ck_assert_int_eq(check("/etc/passwd"), PATH_ABSOLUTE);
	ck_assert_int_eq(check("a//b"), PATH_EMPTY_COMPONENT);
	ck_assert_int_eq(check("a/"), PATH_EMPTY_COMPONENT);
	ck_assert_int_eq(check("....//"), PATH_EMPTY_COMPONENT);
	ck_assert_int_eq(check("."), PATH_DOT_COMPONENT);
	ck_assert_int_eq(check(".."), PATH_DOT_COMPONENT);
	ck_assert_int_eq(check("../etc/passwd"), PATH_DOT_COMPONENT);
	ck_assert_int_eq(check("a/../../b"), PATH_DOT_COMPONENT);
	ck_assert_int_eq(check("a/./b"), PATH_DOT_COMPONENT);
	ck_assert_int_eq(check("a/.."), PATH_DOT_COMPONENT);
	ck_assert_int_eq(check("tab\there"), PATH_NOT_PRINTABLE);
	ck_assert_int_eq(check("new\nline"), PATH_NOT_PRINTABLE);
	ck_assert_int_eq(check("del\x7f"), PATH_NOT_PRINTABLE);
	/* A NUL inside the given length is not printable either. */
	ck_assert_int_eq(path_check("a\0b", 3), PATH_NOT_PRINTABLE);
}
END_TEST

START_TEST(component_and_path_lengths)
{
	char s[1100];

	memset(s, 'c', 255);
	s[255] = '\0';
	ck_assert_int_eq(check(s), PATH_OK);
	s[255] = 'c';
	s[256] = '\0';
	ck_assert_int_eq(check(s), PATH_COMPONENT_TOO_LONG);
	/* 1024 bytes made of short components; then 1025. */
	memset(s, 'a', 1025);
	for (size_t i = 100; i < 1025; i += 100)
		s[i] = '/';
	s[1024] = '\0';
	ck_assert_int_eq(check(s), PATH_OK);
	s[1024] = 'a';
	s[1025] = '\0';
	ck_assert_int_eq(check(s), PATH_TOO_LONG);
}
END_TEST

START_TEST(single_names)
{
	char s[300];

	ck_assert_int_eq(path_name_valid("file"), 1);
	ck_assert_int_eq(path_name_valid(".profile"), 1);
	ck_assert_int_eq(path_name_valid(""), 0);
	ck_assert_int_eq(path_name_valid("."), 0);
	ck_assert_int_eq(path_name_valid(".."), 0);
	ck_assert_int_eq(path_name_valid("a/b"), 0);
	ck_assert_int_eq(path_name_valid("/"), 0);
	ck_assert_int_eq(path_name_valid("esc\x1b[2J"), 0);
	memset(s, 'n', 256);
	s[256] = '\0';
	ck_assert_int_eq(path_name_valid(s), 0);
	s[255] = '\0';
	ck_assert_int_eq(path_name_valid(s), 1);
	ck_assert_str_eq(path_status_str(PATH_ABSOLUTE), "absolute path");
}
END_TEST

/* What path_resolve makes of arg in cwd, or NULL when it refuses. */
static const char *
resolve(const char *cwd, const char *arg)
{
	static char out[PATH_LEN_MAX + 1];

	return path_resolve(cwd, arg, out, sizeof(out)) == PATH_OK ? out :
	    NULL;
}

START_TEST(resolve_relative_and_absolute)
{
	ck_assert_str_eq(resolve("", ""), "");
	ck_assert_str_eq(resolve("", "/"), "");
	ck_assert_str_eq(resolve("", "a"), "a");
	ck_assert_str_eq(resolve("d", "a"), "d/a");
	ck_assert_str_eq(resolve("d/e", "a/b"), "d/e/a/b");
	ck_assert_str_eq(resolve("d/e", ""), "d/e");
	ck_assert_str_eq(resolve("d/e", "/a"), "a");
	ck_assert_str_eq(resolve("d/e", "/"), "");
	/* Empty and "." components go; dot-files stay. */
	ck_assert_str_eq(resolve("d", "./a//b/."), "d/a/b");
	ck_assert_str_eq(resolve("d", "a/"), "d/a");
	ck_assert_str_eq(resolve("", ".a/..."), ".a/...");
	/* Not separators and not checked here: the server judges names. */
	ck_assert_str_eq(resolve("", "..\\x"), "..\\x");
}
END_TEST

START_TEST(resolve_climbs_within_the_root)
{
	ck_assert_str_eq(resolve("d/e", ".."), "d");
	ck_assert_str_eq(resolve("d/e", "../.."), "");
	ck_assert_str_eq(resolve("d/e", "../../../../x"), "x");
	ck_assert_str_eq(resolve("", ".."), "");
	ck_assert_str_eq(resolve("", "/../a"), "a");
	ck_assert_str_eq(resolve("d", "a/../b"), "d/b");
	ck_assert_str_eq(resolve("dir", "x/../../.."), "");
	ck_assert_str_eq(resolve("", "a/b/c/../../d"), "a/d");
}
END_TEST

START_TEST(resolve_bounds)
{
	char cwd[PATH_LEN_MAX + 1], arg[2 * PATH_LEN_MAX + 3];
	char out[PATH_LEN_MAX + 1], small[4];

	/* A result of PATH_LEN_MAX bytes fits; one more does not. */
	memset(cwd, 'c', PATH_LEN_MAX - 2);
	cwd[PATH_LEN_MAX - 2] = '\0';
	ck_assert_int_eq(path_resolve(cwd, "a", out, sizeof(out)), PATH_OK);
	ck_assert_uint_eq(strlen(out), PATH_LEN_MAX);
	ck_assert_int_eq(path_resolve(cwd, "ab", out, sizeof(out)),
	    PATH_TOO_LONG);
	/* A long climb that ends short is still fine... */
	ck_assert_int_eq(path_resolve(cwd, "../x", out, sizeof(out)),
	    PATH_OK);
	ck_assert_str_eq(out, "x");
	/* ...unless cwd and arg together outgrow what is resolved. */
	memset(arg, '/', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	ck_assert_int_eq(path_resolve("", arg, out, sizeof(out)),
	    PATH_TOO_LONG);
	/* The caller's buffer bounds the result too. */
	ck_assert_int_eq(path_resolve("", "abc", small, sizeof(small)),
	    PATH_OK);
	ck_assert_str_eq(small, "abc");
	ck_assert_int_eq(path_resolve("", "abcd", small, sizeof(small)),
	    PATH_TOO_LONG);
	ck_assert_int_eq(path_resolve("a", "b/c", small, sizeof(small)),
	    PATH_TOO_LONG);
	ck_assert_int_eq(path_resolve("", "", small, 0), PATH_TOO_LONG);
	ck_assert_int_eq(path_resolve("", "", small, 1), PATH_OK);
	ck_assert_str_eq(small, "");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, valid_paths);
	tcase_add_test(tc, refused_paths);
	tcase_add_test(tc, component_and_path_lengths);
	tcase_add_test(tc, single_names);
	tcase_add_test(tc, utf8_valid_text);
	tcase_add_test(tc, utf8_malformed);
	tcase_add_test(tc, utf8_controls_and_bidi);
	suite_add_tcase(s, tc);
	tc = tcase_create("resolve");
	tcase_add_test(tc, resolve_relative_and_absolute);
	tcase_add_test(tc, resolve_climbs_within_the_root);
	tcase_add_test(tc, resolve_bounds);
	suite_add_tcase(s, tc);
	return s;
}
