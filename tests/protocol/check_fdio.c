/* Gathered writes to a descriptor (protocol/fdio.c). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "fdio.h"
#include "check_main.h"

#define PIECES	3000		/* more than IOV_MAX: written in turns */

static char path[64];
static int fd;

static void
setup(void)
{
	snprintf(path, sizeof(path), "/tmp/check_fdio.XXXXXX");
	ck_assert_int_ne(fd = mkstemp(path), -1);
}

static void
teardown(void)
{
	close(fd);
	unlink(path);
}

/* Piece i holds i % 7 bytes of the letter 'a' + i % 26. */
static size_t
fill(struct iovec *iov, char *bytes)
{
	size_t off = 0;
	int i;

	for (i = 0; i < PIECES; i++) {
		memset(bytes + off, 'a' + i % 26, (size_t)(i % 7));
		iov[i].iov_base = bytes + off;
		iov[i].iov_len = (size_t)(i % 7);
		off += (size_t)(i % 7);
	}
	return off;
}

START_TEST(every_piece_in_order_empty_ones_too)
{
	static struct iovec iov[PIECES];
	static char bytes[PIECES * 7], back[PIECES * 7];
	size_t len = fill(iov, bytes);

	ck_assert_int_gt(PIECES, IOV_MAX);
	ck_assert_uint_eq(fdio_iov_len(iov, PIECES), len);
	ck_assert_int_eq(fdio_writev(fd, iov, PIECES), 0);
	ck_assert_int_eq(pread(fd, back, sizeof(back), 0), (ssize_t)len);
	ck_assert_int_eq(memcmp(back, bytes, len), 0);
}
END_TEST

START_TEST(nothing_to_write)
{
	struct iovec none = { NULL, 0 };

	ck_assert_uint_eq(fdio_iov_len(&none, 1), 0);
	ck_assert_int_eq(fdio_writev(fd, &none, 1), 0);
	ck_assert_int_eq(fdio_writev(fd, &none, 0), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
}
END_TEST

/*
 * A file-size limit cuts a write short, after which the next one fails:
 * the short count is continued, the failure reported with its errno.
 */
START_TEST(short_write_continued_then_failure_reported)
{
	static struct iovec iov[PIECES];
	static char bytes[PIECES * 7];
	struct rlimit rl = { 1000, 1000 };
	int status;
	pid_t pid;

	fill(iov, bytes);
	if ((pid = fork()) == 0) {
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(9);
		_exit(fdio_writev(fd, iov, PIECES) == -1 && errno == EFBIG ?
		    0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 1000);
}
END_TEST

START_TEST(bad_descriptor_is_an_error)
{
	char c = 'x';
	struct iovec one = { &c, 1 };
	int rd = open(path, O_RDONLY);

	ck_assert_int_eq(fdio_writev(rd, &one, 1), -1);
	ck_assert_int_eq(errno, EBADF);
	close(rd);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("fdio");
	TCase *tc = tcase_create("writev");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_piece_in_order_empty_ones_too);
	tcase_add_test(tc, nothing_to_write);
	tcase_add_test(tc, short_write_continued_then_failure_reported);
	tcase_add_test(tc, bad_descriptor_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}
