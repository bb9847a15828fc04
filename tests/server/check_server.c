/*
 * The server, end to end: the real binary on port 0 in a temporary
 * directory, driven with raw packets through the codec.  Each test checks
 * one behaviour of protocol.md or interface.md and fails when it breaks.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "listing.h"
#include "digest.h"
#include "options.h"
#include "check_main.h"

static struct server S;
static struct conn C;
static int fd = -1;

/* The tree every test starts from; see expected_root below. */
static void
populate(void)
{
	char path[PATH_MAX * 2], target[PATH_MAX * 2];
	char big[1000];

	memset(big, 'b', sizeof(big));
	harness_write_file(&S, "a.txt", "hello\n", 6);
	harness_write_file(&S, "empty", "", 0);
	harness_write_file(&S, "b512", big, 512);
	harness_write_file(&S, "b1000", big, 1000);
	harness_write_file(&S, ".hidden", "h", 1);
	harness_write_file(&S, "bad\nname", "x", 1);
	snprintf(path, sizeof(path), "%s/sub", S.root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	harness_write_file(&S, "sub/inner.txt", "inner", 5);
	snprintf(path, sizeof(path), "%s/fifo", S.root);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	/* root2 shares root's name as a prefix: outside all the same. */
	snprintf(path, sizeof(path), "%s/root2", S.top);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/root2/secret", S.top);
	close(open(path, O_WRONLY | O_CREAT, 0644));

#define LINK(t, n) do {							\
	snprintf(path, sizeof(path), "%s/%s", S.root, n);		\
	ck_assert_int_eq(symlink(t, path), 0);				\
} while (0)
	LINK("a.txt", "link");
	LINK("sub", "dirlink");
	LINK("/", "rootlink");
	LINK("/etc/passwd", "passwd");
	LINK("nowhere", "dangling");
	LINK("../root2/secret", "sibling");
	snprintf(target, sizeof(target), "%s/a.txt", S.root);
	LINK(target, "abslink");
	snprintf(target, sizeof(target), "%s/root2/secret", S.top);
	LINK(target, "abssibling");
#undef LINK
}

static void
start(const char *const *args)
{
	harness_dirs(&S);
	populate();
	harness_start(&S, args);
}

static void
setup(void)
{
	start(NULL);
	fd = harness_session(&S, &C);
}

static void
teardown(void)
{
	if (fd != -1) {
		conn_free(&C);
		close(fd);
		fd = -1;
	}
	harness_cleanup(&S);
}

/* A second session beside the fixture's. */
static int
another(struct conn *c)
{
	return harness_session(&S, c);
}

static void
send_req(struct conn *c, enum pkt_op op, const char *path)
{
	uint8_t buf[2048];
	ssize_t n = pkt_encode_req(buf, sizeof(buf), op, path);

	ck_assert_int_gt(n, 0);
	harness_send(c->fd, buf, (size_t)n);
}

static void
expect_fetch_err(const char *path, uint16_t code)
{
	char *data;
	uint16_t got = 0;

	ck_assert_msg(harness_fetch(&C, PKT_RRQ, path, &data, &got) == -1,
	    "RRQ %s was served", path);
	ck_assert_msg(got == code, "RRQ %s: ERR %u, wanted %u", path, got,
	    code);
}

static void
expect_fetch(const char *path, const char *want, size_t len)
{
	char *data;
	uint16_t code = 0;
	ssize_t n;

	n = harness_fetch(&C, PKT_RRQ, path, &data, &code);
	ck_assert_msg(n == (ssize_t)len, "RRQ %s: %zd bytes (ERR %u)", path,
	    n, code);
	ck_assert_mem_eq(data, want, len);
	free(data);
}

static int
exists(const char *name)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", S.root, name);
	return lstat(path, &st) == 0;
}

/* Entries directly in root, for "nothing was left behind". */
static int
count_entries(void)
{
	char cmd[PATH_MAX + 64];
	FILE *f;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", S.root);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &n), 1);
	pclose(f);
	return n;
}

/* Waits (bounded) until the server's children have all gone. */
static void
wait_no_children(void)
{
	int z, all, i;

	for (i = 0; i < 400; i++) {
		harness_children(&S, &z, &all);
		if (all == 0)
			return;
		usleep(25000);
	}
	ck_abort_msg("%d children (%d zombies) still there", all, z);
}

START_TEST(greeting_names_the_host)
{
	char host[256], want[600];
	struct conn c;
	struct pkt p;
	int f = harness_dial(&S, 0);

	gethostname(host, sizeof(host));
	snprintf(want, sizeof(want), "Hello from %s's fileserver", host);
	conn_init(&c, f, NULL, NULL);
	ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	ck_assert_uint_eq(p.u.dat.block, 1);
	ck_assert_uint_eq(p.u.dat.size, strlen(want));
	ck_assert_mem_eq(p.u.dat.data, want, strlen(want));
	conn_free(&c);
	close(f);
}
END_TEST

START_TEST(greeting_wrong_ack_is_illegal)
{
	struct conn c;
	struct pkt p;
	int f = harness_dial(&S, 0);

	conn_init(&c, f, NULL, NULL);
	ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
	ck_assert_int_eq(conn_send_ack(&c, 2), CONN_OK);
	harness_expect_err(&c, ERR_ILLEGAL);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
}
END_TEST

START_TEST(greeting_err_ends_unanswered)
{
	struct conn c;
	struct pkt p;
	int f = harness_dial(&S, 0);

	conn_init(&c, f, NULL, NULL);
	ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
	harness_send(f, "\0\5\0\0bye\0", 8);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
}
END_TEST

START_TEST(downloads_of_every_edge_size)
{
	char big[1000];

	memset(big, 'b', sizeof(big));
	expect_fetch("a.txt", "hello\n", 6);
	expect_fetch("empty", "", 0);
	expect_fetch("b512", big, 512);
	expect_fetch("b1000", big, 1000);
	expect_fetch("sub/inner.txt", "inner", 5);
	expect_fetch(".hidden", "h", 1);
}
END_TEST

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
	expect_fetch_err("../etc/passwd", ERR_BAD_NAME);
	expect_fetch_err("/etc/passwd", ERR_BAD_NAME);
	expect_fetch_err("sub/../a.txt", ERR_BAD_NAME);
	expect_fetch_err("sub/../../etc/passwd", ERR_BAD_NAME);
	expect_fetch_err("....//", ERR_BAD_NAME);
	expect_fetch_err("a//b", ERR_BAD_NAME);
	expect_fetch_err("sub/", ERR_BAD_NAME);
	expect_fetch_err("./a.txt", ERR_BAD_NAME);
	expect_fetch_err("..", ERR_BAD_NAME);
	/* Printable and well formed, just absent. */
	expect_fetch_err("..\\etc\\passwd", ERR_NOT_FOUND);
	expect_fetch_err("....", ERR_NOT_FOUND);
	expect_fetch("a.txt", "hello\n", 6);
}
END_TEST

