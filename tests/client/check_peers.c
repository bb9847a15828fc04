/*
 * The client against scripted servers that this project's server would
 * never be: one without options, one that breaks the protocol, one whose
 * text is hostile.  The client must cope, or fail on one line with the
 * right exit status, and never leave a partial file or print raw control
 * bytes.  Each scripted server is a forked process on port 0.
 */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../client/local_limits.h"
#include "conn.h"
#include "harness.h"
#include "listing.h"
#include "options.h"
#include "packet.h"
#include "check_main.h"

static char dir[64];
static pid_t peer;
static unsigned port;
static char out[65536], err[65536];

typedef void (*script_fn)(int conn_no, struct conn *c);

static void
send_pkt(struct conn *c, const uint8_t *buf, ssize_t len)
{
	if (len < 0 || conn_send(c, buf, (size_t)len) != CONN_OK)
		_exit(20);
}

static void
greet(struct conn *c)
{
	uint8_t buf[64];

	send_pkt(c, buf, pkt_encode_dat(buf, sizeof(buf), 1, "Hello", 5));
}

/* Reads packets until one of opcode op; exits on anything broken. */
static void
expect(struct conn *c, enum pkt_op op, struct pkt *p)
{
	do {
		if (conn_recv(c, BLKSIZE_MAX, p) != CONN_OK)
			_exit(21);
	} while (p->op != op);
}

/* Starts a scripted server: script runs once per accepted connection. */
static void
serve(script_fn script, int conns)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int l, fd, i, on = 1;

	l = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 8), 0);
	getsockname(l, (struct sockaddr *)&a, &alen);
	port = ntohs(a.sin_port);
	if ((peer = fork()) == 0) {
		alarm(30);
		for (i = 0; i < conns; i++) {
			struct conn c;

			if ((fd = accept(l, NULL, NULL)) == -1)
				_exit(22);
			conn_init(&c, fd, NULL, NULL);
			script(i, &c);
			conn_free(&c);
			close(fd);
		}
		_exit(0);
	}
	close(l);
}

/*
 * Runs the client in dir: leading words starting with '-' are options,
 * placed before HOST PORT; the rest is the command.
 */
