/*
 * Faults, injected into the real server with tests/tools/faults.c
 * (LD_PRELOAD, $FAULTS_LIB): a disk that fills or fails mid-upload, a
 * file that fails mid-download, fork and accept failing; and clients that
 * vanish after exactly k bytes.  Each is answered as the contract says,
 * nothing partial is left, and the parent lives on.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "harness.h"
#include "check_main.h"

static struct server S;

static void
with_faults(const char *name, const char *value)
{
	const char *lib = getenv("FAULTS_LIB");

	ck_assert_msg(lib != NULL, "FAULTS_LIB is not set");
	setenv("LD_PRELOAD", lib, 1);
	/* The sanitizer runtime need not come first for this test. */
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=1", 1);
	if (name != NULL)
		setenv(name, value, 1);
}

static void
setup(void)
{
	harness_dirs(&S);
}

static void
teardown(void)
{
	unsetenv("LD_PRELOAD");
	harness_cleanup(&S);
}

/* The parent still serves: a fresh session downloads a file. */
static void
still_serving(void)
{
	struct conn c;
	char *data;
	uint16_t code;
	int fd = harness_session(&S, &c);

	ck_assert_int_eq(harness_fetch(&c, PKT_RRQ, "small", &data, &code), 6);
	free(data);
	conn_free(&c);
	close(fd);
}

static void
upload_fails(const char *err, uint16_t want)
{
	static char data[300000];
	struct conn c;
	int fd, before;

	with_faults("FAULT_WRITE_ERRNO", err);
	setenv("FAULT_WRITE_AFTER", "1000", 1);
	harness_write_file(&S, "small", "small\n", 6);
	harness_start(&S, NULL);
	before = harness_entries(S.root);
	fd = harness_session(&S, &c);
	memset(data, 'u', sizeof(data));
	ck_assert_int_eq(harness_upload(&c, "up", data, sizeof(data)), want);
	harness_expect_closed(&c);
	conn_free(&c);
	close(fd);
	ck_assert_int_eq(harness_entries(S.root), before);
	still_serving();
}

START_TEST(disk_full_mid_upload)
{
	upload_fails("ENOSPC", 3);
	ck_assert(harness_log_has(&S, "Sent ERR 3: Disk full"));
}
END_TEST

START_TEST(write_error_mid_upload)
{
	upload_fails("EIO", 0);
	ck_assert(harness_log_has(&S, "Sent ERR 0: Write error"));
}
END_TEST

START_TEST(read_error_mid_download)
{
	static char data[1 << 20];
	struct conn c;
	char *got;
	uint16_t code = 99;
	int fd;

	with_faults("FAULT_READ_AFTER", "300000");
	memset(data, 'd', sizeof(data));
	harness_write_file(&S, "big", data, sizeof(data));
	harness_write_file(&S, "small", "small\n", 6);
	harness_start(&S, NULL);
	fd = harness_session(&S, &c);
	ck_assert_int_eq(harness_fetch(&c, PKT_RRQ, "big", &got, &code), -1);
	ck_assert_uint_eq(code, 0);
	harness_expect_closed(&c);
	conn_free(&c);
	close(fd);
	unsetenv("FAULT_READ_AFTER");
}
END_TEST

START_TEST(fork_failure_is_busy_and_the_parent_lives)
{
	struct conn c;
	int fd, i;

	with_faults("FAULT_FORK_FAILS", "2");
	harness_write_file(&S, "small", "small\n", 6);
	harness_start(&S, NULL);
	for (i = 0; i < 2; i++) {
		fd = harness_dial(&S, 0);
		conn_init(&c, fd, NULL, NULL);
		harness_expect_err(&c, 9);
		harness_expect_closed(&c);
		conn_free(&c);
		close(fd);
	}
	still_serving();
}
END_TEST