START_TEST(symlinks_inside_served_outside_refused)
{
	expect_fetch("link", "hello\n", 6);
	expect_fetch("abslink", "hello\n", 6);
	expect_fetch("dirlink/inner.txt", "inner", 5);
	expect_fetch_err("rootlink", ERR_ACCESS);
	expect_fetch_err("rootlink/etc/passwd", ERR_ACCESS);
	expect_fetch_err("passwd", ERR_ACCESS);
	expect_fetch_err("sibling", ERR_ACCESS);
	expect_fetch_err("abssibling", ERR_ACCESS);
	expect_fetch_err("dangling", ERR_NOT_FOUND);
}
END_TEST

START_TEST(fifo_and_directory_are_not_regular_files)
{
	/* A FIFO must not hang the child: it answers at once. */
	expect_fetch_err("fifo", ERR_ACCESS);
	expect_fetch_err("sub", ERR_ACCESS);
	expect_fetch("a.txt", "hello\n", 6);
}
END_TEST

START_TEST(bad_names)
{
	char name[1100];

	expect_fetch_err("tab\there", ERR_BAD_NAME);
	expect_fetch_err("bad\nname", ERR_BAD_NAME);
	expect_fetch_err("esc\x1b", ERR_BAD_NAME);
	/* Printable UTF-8 is a valid name; broken UTF-8 and controls not. */
	expect_fetch_err("caf\xc3\xa9", ERR_NOT_FOUND);
	expect_fetch_err("caf\xc3", ERR_BAD_NAME);
	expect_fetch_err("c1\xc2\x85", ERR_BAD_NAME);
	expect_fetch_err("rlm\xe2\x80\x8f", ERR_BAD_NAME);
	memset(name, 'n', 256);
	name[256] = '\0';
	expect_fetch_err(name, ERR_BAD_NAME);
	name[255] = '\0';
	expect_fetch_err(name, ERR_NOT_FOUND);
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

/*
 * Every opcode at lengths 0 to 4, then the client stops sending: a short
 * packet is malformed (ERR 4, closed); a broken or whole ERR is never
 * answered; nothing at all is a clean end.
 */
START_TEST(every_opcode_at_lengths_0_to_4)
{
	uint8_t bytes[4];
	unsigned op;
	size_t len;
	struct conn c;
	int f;

	for (op = 0; op <= 11; op++) {
		for (len = 0; len <= 4; len++) {
			bytes[0] = 0;
			bytes[1] = (uint8_t)op;
			bytes[2] = 'x';
			bytes[3] = 'y';
			f = another(&c);
			if (len > 0)
				harness_send(f, bytes, len);
			shutdown(f, SHUT_WR);
			if (len >= 2 && op != PKT_ERR)
				harness_expect_err(&c, ERR_ILLEGAL);
			else if (len == 1)
				harness_expect_err(&c, ERR_ILLEGAL);
			harness_expect_closed(&c);
			conn_free(&c);
			close(f);
		}
	}
}
END_TEST

START_TEST(unknown_and_unexpected_opcodes)
{
	static const char *const packets[] = {
		"\0\x0b", "\0\0", "\xff\xff", "\0\3\0\1\0\0", "\0\4\0\1",
		"\0\x08\0", "\0\x0axxh128\0" "00\0",
	};
	static const size_t lens[] = { 2, 2, 2, 6, 4, 3, 12 };
	struct conn c;
	size_t i;
	int f;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		f = another(&c);
		/* The connection stays open: the answer must not wait. */
		harness_send(f, packets[i], lens[i]);
		harness_expect_err(&c, ERR_ILLEGAL);
		harness_expect_closed(&c);
		conn_free(&c);
		close(f);
	}
}
END_TEST

START_TEST(client_err_while_idle_or_mid_transfer)
{
	struct pkt p;

	harness_send(fd, "\0\5\0\0bye\0", 8);
	harness_expect_closed(&C);
	conn_free(&C);
	close(fd);
	fd = another(&C);
	send_req(&C, PKT_RRQ, "b1000");
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	harness_send(fd, "\0\5\0\0stop\0", 9);
	harness_expect_closed(&C);
}
END_TEST

START_TEST(upload_then_list_and_read_back)
{
	char data[3000], *text;
	uint16_t code;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	ck_assert_int_eq(harness_upload(&C, "new.bin", data, sizeof(data)),
	    0);
	ck_assert_int_eq(harness_upload(&C, "sub/n0", "", 0), 0);
	ck_assert_int_eq(harness_upload(&C, "sub/n512", data, 512), 0);
	expect_fetch("new.bin", data, sizeof(data));
	expect_fetch("sub/n0", "", 0);
	expect_fetch("sub/n512", data, 512);
	ck_assert_int_gt(harness_fetch(&C, PKT_DRQ, "", &text, &code), 0);
	ck_assert_ptr_nonnull(strstr(text, "f 3000 "));
	free(text);
}
END_TEST

START_TEST(upload_never_replaces)
{
	int before = count_entries();

	ck_assert_int_eq(harness_upload(&C, "a.txt", "x", 1), ERR_EXISTS);
	ck_assert_int_eq(harness_upload(&C, "sub", "x", 1), ERR_EXISTS);
	ck_assert_int_eq(harness_upload(&C, "dangling", "x", 1), ERR_EXISTS);
	ck_assert_int_eq(harness_upload(&C, "fifo", "x", 1), ERR_EXISTS);
	ck_assert_int_eq(harness_upload(&C, "nodir/x", "x", 1),
	    ERR_NOT_FOUND);
	ck_assert_int_eq(harness_upload(&C, "a.txt/x", "x", 1),
	    ERR_NOT_FOUND);
	ck_assert_int_eq(harness_upload(&C, "rootlink/tmp/x", "x", 1),
	    ERR_ACCESS);
	ck_assert_int_eq(harness_upload(&C, "../x", "x", 1), ERR_BAD_NAME);
	ck_assert_int_eq(harness_upload(&C, "", "x", 1), ERR_BAD_NAME);
	expect_fetch("a.txt", "hello\n", 6);
	ck_assert_int_eq(count_entries(), before);
}
END_TEST

static void
start_upload(struct conn *c, const char *name)
{
	struct pkt p;

	send_req(c, PKT_WRQ, name);
	ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	ck_assert_uint_eq(p.u.ack.block, 0);
}

static void
send_dat(struct conn *c, uint16_t block, size_t size)
{
	uint8_t buf[6 + 600];

	memset(buf + 6, 'd', size);
	pkt_put_dat_header(buf, block, (uint16_t)size);
	harness_send(c->fd, buf, 6 + size);
}