static int
client(const char *const *args)
{
	const char *argv[16];
	char p[16];
	int o[2], e[2], n = 0, status;
	size_t olen = 0, elen = 0;
	struct pollfd pfd[2];
	ssize_t r;
	pid_t pid;

	snprintf(p, sizeof(p), "%u", port);
	argv[n++] = getenv("CLIENT_BIN");
	argv[n++] = "-q";
	argv[n++] = "-t";
	argv[n++] = "5";
	while (*args != NULL && (*args)[0] == '-') {
		argv[n++] = *args++;
		if (strcmp(argv[n - 1], "-B") == 0)
			argv[n++] = *args++;
	}
	argv[n++] = "127.0.0.1";
	argv[n++] = p;
	while (*args != NULL)
		argv[n++] = *args++;
	argv[n] = NULL;
	ck_assert_ptr_nonnull(argv[0]);
	ck_assert_int_eq(pipe(o), 0);
	ck_assert_int_eq(pipe(e), 0);
	if ((pid = fork()) == 0) {
		if (chdir(dir) == -1)
			_exit(126);
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	pfd[0].fd = o[0];
	pfd[1].fd = e[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while (pfd[0].fd != -1 || pfd[1].fd != -1) {
		ck_assert_int_gt(poll(pfd, 2, 30000), 0);
		if (pfd[0].revents) {
			r = read(o[0], out + olen, sizeof(out) - 1 - olen);
			if (r <= 0)
				pfd[0].fd = -1;
			else
				olen += (size_t)r;
		}
		if (pfd[1].revents) {
			r = read(e[0], err + elen, sizeof(err) - 1 - elen);
			if (r <= 0)
				pfd[1].fd = -1;
			else
				elen += (size_t)r;
		}
	}
	out[olen] = err[elen] = '\0';
	close(o[0]);
	close(e[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
one_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl != NULL && nl[1] == '\0';
}

static void
setup(void)
{
	/*
	 * In memory where there is a tmpfs: the fan-out tree makes 65,536
	 * entries, each synced by the client, which on a disk shared with
	 * other work takes minutes; the bounds, not the disk, are tested.
	 */
	snprintf(dir, sizeof(dir), "%s/fs-peers.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	peer = 0;
}

static void
teardown(void)
{
	char cmd[128];

	if (peer > 0) {
		kill(peer, SIGKILL);
		waitpid(peer, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return;
}

/* A server from before options: OPT is an unknown opcode, ERR 4. */
static void
no_options(int n, struct conn *c)
{
	uint8_t buf[600];
	struct pkt p;

	greet(c);
	expect(c, PKT_ACK, &p);
	if (n == 0) {
		expect(c, PKT_OPT, &p);
		send_pkt(c, buf, pkt_encode_err(buf, sizeof(buf), 4,
		    "Illegal operation: unknown opcode"));
		return;
	}
	expect(c, PKT_RRQ, &p);
	if (strcmp(p.u.req.path, "f") != 0)
		_exit(23);
	send_pkt(c, buf, pkt_encode_dat(buf, sizeof(buf), 1, "data", 4));
	expect(c, PKT_ACK, &p);
	(void)conn_recv(c, 512, &p);	/* the client's close */
}

START_TEST(server_without_options_is_retried_plainly)
{
	int status;

	serve(no_options, 2);
	ck_assert_int_eq(client((const char *const[]){ "get", "f", NULL }),
	    0);
	waitpid(peer, &status, 0);
	peer = 0;
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	{
		char path[128], got[8];
		int fd;

		snprintf(path, sizeof(path), "%s/f", dir);
		ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
		ck_assert_int_eq(read(fd, got, sizeof(got)), 4);
		ck_assert_mem_eq(got, "data", 4);
		close(fd);
	}
}
END_TEST

/* Answers a plain RRQ with DAT 2: over TCP, a violation. */
static void
wrong_block(int n, struct conn *c)
{
	uint8_t buf[600];
	struct pkt p;

	(void)n;
	greet(c);
	expect(c, PKT_RRQ, &p);
	send_pkt(c, buf, pkt_encode_dat(buf, sizeof(buf), 2, "xx", 2));
	/* The client owes ERR 4. */
	if (conn_recv(c, 512, &p) != CONN_OK || p.op != PKT_ERR ||
	    p.u.err.code != 4)
		_exit(24);
}

START_TEST(wrong_block_fails_the_command)
{
	int status;

	serve(wrong_block, 1);
	ck_assert_int_eq(client((const char *const[]){ "--no-options",
	    "get", "f", NULL }), 1);
	ck_assert_msg(one_line(err), "stderr: %s", err);
	ck_assert_ptr_nonnull(strstr(err, "protocol error"));
	ck_assert_int_eq(harness_entries(dir), 0);
	waitpid(peer, &status, 0);
	peer = 0;
	ck_assert_msg(WEXITSTATUS(status) == 0, "client sent no ERR 4");
}
END_TEST

/* A DAT longer than the block size in force. */
static void
oversize(int n, struct conn *c)
{
	uint8_t buf[6 + 600];
	struct pkt p;

	(void)n;
	greet(c);
	expect(c, PKT_RRQ, &p);
	memset(buf, 'o', sizeof(buf));
	pkt_put_dat_header(buf, 1, 600);
	send_pkt(c, buf, sizeof(buf));
	(void)conn_recv(c, 512, &p);
}

START_TEST(oversize_block_fails_the_command)
{
	serve(oversize, 1);
	ck_assert_int_eq(client((const char *const[]){ "--no-options",
	    "get", "f", NULL }), 1);
	ck_assert(one_line(err));
	ck_assert_int_eq(harness_entries(dir), 0);
}
END_TEST

/* An OACK that raises the block size: the client refuses it. */
static void
raised_oack(int n, struct conn *c)
{
	struct pkt_opt big = { "blksize", "65464" };
	uint8_t buf[600];
	struct pkt p;

	(void)n;
	greet(c);
	expect(c, PKT_OPT, &p);
	send_pkt(c, buf, pkt_encode_opt(buf, sizeof(buf), PKT_OACK, &big, 1));
	/* Past the RRQ the client sent behind its OPT, its ERR. */
	expect(c, PKT_ERR, &p);
	if (p.u.err.code != 8)
		_exit(25);
}

START_TEST(raised_option_is_refused_with_err_8)
{
	int status;

	serve(raised_oack, 1);
	ck_assert_int_eq(client((const char *const[]){ "-B", "1024", "get",
	    "f", NULL }), 1);
	ck_assert(one_line(err));
	waitpid(peer, &status, 0);
	peer = 0;
	ck_assert_msg(WEXITSTATUS(status) == 0, "client sent no ERR 8");
}
END_TEST

/* A listing and an ERR with control bytes and bad names. */
static void
hostile_text(int n, struct conn *c)
{
	static const char listing[] =
	    "f 5 0 evil\x1b[2Jname\n"
	    "f 1 0 fine.txt\n"
	    "garbage \x07 line\n";
	uint8_t buf[600];
	struct pkt p;

	greet(c);
	if (n == 0) {
		expect(c, PKT_DRQ, &p);
		send_pkt(c, buf, pkt_encode_dat(buf, sizeof(buf), 1, listing,
		    sizeof(listing) - 1));
		expect(c, PKT_ACK, &p);
		(void)conn_recv(c, 512, &p);
		return;
	}
	expect(c, PKT_RRQ, &p);
	send_pkt(c, buf, pkt_encode_err(buf, sizeof(buf), 1,
	    "no \x1b]0;pwned\x07 such file"));
	(void)conn_recv(c, 512, &p);
}

START_TEST(hostile_text_is_escaped)
{
	serve(hostile_text, 2);
	ck_assert_int_eq(client((const char *const[]){ "--no-options", "ls",
	    NULL }), 0);
	ck_assert_ptr_null(strchr(out, '\x1b'));
	ck_assert_ptr_null(strchr(out, '\x07'));
	ck_assert_ptr_nonnull(strstr(out, "evil\\033[2Jname"));
	ck_assert_ptr_nonnull(strstr(out, " fine.txt\n"));
	ck_assert_int_eq(client((const char *const[]){ "--no-options", "get",
	    "f", NULL }), 1);
	ck_assert(one_line(err));
	ck_assert_ptr_null(strchr(err, '\x1b'));
	ck_assert_ptr_null(strchr(err, '\x07'));
	ck_assert_ptr_nonnull(strstr(err, "(server error 1)"));
}
END_TEST

/* ERR 9 in place of the greeting. */
static void
busy(int n, struct conn *c)
{
	uint8_t buf[64];

	(void)n;
	send_pkt(c, buf, pkt_encode_err(buf, sizeof(buf), 9, "Server busy"));
}

/*
 * Section 6 as a peer might get it wrong: an OACK that takes the digest
 * (or leaves it out), DAT 1 "data" as the whole file, then the SUM in one
 * of these forms.  What the client sent back is the exit status.
 */
enum sum_mode { SUM_RIGHT, SUM_WRONG, SUM_NONE_CLOSE, SUM_NOT_A_SUM,
	SUM_MALFORMED, SUM_LEFT_OUT };
static enum sum_mode sum_mode;

static void
sum_peer(int n, struct conn *c)
{
	struct pkt_opt take = { "digest", "xxh128" };
	uint8_t buf[700];
	struct pkt p;
	ssize_t len;

	(void)n;
	greet(c);
	expect(c, PKT_ACK, &p);
	expect(c, PKT_OPT, &p);
	send_pkt(c, buf, pkt_encode_opt(buf, sizeof(buf), PKT_OACK, &take,
	    sum_mode == SUM_LEFT_OUT ? 0 : 1));
	expect(c, PKT_RRQ, &p);
	send_pkt(c, buf, pkt_encode_dat(buf, sizeof(buf), 1, "data", 4));
	switch (sum_mode) {
	case SUM_RIGHT:		/* xxhsum -H2 of "data" */
	case SUM_WRONG:
		len = pkt_encode_sum(buf, sizeof(buf), "xxh128",
		    sum_mode == SUM_RIGHT ? "c044be4073bb71f1340036b3f23aa86d" :
		    "00000000000000000000000000000000");
		send_pkt(c, buf, len);
		break;
	case SUM_NONE_CLOSE:
		return;
	case SUM_NOT_A_SUM:
		send_pkt(c, buf, pkt_encode_ack(buf, sizeof(buf), 1));
		break;
	case SUM_MALFORMED:
		memset(buf, 'a', sizeof(buf));
		buf[0] = 0;
		buf[1] = PKT_SUM;
		send_pkt(c, buf, sizeof(buf));
		break;
	case SUM_LEFT_OUT:
		break;
	}
	if (conn_recv(c, 512, &p) != CONN_OK)
		_exit(30);
	if (p.op == PKT_ACK)
		_exit(p.u.ack.block == 1 ? 0 : 31);
	_exit(p.op == PKT_ERR ? 40 + p.u.err.code : 32);
}

/* Runs `get f` against sum_peer; the peer's exit, and the client's. */
static void
get_against_sum_peer(enum sum_mode mode, int want_rc, int want_peer)
{
	char path[128];
	int status, rc;

	sum_mode = mode;
	serve(sum_peer, 1);
	rc = client((const char *const[]){ "get", "f", NULL });
	waitpid(peer, &status, 0);
	peer = 0;
	ck_assert_msg(rc == want_rc, "mode %d: client exit %d: %s", mode, rc,
	    err);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == want_peer,
	    "mode %d: peer saw %d", mode, WEXITSTATUS(status));
	if (want_rc == 0) {
		ck_assert_int_eq(harness_entries(dir), 1);
		ck_assert_str_eq(err, "");
		snprintf(path, sizeof(path), "%s/f", dir);
		ck_assert_int_eq(unlink(path), 0);
	} else {
		ck_assert_msg(one_line(err), "stderr: %s", err);
		ck_assert_int_eq(harness_entries(dir), 0);
	}
}

START_TEST(sum_right_wrong_missing_malformed)
{
	get_against_sum_peer(SUM_RIGHT, 0, 0);
	/* Wrong: ERR 10, exit 1, nothing published. */
	get_against_sum_peer(SUM_WRONG, 1, 40 + ERR_INTEGRITY);
	ck_assert_ptr_nonnull(strstr(err, "integrity"));
	/* Another packet in its place, or a broken SUM: ERR 4. */
	get_against_sum_peer(SUM_NOT_A_SUM, 1, 40 + ERR_ILLEGAL);
	get_against_sum_peer(SUM_MALFORMED, 1, 40 + ERR_ILLEGAL);
}
END_TEST

START_TEST(sum_missing_is_a_lost_connection)
{
	int status;

	sum_mode = SUM_NONE_CLOSE;
	serve(sum_peer, 1);
	ck_assert_int_eq(client((const char *const[]){ "get", "f", NULL }),
	    3);
	waitpid(peer, &status, 0);
	peer = 0;
	ck_assert(one_line(err));
	ck_assert_int_eq(harness_entries(dir), 0);
}
END_TEST

/* A server that does not know digest leaves it out: no SUM, it works. */
START_TEST(server_without_digest_works_unverified)
{
	get_against_sum_peer(SUM_LEFT_OUT, 0, 0);
}
END_TEST

START_TEST(busy_server_cannot_be_reached)
{
	serve(busy, 1);
	ck_assert_int_eq(client((const char *const[]){ "ls", NULL }), 3);
	ck_assert(one_line(err));
	ck_assert_ptr_nonnull(strstr(err, "Server busy"));
}
END_TEST

/* Another service on the port: its banner is no packet of ours. */
static void
other_service(int n, struct conn *c)
{
	static const char banner[] = "SSH-2.0-OpenSSH_9.2\r\n";
	struct pkt p;

	(void)n;
	if (write(c->fd, banner, sizeof(banner) - 1) !=
	    (ssize_t)sizeof(banner) - 1)
		_exit(24);
	(void)conn_recv(c, 512, &p);	/* the client's ERR, or its close */
}

START_TEST(another_service_is_named_in_plain_words)
{
	serve(other_service, 1);
	ck_assert_int_eq(client((const char *const[]){ "ls", NULL }), 3);
	ck_assert(one_line(err));
	ck_assert_msg(strstr(err, "does not speak the file protocol") !=
	    NULL, "stderr: %s", err);
	ck_assert_ptr_null(strstr(err, "opcode"));
}
END_TEST

/*
 * Hostile servers that would make the client hold or create without end
 * (issue 25): each answers every DRQ with listing_block's text, block by
 * block in lock-step, until a block is short or the client says ERR, and
 * every RRQ with an empty file.
 */
enum listing_mode { LIST_ENDLESS, LIST_FAN_OUT, LIST_BAD_NAMES };
static enum listing_mode listing_mode;

/* The next block of the listing: its length; < 512 ends it. */
static size_t
listing_block(char *buf, unsigned long *next)
{
	size_t len = 0;
	int n;

	if (listing_mode == LIST_BAD_NAMES) {
		n = snprintf(buf, 512, "d 0 0 ..\nf 1 0 .\nf 1 0 ok.txt\n");
		return (size_t)n;
	}
	/* Every directory lists 4096 more; the endless one never ends. */
	while (len + 32 <= 512) {
		if (listing_mode == LIST_FAN_OUT && *next >= 4096)
			return len;
		n = snprintf(buf + len, 512 - len, "d 0 0 d%08lu\n",
		    (*next)++);
		len += (size_t)n;
	}
	/* Full lines only; the rest of the block is padded by a blank. */
	memset(buf + len, '\n', 512 - len);
	return 512;
}

static void
lister(int n, struct conn *c)
{
	char text[512];
	uint8_t buf[600];
	unsigned long next;
	uint16_t block;
	struct pkt p;
	size_t len, i, k;
	int piped = 0;

	(void)n;
	greet(c);
	for (;;) {
		if (conn_recv(c, BLKSIZE_MAX, &p) != CONN_OK)
			_exit(0);
		if (p.op == PKT_OPT) {
			/* Only pipeline taken (blocks of 512); with it, a
			 * listing goes whole, its ACK unwaited. */
			for (i = k = 0; i < p.u.opt.count; i++)
				if (strcmp(p.u.opt.opts[i].name, "pipeline") ==
				    0)
					p.u.opt.opts[k++] = p.u.opt.opts[i];
			piped = k > 0;
			send_pkt(c, buf, pkt_encode_opt(buf, sizeof(buf),
			    PKT_OACK, p.u.opt.opts, k));
			continue;
		}
		if (p.op == PKT_RRQ) {
			send_pkt(c, buf, pkt_encode_dat(buf, sizeof(buf), 1,
			    "", 0));
			continue;
		}
		if (p.op != PKT_DRQ)
			continue;
		next = 0;
		block = 1;
		do {
			len = listing_block(text, &next);
			send_pkt(c, buf, pkt_encode_dat(buf, sizeof(buf),
			    block++, text, len));
			if (piped)
				continue;
			if (conn_recv(c, BLKSIZE_MAX, &p) != CONN_OK)
				_exit(0);
		} while ((piped || p.op == PKT_ACK) && len == 512);
	}
}

static long entries_found;

static int
count_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)path;
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		entries_found++;
	return 0;
}

/* Entries the client made beneath dir, all levels. */
static long
entries_made(void)
{
	entries_found = 0;
	ck_assert_int_eq(nftw(dir, count_entry, 16, FTW_PHYS), 0);
	return entries_found;
}

/* The client's peak resident memory, KiB: the children's maximum. */
static long
peak_kib(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
	return ru.ru_maxrss;
}

/* 796 MiB and growing before the bound; ASan's own share included. */
#define PEAK_KIB_MAX	(256L * 1024)

START_TEST(endless_listing_is_cut_at_the_bound)
{
	char want[96];
	long peak, made;

	listing_mode = LIST_ENDLESS;
	serve(lister, 1);
	ck_assert_int_eq(client((const char *const[]){ "--no-options", "get",
	    "*", NULL }), 1);
	peak = peak_kib();
	made = entries_made();
	printf("endless listing: peak %ld KiB, %ld entries made\n", peak,
	    made);
	snprintf(want, sizeof(want), "get *: more than %d entries; stopped",
	    LOCAL_ENTRIES_MAX);
	ck_assert_msg(strstr(err, want) != NULL, "stderr: %s", err);
	ck_assert_msg(one_line(err), "stderr: %s", err);
	ck_assert_int_eq(made, 0);
	ck_assert_msg(peak < PEAK_KIB_MAX, "peak %ld KiB", peak);
}
END_TEST

/*
 * A command's words with --no-options first: as they are on the plain
 * path (pass 0), or without it (pass 1), so that get -r goes as a
 * pipeline (client/pipeline.c) when the peer echoes it.
 */
static const char *const *
plain_or_piped(const char *const *args, int pass)
{
	return pass == 0 ? args : args + 1;
}

START_TEST(fan_out_tree_is_cut_at_the_bound)
{
	char want[96];
	long peak, made;
	int rc;

	listing_mode = LIST_FAN_OUT;
	serve(lister, 1);
	rc = client(plain_or_piped((const char *const[]){ "--no-options",
	    "get", "-r", "top", NULL }, _i));
	ck_assert_msg(rc == 1, "exit %d, stderr: %s", rc, err);
	peak = peak_kib();
	made = entries_made();
	printf("fan-out tree: peak %ld KiB, %ld entries made\n", peak, made);
	snprintf(want, sizeof(want), "get -r top: more than %d entries; "
	    "stopped", LOCAL_ENTRIES_MAX);
	ck_assert_msg(strstr(err, want) != NULL, "stderr: %s", err);
	ck_assert_msg(one_line(err), "stderr: %s", err);
	ck_assert_int_le(made, LOCAL_ENTRIES_MAX);
	ck_assert_int_gt(made, 0);
	ck_assert_msg(peak < PEAK_KIB_MAX, "peak %ld KiB", peak);
}
END_TEST

/* Names no request may carry are said, one line each, and counted. */
START_TEST(bad_names_in_a_tree_are_said_and_counted)
{
	listing_mode = LIST_BAD_NAMES;
	serve(lister, 1);
	ck_assert_int_eq(client(plain_or_piped((const char *const[]){
	    "--no-options", "get",
	    "-r", "top", NULL }, _i)), 0);
	ck_assert_msg(strstr(err, "get -r top: top/..: not a valid name; "
	    "skipped\n") != NULL, "stderr: %s", err);
	ck_assert_msg(strstr(err, "get -r top: top/.: not a valid name; "
	    "skipped\n") != NULL, "stderr: %s", err);
	ck_assert_msg(strstr(err, "get -r top: 2 skipped\n") != NULL,
	    "stderr: %s", err);
	ck_assert_int_eq(entries_made(), 2);	/* top and top/ok.txt */
}
END_TEST

/*
 * get -a against a server that refuses the offset request with an ERR 0
 * that is not "past the end": its listing says the file is longer than
 * the .part (part_size_listed), so the .part must stay.
 */
static const char *part_listing;

static void
resume_peer(int n, struct conn *c)
{
	uint8_t buf[700];
	struct pkt p;
	size_t i, k;
	int sized = 0;

	(void)n;
	greet(c);
	for (;;) {
		/* The client may come back on a new connection: served. */
		if (conn_recv(c, BLKSIZE_MAX, &p) != CONN_OK)
			return;
		switch (p.op) {
		case PKT_OPT:	/* taken as asked, but no digest: no SUM */
			for (i = k = 0; i < p.u.opt.count; i++) {
				if (strcmp(p.u.opt.opts[i].name, "digest") == 0)
					continue;
				if (strcmp(p.u.opt.opts[i].name, "tsize") == 0)
					sized = 1;
				p.u.opt.opts[k++] = p.u.opt.opts[i];
			}
			send_pkt(c, buf, pkt_encode_opt(buf, sizeof(buf),
			    PKT_OACK, p.u.opt.opts, k));
			break;
		case PKT_RRQ:
			send_pkt(c, buf, pkt_encode_err(buf, sizeof(buf), 0,
			    "some other trouble"));
			break;
		case PKT_DRQ:
			/* tsize taken: its OACK comes before the data. */
			if (sized)
				send_pkt(c, buf, opts_encode_tsize(buf,
				    sizeof(buf), strlen(part_listing)));
			send_pkt(c, buf, pkt_encode_dat(buf, sizeof(buf), 1,
			    part_listing, strlen(part_listing)));
			break;
		default:
			break;
		}
	}
}

/* Runs get -a f over a 10-byte f.part; whether f.part is still there. */
static int
part_kept_after(const char *listing)
{
	char path[128];
	struct stat st;
	int fd;

	part_listing = listing;
	snprintf(path, sizeof(path), "%s/f.part", dir);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644),
	    0);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	serve(resume_peer, 2);
	ck_assert_int_eq(client((const char *const[]){ "get", "-a", "f",
	    NULL }), 1);
	kill(peer, SIGKILL);
	waitpid(peer, NULL, 0);
	peer = 0;
	return stat(path, &st) == 0 && st.st_size == 10;
}

START_TEST(part_removed_only_past_the_end)
{
	/* Longer on the server: this ERR 0 is not "past the end". */
	ck_assert_msg(part_kept_after("f 100 0 f\n"), "stderr: %s", err);
	/* Shorter: past the end, so the .part does not match it. */
	ck_assert_msg(!part_kept_after("f 5 0 f\n"), "stderr: %s", err);
	ck_assert_ptr_nonnull(strstr(err, "does not match"));
}
END_TEST

/*
 * A size that lies: the file is announced as 2^60 bytes.  The client
 * must refuse it before writing a byte, with ERR, not fill its disk.
 */
static void
lying_size(int n, struct conn *c)
{
	uint8_t buf[700];
	struct pkt p;
	size_t i, k;

	(void)n;
	greet(c);
	expect(c, PKT_OPT, &p);
	for (i = k = 0; i < p.u.opt.count; i++)
		if (strcmp(p.u.opt.opts[i].name, "digest") != 0)
			p.u.opt.opts[k++] = p.u.opt.opts[i];
	send_pkt(c, buf, pkt_encode_opt(buf, sizeof(buf), PKT_OACK,
	    p.u.opt.opts, k));
	expect(c, PKT_RRQ, &p);
	send_pkt(c, buf, opts_encode_tsize(buf, sizeof(buf), 1ULL << 60));
	send_pkt(c, buf, pkt_encode_dat(buf, sizeof(buf), 1, "lie", 3));
	do {
		if (conn_recv(c, BLKSIZE_MAX, &p) != CONN_OK)
			_exit(33);
	} while (p.op == PKT_ACK);
	_exit(p.op == PKT_ERR ? 0 : 34);
}

START_TEST(lying_size_is_refused_before_writing)
{
	int status;

	serve(lying_size, 1);
	ck_assert_int_eq(client((const char *const[]){ "get", "f", NULL }),
	    1);
	waitpid(peer, &status, 0);
	peer = 0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the client sent no ERR: %d", WEXITSTATUS(status));
	ck_assert_msg(one_line(err), "stderr: %s", err);
	ck_assert_int_eq(entries_made(), 0);
	printf("lying size: peak %ld KiB\n", peak_kib());
	ck_assert_int_lt(peak_kib(), PEAK_KIB_MAX);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("peers");
	TCase *tc = tcase_create("scripted servers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, server_without_options_is_retried_plainly);
	tcase_add_test(tc, wrong_block_fails_the_command);
	tcase_add_test(tc, oversize_block_fails_the_command);
	tcase_add_test(tc, raised_option_is_refused_with_err_8);
	tcase_add_test(tc, hostile_text_is_escaped);
	tcase_add_test(tc, busy_server_cannot_be_reached);
	tcase_add_test(tc, another_service_is_named_in_plain_words);
	tcase_add_test(tc, sum_right_wrong_missing_malformed);
	tcase_add_test(tc, sum_missing_is_a_lost_connection);
	tcase_add_test(tc, server_without_digest_works_unverified);
	tcase_add_test(tc, endless_listing_is_cut_at_the_bound);
	tcase_add_loop_test(tc, fan_out_tree_is_cut_at_the_bound, 0, 2);
	tcase_add_loop_test(tc, bad_names_in_a_tree_are_said_and_counted, 0, 2);
	tcase_add_test(tc, part_removed_only_past_the_end);
	tcase_add_test(tc, lying_size_is_refused_before_writing);
	suite_add_tcase(s, tc);
	return s;
}