/* The connection that met EMFILE is closed, not left queued. */
static void
accept_emfile(const char *const *args)
{
	struct conn c;
	int fd;

	with_faults("FAULT_ACCEPT_EMFILE", "1");
	harness_write_file(&S, "small", "small\n", 6);
	harness_start(&S, args);
	fd = harness_dial(&S, 0);
	conn_init(&c, fd, NULL, NULL);
	harness_expect_closed(&c);
	conn_free(&c);
	close(fd);
	still_serving();
	ck_assert(harness_log_has(&S, "accept: too many open files"));
}

START_TEST(accept_emfile_never_stops_the_server)
{
	accept_emfile(NULL);
}
END_TEST

/*
 * The same under -u, whose chroot has no /dev/null: the descriptor kept
 * in reserve was opened before it (issue 25, finding 4d).
 */
START_TEST(accept_emfile_under_user_never_stops_the_server)
{
	static const char *const args[] = { "-u", "nobody", NULL };

	if (geteuid() != 0)
		return;			/* -u needs root */
	chmod(S.top, 0755);		/* nobody reads the tree */
	accept_emfile(args);
}
END_TEST

/*
 * A client script, cut after exactly k bytes for every k short of the
 * whole: the server must end each session cleanly, keep no partial
 * upload, and go on.  (The whole script is a complete upload, which may
 * land before the client's close resets the connection, or not.)
 */
static void
cut_everywhere(const uint8_t *script, size_t len)
{
	struct conn c;
	struct pkt p;
	size_t k;
	int fd, before = harness_entries(S.root);

	for (k = 0; k < len; k++) {
		fd = harness_dial(&S, 0);
		conn_init(&c, fd, NULL, NULL);
		ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
		if (k > 0)
			harness_send(fd, script, k);
		conn_free(&c);
		close(fd);
	}
	harness_wait_no_children(&S, 10);
	ck_assert_int_eq(harness_entries(S.root), before);
	still_serving();
}

START_TEST(client_vanishes_after_every_k_bytes)
{
	static uint8_t script[4096], data[1500];
	size_t n = 0;
	uint16_t b;

	harness_write_file(&S, "small", "small\n", 6);
	memset(data, 'k', sizeof(data));
	harness_write_file(&S, "big", data, sizeof(data));
	harness_start(&S, NULL);
	/* Upload: ACK 1, WRQ, then three DATs, sent without waiting. */
	n += (size_t)pkt_encode_ack(script + n, sizeof(script) - n, 1);
	n += (size_t)pkt_encode_req(script + n, sizeof(script) - n, PKT_WRQ,
	    "cut");
	for (b = 1; b <= 3; b++)
		n += (size_t)pkt_encode_dat(script + n, sizeof(script) - n, b,
		    data, b < 3 ? 512 : 100);
	cut_everywhere(script, n);
	/* Download and listing: the requests and every ACK. */
	n = (size_t)pkt_encode_ack(script, sizeof(script), 1);
	n += (size_t)pkt_encode_req(script + n, sizeof(script) - n, PKT_RRQ,
	    "big");
	for (b = 1; b <= 3; b++)
		n += (size_t)pkt_encode_ack(script + n, sizeof(script) - n, b);
	n += (size_t)pkt_encode_req(script + n, sizeof(script) - n, PKT_DRQ,
	    "");
	n += (size_t)pkt_encode_ack(script + n, sizeof(script) - n, 1);
	cut_everywhere(script, n);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("injected");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, disk_full_mid_upload);
	tcase_add_test(tc, write_error_mid_upload);
	tcase_add_test(tc, read_error_mid_download);
	tcase_add_test(tc, fork_failure_is_busy_and_the_parent_lives);
	tcase_add_test(tc, accept_emfile_never_stops_the_server);
	tcase_add_test(tc, accept_emfile_under_user_never_stops_the_server);
	tcase_add_test(tc, client_vanishes_after_every_k_bytes);
	suite_add_tcase(s, tc);
	return s;
}