START_TEST(upload_oversize_block_is_illegal)
{
	int before = count_entries();

	start_upload(&C, "over");
	send_dat(&C, 1, 513);
	harness_expect_err(&C, ERR_ILLEGAL);
	harness_expect_closed(&C);
	ck_assert_int_eq(exists("over"), 0);
	ck_assert_int_eq(count_entries(), before);
}
END_TEST

START_TEST(upload_wrong_or_duplicate_block_is_illegal)
{
	struct pkt p;
	struct conn c;
	int f;

	start_upload(&C, "w1");
	send_dat(&C, 2, 10);
	harness_expect_err(&C, ERR_ILLEGAL);
	harness_expect_closed(&C);
	f = another(&c);
	start_upload(&c, "w2");
	send_dat(&c, 1, 512);
	ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
	ck_assert_uint_eq(p.u.ack.block, 1);
	send_dat(&c, 1, 512);
	harness_expect_err(&c, ERR_ILLEGAL);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
	ck_assert_int_eq(exists("w1"), 0);
	ck_assert_int_eq(exists("w2"), 0);
}
END_TEST

START_TEST(download_ack_for_a_block_never_sent)
{
	struct pkt p;
	struct conn c;
	int f;

	send_req(&C, PKT_RRQ, "b1000");
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(conn_send_ack(&C, 5), CONN_OK);
	harness_expect_err(&C, ERR_ILLEGAL);
	harness_expect_closed(&C);
	f = another(&c);
	send_req(&c, PKT_RRQ, "b1000");
	ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
	ck_assert_int_eq(conn_send_ack(&c, 0), CONN_OK);
	harness_expect_err(&c, ERR_ILLEGAL);
	conn_free(&c);
	close(f);
}
END_TEST

START_TEST(disconnect_mid_upload_keeps_nothing)
{
	int before = count_entries();

	start_upload(&C, "cut");
	send_dat(&C, 1, 512);
	conn_free(&C);
	close(fd);
	fd = -1;
	wait_no_children();
	ck_assert_int_eq(exists("cut"), 0);
	ck_assert_int_eq(count_entries(), before);
}
END_TEST

/* The child's pid from the log line of the last connection. */
static pid_t
last_child(void)
{
	char buf[65536], *p, *last = NULL;
	ssize_t n;
	int f;

	ck_assert_int_eq(harness_log_has(&S, "Received a connection"), 1);
	f = open(S.log, O_RDONLY);
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	buf[n > 0 ? n : 0] = '\0';
	for (p = buf; (p = strstr(p, "] Received a connection")) != NULL;
	    p++)
		last = p;
	ck_assert_ptr_nonnull(last);
	while (last > buf && last[-1] != '[')
		last--;
	return (pid_t)atol(last);
}

START_TEST(killed_child_mid_upload_leaves_nothing)
{
	int before = count_entries();
	pid_t child = last_child();

	start_upload(&C, "killed");
	send_dat(&C, 1, 512);
	{
		struct pkt p;

		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_uint_eq(p.u.ack.block, 1);
	}
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	harness_expect_closed(&C);
	wait_no_children();
	ck_assert_int_eq(exists("killed"), 0);
	ck_assert_int_eq(count_entries(), before);
}
END_TEST

START_TEST(two_uploads_of_one_name_exactly_one_wins)
{
	struct conn c;
	struct pkt p;
	char *data;
	uint16_t code;
	int f;

	f = another(&c);
	start_upload(&C, "race");
	start_upload(&c, "race");
	send_dat(&C, 1, 100);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	send_dat(&c, 1, 200);
	harness_expect_err(&c, ERR_EXISTS);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
	ck_assert_int_eq(harness_fetch(&C, PKT_RRQ, "race", &data, &code),
	    100);
	free(data);
}
END_TEST

START_TEST(name_appearing_mid_upload_is_not_replaced)
{
	start_upload(&C, "late");
	send_dat(&C, 1, 512);
	harness_write_file(&S, "late", "mine", 4);
	{
		struct pkt p;

		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_uint_eq(p.u.ack.block, 1);
	}
	send_dat(&C, 2, 3);
	harness_expect_err(&C, ERR_EXISTS);
	harness_expect_closed(&C);
	conn_free(&C);
	close(fd);
	fd = another(&C);
	expect_fetch("late", "mine", 4);
}
END_TEST

START_TEST(uploads_in_flight_are_not_listed)
{
	struct conn c;
	char *text;
	uint16_t code;
	int f;

	start_upload(&C, "inflight");
	send_dat(&C, 1, 512);
	f = another(&c);
	ck_assert_int_gt(harness_fetch(&c, PKT_DRQ, "", &text, &code), 0);
	ck_assert_ptr_null(strstr(text, "inflight"));
	free(text);
	conn_free(&c);
	close(f);
}
END_TEST

/* Sends MKD and expects ACK 0, or ERR code when code is not 0. */
static void
expect_mkd(const char *path, uint16_t code)
{
	struct pkt p;

	send_req(&C, PKT_MKD, path);
	if (code != 0) {
		harness_expect_err(&C, code);
		return;
	}
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_msg(p.op == PKT_ACK && p.u.ack.block == 0,
	    "MKD %s: %s, not ACK 0", path, pkt_op_name(p.op));
}

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
	ck_assert(exists("sub/viaLink"));
	/* Each of these ended the request only. */
	expect_fetch("a.txt", "hello\n", 6);
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
		expect_fetch(good[i], good[i], strlen(good[i]));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), " %s\n", bad[i]);
		ck_assert_msg(strstr(text, want) == NULL, "bad name listed");
		expect_fetch_err(bad[i], ERR_BAD_NAME);
	}
	free(text);
	/* Uploads under a UTF-8 name; NFC and NFD are two names. */
	ck_assert_int_eq(harness_upload(&C, "\xe6\x96\xb0.bin", "new", 3), 0);
	expect_fetch("\xe6\x96\xb0.bin", "new", 3);
	ck_assert_int_eq(harness_upload(&C, "caf\xc3\xa9", "x", 1), ERR_EXISTS);
	ck_assert_int_eq(harness_upload(&C, "rlo\xe2\x80\xaex", "x", 1),
	    ERR_BAD_NAME);
	/* The log escapes what is not printable UTF-8, and '"'. */
	expect_fetch_err("q\"uote", ERR_NOT_FOUND);
	ck_assert(harness_log_has(&S, "RRQ \"q\\\"uote\""));
	ck_assert(harness_log_has(&S, "RRQ \"r\xc3\xa9sum\xc3\xa9.pdf\""));
	ck_assert(harness_log_has(&S, "RRQ \"rlo\\342\\200\\256\""));
}
END_TEST

/* Sends OPT with these pairs; returns the OACK's pair count. */
static size_t
negotiate(const struct pkt_opt *pairs, size_t n)
{
	uint8_t buf[600];
	struct pkt p;
	ssize_t len;

	len = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, pairs, n);
	ck_assert_int_gt(len, 0);
	harness_send(fd, buf, (size_t)len);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_OACK);
	return p.u.opt.count;
}

