/* The name rules (protocol/path.c), every rule of section 5. */
#include <check.h>
#include <string.h>

#include "path.h"
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
	ck_assert_int_eq(check("caf\xc3\xa9"), PATH_NOT_PRINTABLE);
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

static Suite *
suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, valid_paths);
	tcase_add_test(tc, refused_paths);
	tcase_add_test(tc, component_and_path_lengths);
	tcase_add_test(tc, single_names);
	suite_add_tcase(s, tc);
	return s;
}
