/* The errno-to-ERR table (protocol/errno_map.c). */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "errno_map.h"
#include "packet.h"
#include "proto_limits.h"
#include "check_main.h"

/* The row for errnum at when, which the table must have. */
static const struct errno_row *
row_of(int errnum, enum errno_when when)
{
	const struct errno_row *row = errno_map(errnum, when);

	ck_assert_msg(row != NULL, "no row for errno %d at %d", errnum,
	    (int)when);
	return row;
}

START_TEST(missing_name_is_not_found_before_a_transfer_only)
{
	const struct errno_row *row = row_of(ENOENT, ERRNO_OPENING);

	ck_assert_uint_eq(row->code, ERR_NOT_FOUND);
	ck_assert_str_eq(row->msg, "File not found");
	ck_assert_uint_eq(row_of(ENOTDIR, ERRNO_OPENING)->code,
	    ERR_NOT_FOUND);
	/* A vanished name while storing is a write error, the caller's. */
	ck_assert_ptr_null(errno_map(ENOENT, ERRNO_WRITING));
}
END_TEST

START_TEST(way_out_is_access_violation)
{
	ck_assert_uint_eq(row_of(EXDEV, ERRNO_OPENING)->code, ERR_ACCESS);
	/* An upload's directory moved out of the tree meanwhile. */
	ck_assert_uint_eq(row_of(EXDEV, ERRNO_WRITING)->code, ERR_ACCESS);
	ck_assert_str_eq(row_of(EXDEV, ERRNO_WRITING)->msg, "Access "
	    "violation: the directory left the served directory");
	ck_assert_uint_eq(row_of(ELOOP, ERRNO_OPENING)->code, ERR_ACCESS);
	ck_assert_uint_eq(row_of(ENAMETOOLONG, ERRNO_OPENING)->code,
	    ERR_BAD_NAME);
}
END_TEST

START_TEST(full_disk_and_quota_alike_at_any_time)
{
	const enum errno_when when[] = { ERRNO_OPENING, ERRNO_WRITING };
	size_t i;

	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		ck_assert_uint_eq(row_of(ENOSPC, when[i])->code,
		    ERR_DISK_FULL);
		ck_assert_uint_eq(row_of(EDQUOT, when[i])->code,
		    ERR_DISK_FULL);
		ck_assert_str_eq(row_of(EDQUOT, when[i])->msg,
		    "Disk full");
		ck_assert_uint_eq(row_of(EEXIST, when[i])->code,
		    ERR_EXISTS);
	}
}
END_TEST

START_TEST(file_size_limit_while_writing_only)
{
	ck_assert_uint_eq(row_of(EFBIG, ERRNO_WRITING)->code,
	    ERR_DISK_FULL);
	ck_assert_str_eq(row_of(EFBIG, ERRNO_WRITING)->msg,
	    "Upload size limit exceeded");
	ck_assert_ptr_null(errno_map(EFBIG, ERRNO_OPENING));
}
END_TEST

START_TEST(others_are_left_to_the_caller)
{
	ck_assert_ptr_null(errno_map(EIO, ERRNO_OPENING));
	ck_assert_ptr_null(errno_map(EIO, ERRNO_WRITING));
	ck_assert_ptr_null(errno_map(EACCES, ERRNO_OPENING));
	ck_assert_ptr_null(errno_map(0, ERRNO_OPENING));
}
END_TEST

/* Whatever row answers, it is a code of section 7 with a message that
 * fits an ERR, and it answers for the errno and the time asked. */
START_TEST(every_answer_is_a_sendable_err)
{
	const enum errno_when when[] = { ERRNO_OPENING, ERRNO_WRITING };
	const struct errno_row *row;
	unsigned rows = 0;
	size_t i;
	int e;

	for (e = 0; e < 256; e++) {
		for (i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
			if ((row = errno_map(e, when[i])) == NULL)
				continue;
			rows++;
			ck_assert_int_eq(row->errnum, e);
			ck_assert((row->when & when[i]) != 0);
			ck_assert_uint_le(row->code, ERR_INTEGRITY);
			ck_assert_uint_gt(strlen(row->msg), 0);
			ck_assert_uint_le(strlen(row->msg), ERRMSG_LEN_MAX);
		}
	}
	ck_assert_uint_eq(rows, 13);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("errno_map");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, missing_name_is_not_found_before_a_transfer_only);
	tcase_add_test(tc, way_out_is_access_violation);
	tcase_add_test(tc, full_disk_and_quota_alike_at_any_time);
	tcase_add_test(tc, file_size_limit_while_writing_only);
	tcase_add_test(tc, others_are_left_to_the_caller);
	tcase_add_test(tc, every_answer_is_a_sendable_err);
	suite_add_tcase(s, tc);
	return s;
}