static void
digest_of(enum digest_alg alg, const void *data, size_t len, char *hex)
{
	struct digest d;

	ck_assert_int_eq(digest_init(&d, alg), 0);
	digest_update(&d, data, len);
	digest_final(&d, hex);
	digest_free(&d);
}

/*
 * RRQ path with 512-byte blocks, window 1: expects data[0..len) from
 * offset off, then a SUM of the whole when alg is set, then ACKs last.
 */
static void
expect_download(const char *path, const char *data, size_t off, size_t len,
    enum digest_alg alg)
{
	char hex[DIGEST_HEX_MAX + 1];
	struct pkt p;
	size_t got = off;
	uint16_t block = 0;

	send_req(&C, PKT_RRQ, path);
	for (;;) {
		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_msg(p.op == PKT_DAT, "RRQ %s: %s", path,
		    pkt_op_name(p.op));
		ck_assert_uint_eq(p.u.dat.block, ++block);
		ck_assert_uint_le(got + p.u.dat.size, len);
		ck_assert_mem_eq(p.u.dat.data, data + got, p.u.dat.size);
		got += p.u.dat.size;
		if (p.u.dat.size < 512)
			break;
		ck_assert_int_eq(conn_send_ack(&C, block), CONN_OK);
	}
	ck_assert_uint_eq(got, len);
	if (alg != DIGEST_NONE) {
		/* Sent without waiting for the final ACK. */
		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_int_eq(p.op, PKT_SUM);
		ck_assert_str_eq(p.u.sum.alg, digest_name(alg));
		digest_of(alg, data, len, hex);
		ck_assert_str_eq(p.u.sum.digest, hex);
	}
	ck_assert_int_eq(conn_send_ack(&C, block), CONN_OK);
}

static char pattern3000[3000];

static void
write_pattern(void)
{
	size_t i;

	for (i = 0; i < sizeof(pattern3000); i++)
		pattern3000[i] = (char)(i * 7 + i / 512);
	harness_write_file(&S, "p3000", pattern3000, sizeof(pattern3000));
}

START_TEST(digest_on_downloads_not_listings)
{
	struct pkt_opt xxh = { "Digest", "XXH128" }, sha = { "digest",
	    "sha256" }, md5 = { "digest", "md5" };
	char *text;
	uint16_t code;

	write_pattern();
	ck_assert_uint_eq(negotiate(&xxh, 1), 1);
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_XXH128);
	expect_download("empty", "", 0, 0, DIGEST_XXH128);
	/* A listing has no SUM: the next answer is the next request's. */
	ck_assert_int_gt(harness_fetch(&C, PKT_DRQ, "sub", &text, &code), 0);
	free(text);
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_XXH128);
	ck_assert_uint_eq(negotiate(&sha, 1), 1);
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_SHA256);
	/* An algorithm this server lacks: left out, and no SUM. */
	ck_assert_uint_eq(negotiate(&md5, 1), 0);
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_NONE);
}
END_TEST

/* WRQ name, then DAT 1 of len bytes (< 512): the final block. */
static void
upload_final_block(const char *name, const void *data, size_t len)
{
	uint8_t buf[600];
	struct pkt p;
	ssize_t n;

	send_req(&C, PKT_WRQ, name);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	ck_assert_uint_eq(p.u.ack.block, 0);
	n = pkt_encode_dat(buf, sizeof(buf), 1, data, len);
	harness_send(fd, buf, (size_t)n);
}

static void
send_sum(const char *alg, const char *hex)
{
	uint8_t buf[600];
	ssize_t n = pkt_encode_sum(buf, sizeof(buf), alg, hex);

	ck_assert_int_gt(n, 0);
	harness_send(fd, buf, (size_t)n);
}

static void
reconnect(void)
{
	conn_free(&C);
	close(fd);
	fd = harness_session(&S, &C);
}

START_TEST(digest_checks_uploads_before_publishing)
{
	struct pkt_opt xxh = { "digest", "xxh128" };
	char hex[DIGEST_HEX_MAX + 1];
	struct pkt p;
	struct pollfd pfd;

	digest_of(DIGEST_XXH128, "data", 4, hex);
	ck_assert_uint_eq(negotiate(&xxh, 1), 1);
	/* The final ACK waits for the SUM. */
	upload_final_block("good", "data", 4);
	pfd.fd = fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 300), 0);
	ck_assert(!exists("good"));
	send_sum("xxh128", hex);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_msg(p.op == PKT_ACK && p.u.ack.block == 1, "no final ACK");
	expect_download("good", "data", 0, 4, DIGEST_XXH128);
	/* Doubled: a SUM after the final ACK is an unexpected packet. */
	send_sum("xxh128", hex);
	harness_expect_err(&C, ERR_ILLEGAL);
	harness_expect_closed(&C);

	/* Wrong: ERR 10, closed, nothing kept. */
	reconnect();
	negotiate(&xxh, 1);
	upload_final_block("wrong", "datA", 4);
	send_sum("xxh128", hex);
	harness_expect_err(&C, ERR_INTEGRITY);
	harness_expect_closed(&C);
	ck_assert(!exists("wrong"));
	/* Another algorithm's SUM is a mismatch too. */
	reconnect();
	negotiate(&xxh, 1);
	upload_final_block("alg", "data", 4);
	send_sum("sha256", hex);
	harness_expect_err(&C, ERR_INTEGRITY);
	ck_assert(!exists("alg"));
	/* Missing: a request in its place is ERR 4, nothing kept. */
	reconnect();
	negotiate(&xxh, 1);
	upload_final_block("missing", "data", 4);
	send_req(&C, PKT_RRQ, "a.txt");
	harness_expect_err(&C, ERR_ILLEGAL);
	harness_expect_closed(&C);
	ck_assert(!exists("missing"));
	/* Early: a SUM in place of a DAT is ERR 4. */
	reconnect();
	negotiate(&xxh, 1);
	send_req(&C, PKT_WRQ, "early");
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ACK);
	send_sum("xxh128", hex);
	harness_expect_err(&C, ERR_ILLEGAL);
	ck_assert(!exists("early"));
	/* Malformed: no EOS within 512 bytes is ERR 4. */
	reconnect();
	negotiate(&xxh, 1);
	upload_final_block("malformed", "data", 4);
	{
		uint8_t junk[600];

		memset(junk, 'a', sizeof(junk));
		junk[0] = 0;
		junk[1] = PKT_SUM;
		harness_send(fd, junk, sizeof(junk));
	}
	harness_expect_err(&C, ERR_ILLEGAL);
	ck_assert(!exists("malformed"));
	/* Without a digest in force, no SUM is awaited. */
	reconnect();
	ck_assert_int_eq(harness_upload(&C, "plain", "data", 4), 0);
	ck_assert(exists("plain"));
	ck_assert(harness_log_has(&S, "Sent ERR 10"));
}
END_TEST

static void
set_offset(const char *value, int tsize)
{
	struct pkt_opt pairs[3] = { { "offset", value }, { "digest",
	    "xxh128" }, { "tsize", "0" } };

	ck_assert_uint_eq(negotiate(pairs, tsize ? 3 : 2), tsize ? 3 : 2);
}

START_TEST(offset_for_the_next_rrq_only)
{
	static const size_t offsets[] = { 0, 700, 512, 1024, 2999, 3000 };
	struct pkt_opt plain = { "offset", "100" };
	struct pkt p;
	uint64_t size;
	char value[32];
	size_t i;

	write_pattern();
	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		snprintf(value, sizeof(value), "%zu", offsets[i]);
		set_offset(value, 0);
		/* The SUM covers the whole file, bytes before offset too. */
		expect_download("p3000", pattern3000, offsets[i], 3000,
		    DIGEST_XXH128);
		/* Then back to 0, though the other options hold. */
		expect_download("p3000", pattern3000, 0, 3000, DIGEST_XXH128);
	}
	/* Past the end: ERR 0, and the session goes on. */
	set_offset("3001", 0);
	expect_fetch_err("p3000", ERR_UNDEFINED);
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_XXH128);
	set_offset("18446744073709551615", 0);
	expect_fetch_err("p3000", ERR_UNDEFINED);
	/* tsize counts the bytes that follow the offset. */
	set_offset("1000", 1);
	send_req(&C, PKT_RRQ, "p3000");
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(opts_tsize_from_oack(&p, &size), 0);
	ck_assert_uint_eq(size, 2000);
	conn_send_ack(&C, 0);
	for (i = 1; i <= 4; i++) {
		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_int_eq(p.op, PKT_DAT);
		ck_assert_mem_eq(p.u.dat.data, pattern3000 + 1000 + (i - 1) *
		    512, p.u.dat.size);
		if (i < 4)
			conn_send_ack(&C, (uint16_t)i);
	}
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_SUM);
	conn_send_ack(&C, 4);
	/* Any request takes it: an offset before a listing or upload does
	 * not reach the RRQ after. */
	ck_assert_uint_eq(negotiate(&plain, 1), 1);
	{
		char *text;
		uint16_t code;

		ck_assert_int_gt(harness_fetch(&C, PKT_DRQ, "", &text,
		    &code), 0);
		free(text);
	}
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_NONE);
	ck_assert_uint_eq(negotiate(&plain, 1), 1);
	ck_assert_int_eq(harness_upload(&C, "after-offset", "ab", 2), 0);
	expect_download("p3000", pattern3000, 0, 3000, DIGEST_NONE);
}
END_TEST

START_TEST(options_negotiated_and_tsize_announced)
{
	struct pkt_opt ask[4] = {
		{ "BLKSIZE", "1024" }, { "windowsize", "4" }, { "tsize", "0" },
		{ "unknown", "x" },
	};
	struct xfer_opts want, got;
	uint8_t buf[600];
	struct pkt p;
	uint64_t size;
	ssize_t n;
	char why[128];

	n = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, ask, 4);
	harness_send(fd, buf, (size_t)n);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_OACK);
	opts_default(&want);
	want.named = OPT_BLKSIZE | OPT_WINDOWSIZE | OPT_TSIZE;
	want.blksize = 1024;
	want.windowsize = 4;
	ck_assert_int_eq(opts_from_oack(&p, &want, &got, why, sizeof(why)), 0);
	ck_assert_uint_eq(got.named, want.named);
	ck_assert_uint_eq(got.blksize, 1024);
	ck_assert_uint_eq(got.windowsize, 4);
	/* RRQ: OACK tsize first, ACK 0, then the data. */
	send_req(&C, PKT_RRQ, "b1000");
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(opts_tsize_from_oack(&p, &size), 0);
	ck_assert_uint_eq(size, 1000);
	ck_assert_int_eq(conn_send_ack(&C, 0), CONN_OK);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	ck_assert_uint_eq(p.u.dat.size, 1000);
	ck_assert_int_eq(conn_send_ack(&C, 1), CONN_OK);
	/* A new OPT with nothing known returns every default. */
	n = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, ask + 3, 1);
	harness_send(fd, buf, (size_t)n);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_OACK);
	ck_assert_uint_eq(p.u.opt.count, 0);
	/* Back to defaults: no size announcement, 512-byte blocks. */
	{
		char big[1000];

		memset(big, 'b', sizeof(big));
		expect_fetch("b1000", big, sizeof(big));
	}
}
END_TEST

START_TEST(oack_with_a_whole_or_a_half_request)
{
	struct pkt_opt ask = { "blksize", "1024" };
	uint8_t buf[600];
	struct pkt p;
	size_t opt, n;

	/* OPT and RRQ in one write: OACK, then the data. */
	opt = (size_t)pkt_encode_opt(buf, sizeof(buf), PKT_OPT, &ask, 1);
	n = opt + (size_t)pkt_encode_req(buf + opt, sizeof(buf) - opt,
	    PKT_RRQ, "a.txt");
	harness_send(fd, buf, n);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_OACK);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	ck_assert_uint_eq(p.u.dat.size, 6);
	ck_assert_int_eq(conn_send_ack(&C, 1), CONN_OK);
	/*
	 * OPT and half the RRQ: the OACK comes before the rest is sent.  (It
	 * is held for the answer only when the request is whole, which
	 * check_conn's packet_ready_only_when_whole pins down; a wrongly held
	 * OACK would still leave after a delay, so this cannot see that.)
	 */
	harness_send(fd, buf, opt + 3);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_OACK);
	harness_send(fd, buf + opt + 3, n - opt - 3);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	ck_assert_mem_eq(p.u.dat.data, "hello\n", 6);
	ck_assert_int_eq(conn_send_ack(&C, 1), CONN_OK);
}
END_TEST

START_TEST(window_sends_blocks_in_a_row)
{
	struct pkt_opt ask = { "windowsize", "4" };
	char data[3000];
	uint8_t buf[64];
	struct pkt p;
	uint16_t b;
	ssize_t n;

	memset(data, 'w', sizeof(data));
	harness_write_file(&S, "w3000", data, sizeof(data));
	n = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, &ask, 1);
	harness_send(fd, buf, (size_t)n);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_OACK);
	send_req(&C, PKT_RRQ, "w3000");
	/* Blocks 1-4 with no ACK between, then 5 and the short 6. */
	for (b = 1; b <= 4; b++) {
		ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
		ck_assert_uint_eq(p.u.dat.block, b);
	}
	ck_assert_int_eq(conn_send_ack(&C, 4), CONN_OK);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_uint_eq(p.u.dat.block, 5);
	ck_assert_int_eq(harness_recv(&C, &p), CONN_OK);
	ck_assert_uint_eq(p.u.dat.block, 6);
	ck_assert_uint_eq(p.u.dat.size, 3000 - 5 * 512);
	ck_assert_int_eq(conn_send_ack(&C, 6), CONN_OK);
	expect_fetch("a.txt", "hello\n", 6);
}
END_TEST

static void
expect_opt_refused(const struct pkt_opt *pairs, size_t n)
{
	uint8_t buf[600];
	struct conn c;
	ssize_t len;
	int f = another(&c);

	len = pkt_encode_opt(buf, sizeof(buf), PKT_OPT, pairs, n);
	ck_assert_int_gt(len, 0);
	harness_send(f, buf, (size_t)len);
	harness_expect_err(&c, ERR_OPTIONS);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
}

START_TEST(bad_options_end_the_session)
{
	struct pkt_opt small = { "blksize", "7" };
	struct pkt_opt big = { "blksize", "65465" };
	struct pkt_opt zero = { "windowsize", "0" };
	struct pkt_opt tsize = { "tsize", "12" };
	struct pkt_opt sign = { "blksize", "+512" };
	struct pkt_opt twice[2] = { { "tsize", "0" }, { "TSIZE", "0" } };
	struct conn c;
	int f;

	expect_opt_refused(&small, 1);
	expect_opt_refused(&big, 1);
	expect_opt_refused(&zero, 1);
	expect_opt_refused(&tsize, 1);
	expect_opt_refused(&sign, 1);
	expect_opt_refused(twice, 2);
	/* Non-printable, and a body that never ends within 512 bytes. */
	f = another(&c);
	harness_send(f, "\0\7bl\tk\0" "8\0\0", 11);
	harness_expect_err(&c, ERR_OPTIONS);
	conn_free(&c);
	close(f);
	f = another(&c);
	{
		char body[600];

		memset(body, 'a', sizeof(body));
		harness_send(f, "\0\7", 2);
		harness_send(f, body, sizeof(body));
	}
	harness_expect_err(&c, ERR_OPTIONS);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
}
END_TEST

START_TEST(ipv6_and_log_lines)
{
	struct conn c;
	struct pkt p;
	int f = harness_dial(&S, 1);

	conn_init(&c, f, NULL, NULL);
	ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
	conn_free(&c);
	close(f);
	expect_fetch_err("nope", ERR_NOT_FOUND);
	ck_assert(harness_log_has(&S, "] Received a connection from "
	    "127.0.0.1, port "));
	ck_assert(harness_log_has(&S, "] Received a connection from ::1, "
	    "port "));
	ck_assert(harness_log_has(&S, "] Sent ERR 1: File not found"));
	ck_assert(harness_log_has(&S, "] RRQ \"nope\" 0 bytes "));
}
END_TEST

START_TEST(no_zombies_after_many_sessions)
{
	struct conn c;
	int i, f;

	for (i = 0; i < 30; i++) {
		f = another(&c);
		conn_free(&c);
		close(f);
	}
	conn_free(&C);
	close(fd);
	fd = -1;
	wait_no_children();
}
END_TEST

/* Servers with options of their own. */

static void
plain_setup(void)
{
	memset(&S, 0, sizeof(S));
	fd = -1;
}

START_TEST(idle_timeout_whole_packet)
{
	static const char *const args[] = { "-t", "1", NULL };
	struct conn c;
	struct pkt p;
	int f, i;

	start(args);
	/* No ACK for the greeting: ERR 5 and close. */
	f = harness_dial(&S, 0);
	conn_init(&c, f, NULL, NULL);
	ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
	harness_expect_err(&c, ERR_TIMEOUT);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
	/* A request trickling in, a byte every 0.3 s for 3 s: the clock
	 * is per packet, so ERR 5 comes before the packet is whole. */
	f = harness_session(&S, &c);
	harness_send(f, "\0\1", 2);
	for (i = 0; i < 10; i++) {
		if (send(f, "a", 1, MSG_NOSIGNAL) != 1)
			break;
		usleep(300000);
	}
	send(f, "", 1, MSG_NOSIGNAL);
	harness_expect_err(&c, ERR_TIMEOUT);
	conn_free(&c);
	close(f);
}
END_TEST

START_TEST(uploads_are_0644_whatever_the_umask)
{
	char path[PATH_MAX * 2];
	struct stat st;

	/* In force when the server starts, so its children inherit it. */
	umask(077);
	start(NULL);
	fd = harness_session(&S, &C);
	ck_assert_int_eq(harness_upload(&C, "moded", "m", 1), 0);
	snprintf(path, sizeof(path), "%s/moded", S.root);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
}
END_TEST

START_TEST(read_only_refuses_every_upload)
{
	static const char *const args[] = { "-r", NULL };

	start(args);
	fd = harness_session(&S, &C);
	ck_assert_int_eq(harness_upload(&C, "new", "x", 1), ERR_ACCESS);
	ck_assert_int_eq(harness_upload(&C, "../bad", "x", 1), ERR_ACCESS);
	ck_assert_int_eq(harness_upload(&C, "a.txt", "x", 1), ERR_ACCESS);
	/* MKD writes too: refused before any other check. */
	send_req(&C, PKT_MKD, "newdir");
	harness_expect_err(&C, ERR_ACCESS);
	send_req(&C, PKT_MKD, "../bad");
	harness_expect_err(&C, ERR_ACCESS);
	ck_assert(!exists("newdir"));
	expect_fetch("a.txt", "hello\n", 6);
}
END_TEST

START_TEST(max_upload_is_exact)
{
	static const char *const args[] = { "-m", "1000", NULL };
	char data[1001];

	memset(data, 'm', sizeof(data));
	start(args);
	fd = harness_session(&S, &C);
	ck_assert_int_eq(harness_upload(&C, "fits", data, 1000), 0);
	ck_assert_int_eq(harness_upload(&C, "over", data, 1001),
	    ERR_DISK_FULL);
	harness_expect_closed(&C);
	ck_assert_int_eq(exists("fits"), 1);
	ck_assert_int_eq(exists("over"), 0);
}
END_TEST

START_TEST(max_clients_and_per_address)
{
	static const char *const args[] = { "-c", "2", "-p", "1", NULL };
	struct conn a, b, c;
	struct pkt p;
	int fa, fb, fc, i, ok = 0;

	start(args);
	fa = harness_session(&S, &a);
	/* Same address, over -p 1. */
	fb = harness_dial(&S, 0);
	conn_init(&b, fb, NULL, NULL);
	harness_expect_err(&b, ERR_BUSY);
	harness_expect_closed(&b);
	conn_free(&b);
	close(fb);
	/* Another address (::1) is its own count. */
	fb = harness_dial(&S, 1);
	conn_init(&b, fb, NULL, NULL);
	ck_assert_int_eq(harness_recv(&b, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	/* Over -c 2 in all. */
	fc = harness_dial(&S, 0);
	conn_init(&c, fc, NULL, NULL);
	harness_expect_err(&c, ERR_BUSY);
	conn_free(&c);
	close(fc);
	/* A refused connection cost no slot; a closed one frees one. */
	conn_free(&a);
	close(fa);
	for (i = 0; i < 200 && !ok; i++) {
		fc = harness_dial(&S, 0);
		conn_init(&c, fc, NULL, NULL);
		ok = harness_recv(&c, &p) == CONN_OK && p.op == PKT_DAT;
		conn_free(&c);
		close(fc);
		if (!ok)
			usleep(20000);
	}
	ck_assert_msg(ok, "the slot was never freed");
	conn_free(&b);
	close(fb);
}
END_TEST

START_TEST(sigterm_stops_children_and_port_rebinds)
{
	struct conn c;
	int f, before;

	start(NULL);
	before = count_entries();
	f = harness_session(&S, &c);
	start_upload(&c, "abandoned");
	send_dat(&c, 1, 512);
	{
		struct pkt p;

		ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
		ck_assert_uint_eq(p.u.ack.block, 1);
	}
	ck_assert_int_eq(harness_stop(&S), 0);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
	ck_assert_int_eq(exists("abandoned"), 0);
	ck_assert_int_eq(count_entries(), before);
	/* The same port, at once. */
	harness_start(&S, NULL);
	ck_assert_int_eq(harness_stop(&S), 0);
}
END_TEST

START_TEST(quiet_keeps_only_the_listening_line)
{
	static const char *const args[] = { "-q", NULL };
	struct stat st;

	start(args);
	fd = harness_session(&S, &C);
	expect_fetch_err("nope", ERR_NOT_FOUND);
	expect_fetch("a.txt", "hello\n", 6);
	ck_assert_int_eq(stat(S.log, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
}
END_TEST

/* The first child of the server, or 0 (bounded wait). */
static pid_t
first_child(void)
{
	char path[64], buf[64];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)S.pid,
	    (int)S.pid);
	for (i = 0; i < 200; i++) {
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(buf, sizeof(buf), f) != NULL && atoi(buf) > 0) {
				fclose(f);
				return (pid_t)atoi(buf);
			}
			fclose(f);
		}
		usleep(10000);
	}
	return 0;
}

START_TEST(user_option_chroots_and_drops_privileges)
{
	static const char *const args[] = { "-u", "nobody", NULL };
	char path[64], line[256], root[PATH_MAX];
	long uid = -1, gid = -1;
	ssize_t n;
	pid_t child;
	FILE *f;

	if (geteuid() != 0)
		return;		/* -u needs root; nothing to show otherwise */
	start(args);
	/* Served while confined: the directory must be readable by nobody. */
	chmod(S.top, 0755);
	fd = harness_session(&S, &C);
	expect_fetch("a.txt", "hello\n", 6);
	expect_fetch_err("passwd", ERR_ACCESS);
	ck_assert_int_gt(child = first_child(), 0);
	/* The child runs as nobody, groups included, inside the directory. */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)child);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "Uid: %ld", &uid);
		sscanf(line, "Gid: %ld", &gid);
		if (strncmp(line, "Groups:", 7) == 0)
			ck_assert_msg(strspn(line + 7, " \t0123456789") ==
			    strlen(line + 7) - 1, "groups: %s", line);
	}
	fclose(f);
	ck_assert_int_eq(uid, 65534);
	ck_assert_int_eq(gid, 65534);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)child);
	n = readlink(path, root, sizeof(root) - 1);
	ck_assert_int_gt(n, 0);
	root[n] = '\0';
	ck_assert_str_eq(root, S.root);
	/* Uploads work as nobody too: O_TMPFILE, then linkat via /proc. */
	chmod(S.root, 0777);
	ck_assert_int_eq(harness_upload(&C, "by-nobody", "x", 1), 0);
}
END_TEST

START_TEST(bind_option_listens_on_one_address)
{
	static const char *const args[] = { "-b", "127.0.0.1", NULL };
	struct sockaddr_in6 a;
	char want[600], host[256];
	int f;

	start(args);
	/* interface.md: the host name, whatever -b says. */
	gethostname(host, sizeof(host));
	snprintf(want, sizeof(want), "File server listening on %s port %u\n",
	    host, S.port);
	ck_assert_str_eq(S.line, want);
	fd = harness_session(&S, &C);
	expect_fetch("a.txt", "hello\n", 6);
	/* Not on ::1. */
	f = socket(AF_INET6, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	a.sin6_port = htons((uint16_t)S.port);
	ck_assert_int_eq(connect(f, (struct sockaddr *)&a, sizeof(a)), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	close(f);
}
END_TEST

START_TEST(ps_shows_peer_and_operation)
{
	char path[64], title[512];
	pid_t child;
	ssize_t n;
	int f, i;

	start(NULL);
	fd = harness_session(&S, &C);
	ck_assert_int_gt(child = first_child(), 0);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)child);
	for (i = 0; i < 200; i++) {
		f = open(path, O_RDONLY);
		n = read(f, title, sizeof(title) - 1);
		close(f);
		title[n > 0 ? n : 0] = '\0';
		if (strstr(title, "idle") != NULL)
			break;
		usleep(10000);
	}
	ck_assert_msg(strstr(title, "127.0.0.1 port ") != NULL &&
	    strstr(title, ": idle") != NULL, "title: %s", title);
}
END_TEST

START_TEST(greeting_name_option)
{
	static const char *const args[] = { "-n", "Test Box", NULL };
	static const char want[] = "Hello from Test Box's fileserver";
	struct conn c;
	struct pkt p;
	int f;

	start(args);
	f = harness_dial(&S, 0);
	conn_init(&c, f, NULL, NULL);
	ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
	ck_assert_uint_eq(p.u.dat.size, sizeof(want) - 1);
	ck_assert_mem_eq(p.u.dat.data, want, sizeof(want) - 1);
	conn_free(&c);
	close(f);
}
END_TEST

/* Runs the server binary to completion; its status and standard error. */
static int
run_server(const char *const *argv, char *err, size_t errlen)
{
	const char *bin = getenv("SERVER_BIN");
	const char *full[16];
	int pipefd[2], status, n = 0;
	ssize_t r;
	size_t len = 0;
	pid_t pid;

	full[n++] = bin;
	while (*argv != NULL)
		full[n++] = *argv++;
	full[n] = NULL;
	ck_assert_int_eq(pipe(pipefd), 0);
	if ((pid = fork()) == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		alarm(10);
		execv(bin, (char *const *)(uintptr_t)full);
		_exit(127);
	}
	close(pipefd[1]);
	while (len + 1 < errlen && (r = read(pipefd[0], err + len,
	    errlen - 1 - len)) > 0)
		len += (size_t)r;
	err[len] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(bad_arguments_are_usage_errors)
{
	char err[2048], file[PATH_MAX + 8];
	const char *const *cases[] = {
		(const char *const[]){ NULL },
		(const char *const[]){ "/tmp", NULL },
		(const char *const[]){ "/tmp", "0", "extra", NULL },
		(const char *const[]){ "/tmp", "65536", NULL },
		(const char *const[]){ "/tmp", "-1", NULL },
		(const char *const[]){ "/tmp", "port", NULL },
		(const char *const[]){ "-t", "0", "/tmp", "0", NULL },
		(const char *const[]){ "-c", "0", "/tmp", "0", NULL },
		(const char *const[]){ "-p", "0", "/tmp", "0", NULL },
		(const char *const[]){ "-t", "x", "/tmp", "0", NULL },
		(const char *const[]){ "-m", "-1", "/tmp", "0", NULL },
		(const char *const[]){ "-Z", "/tmp", "0", NULL },
		(const char *const[]){ "--frobnicate", "/tmp", "0", NULL },
		(const char *const[]){ "-t", NULL },
		(const char *const[]){ "/nonexistent/dir", "0", NULL },
		(const char *const[]){ file, "0", NULL },
	};
	size_t i;

	harness_dirs(&S);
	harness_write_file(&S, "plain", "x", 1);
	snprintf(file, sizeof(file), "%s/plain", S.root);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(run_server(cases[i], err, sizeof(err)) == 2,
		    "case %zu: %s", i, err);
		ck_assert_msg(strstr(err, "\nusage: server") != NULL,
		    "case %zu: %s", i, err);
		/* One line of reason, then the usage. */
		ck_assert_msg(strchr(err, '\n') < strstr(err, "usage:"),
		    "case %zu", i);
	}
	ck_assert_int_eq(run_server((const char *const[]){ "-h", NULL }, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "usage: server"));
	ck_assert_int_eq(run_server((const char *const[]){ "-V", NULL }, err,
	    sizeof(err)), 0);
	/* An unknown user: exit 2 and one line, not a crash in NSS. */
	if (geteuid() == 0) {
		ck_assert_int_eq(run_server((const char *const[]){ "-u",
		    "nosuchuser-fs", S.root, "0", NULL }, err, sizeof(err)),
		    2);
		ck_assert_ptr_nonnull(strstr(err, "nosuchuser-fs"));
		ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
	}
}
END_TEST

START_TEST(port_in_use_is_reported)
{
	struct sockaddr_in6 a;
	socklen_t alen = sizeof(a);
	char err[1024], port[16], want[64];
	int l = socket(AF_INET6, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	getsockname(l, (struct sockaddr *)&a, &alen);
	snprintf(port, sizeof(port), "%u", ntohs(a.sin6_port));
	harness_dirs(&S);
	ck_assert_int_eq(run_server((const char *const[]){ S.root, port,
	    NULL }, err, sizeof(err)), 1);
	/* interface.md's text, exactly, at the start of the line. */
	snprintf(want, sizeof(want), "Unable to bind to port %s: ", port);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, ". Sorry!\n"));
	close(l);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("sessions");
	TCase *own = tcase_create("options");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, greeting_names_the_host);
	tcase_add_test(tc, greeting_wrong_ack_is_illegal);
	tcase_add_test(tc, greeting_err_ends_unanswered);
	tcase_add_test(tc, downloads_of_every_edge_size);
	tcase_add_test(tc, listing_shows_exactly_what_is_served);
	tcase_add_test(tc, rrq_of_empty_path_lists_the_root);
	tcase_add_test(tc, listing_of_dirs_files_and_missing);
	tcase_add_test(tc, traversal_is_refused_and_the_session_goes_on);
	tcase_add_test(tc, symlinks_inside_served_outside_refused);
	tcase_add_test(tc, fifo_and_directory_are_not_regular_files);
	tcase_add_test(tc, bad_names);
	tcase_add_test(tc, every_opcode_at_lengths_0_to_4);
	tcase_add_test(tc, unknown_and_unexpected_opcodes);
	tcase_add_test(tc, client_err_while_idle_or_mid_transfer);
	tcase_add_test(tc, upload_then_list_and_read_back);
	tcase_add_test(tc, upload_never_replaces);
	tcase_add_test(tc, upload_oversize_block_is_illegal);
	tcase_add_test(tc, upload_wrong_or_duplicate_block_is_illegal);
	tcase_add_test(tc, download_ack_for_a_block_never_sent);
	tcase_add_test(tc, disconnect_mid_upload_keeps_nothing);
	tcase_add_test(tc, killed_child_mid_upload_leaves_nothing);
	tcase_add_test(tc, two_uploads_of_one_name_exactly_one_wins);
	tcase_add_test(tc, name_appearing_mid_upload_is_not_replaced);
	tcase_add_test(tc, uploads_in_flight_are_not_listed);
	tcase_add_test(tc, options_negotiated_and_tsize_announced);
	tcase_add_test(tc, oack_with_a_whole_or_a_half_request);
	tcase_add_test(tc, window_sends_blocks_in_a_row);
	tcase_add_test(tc, bad_options_end_the_session);
	tcase_add_test(tc, ipv6_and_log_lines);
	tcase_add_test(tc, no_zombies_after_many_sessions);
	tcase_add_test(tc, mkd_every_answer);
	tcase_add_test(tc, utf8_names_listed_and_served);
	tcase_add_test(tc, digest_on_downloads_not_listings);
	tcase_add_test(tc, digest_checks_uploads_before_publishing);
	tcase_add_test(tc, offset_for_the_next_rrq_only);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(own, plain_setup, teardown);
	tcase_set_timeout(own, 60);
	tcase_add_test(own, idle_timeout_whole_packet);
	tcase_add_test(own, uploads_are_0644_whatever_the_umask);
	tcase_add_test(own, read_only_refuses_every_upload);
	tcase_add_test(own, max_upload_is_exact);
	tcase_add_test(own, max_clients_and_per_address);
	tcase_add_test(own, sigterm_stops_children_and_port_rebinds);
	tcase_add_test(own, quiet_keeps_only_the_listening_line);
	tcase_add_test(own, greeting_name_option);
	tcase_add_test(own, user_option_chroots_and_drops_privileges);
	tcase_add_test(own, bind_option_listens_on_one_address);
	tcase_add_test(own, ps_shows_peer_and_operation);
	tcase_add_test(own, bad_arguments_are_usage_errors);
	tcase_add_test(own, port_in_use_is_reported);
	suite_add_tcase(s, own);
	return s;
}
