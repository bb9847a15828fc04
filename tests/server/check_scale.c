/*
 * The server started by others and behind others (issue 12): -i and
 * socket activation, the SIGQUIT drain, the PROXY protocol (addresses in
 * the log and for -p, health checks, bad and silent headers), and the
 * spool on a file system without O_TMPFILE (made by the fault shim,
 * $FAULTS_LIB with FAULT_NO_TMPFILE), and spare children forked ahead of
 * their connections (--spares).  The real binary, raw packets.
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "check_main.h"

#define WAIT_TICKS	2000	/* of 10 ms: the longest any wait may take */

static struct server S;

static void
setup(void)
{
	harness_dirs(&S);
	harness_write_file(&S, "a.txt", "hello\n", 6);
}

static void
teardown(void)
{
	if (getenv("SCALE_KEEP"))
		return;
	unsetenv("LD_PRELOAD");
	unsetenv("FAULT_NO_TMPFILE");
	harness_cleanup(&S);
}

/* A listening TCP socket on 127.0.0.1, port 0; its port in *port. */
static int
listen_any(unsigned *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/*
 * Runs the server with argv (after the binary), fd as its standard input
 * (or -1) and fd3 as descriptor 3 with LISTEN_FDS=1 for itself (or -1),
 * standard output to outfile and standard error to the log.
 */
static pid_t
spawn_prog(const char *prog, const char *const *args, int in, int fd3,
    const char *outfile)
{
	const char *argv[16];
	char pid[16];
	pid_t p;
	int n = 0, out, log;

	argv[n++] = prog;
	ck_assert_ptr_nonnull(argv[0]);
	while (*args != NULL && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	out = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	log = open(S.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	ck_assert_int_ge(out, 0);
	ck_assert_int_ge(log, 0);
	if ((p = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (in != -1)
			dup2(in, STDIN_FILENO);
		dup2(out, STDOUT_FILENO);
		dup2(log, STDERR_FILENO);
		if (fd3 != -1 && fd3 != 3) {
			dup2(fd3, 3);
			close(fd3);
		}
		/* Nothing of the test's own, a client's socket above all. */
		for (n = fd3 != -1 ? 4 : 3; n < 1024; n++)
			close(n);
		if (fd3 != -1) {
			snprintf(pid, sizeof(pid), "%ld", (long)getpid());
			setenv("LISTEN_PID", pid, 1);
			setenv("LISTEN_FDS", "1", 1);
		}
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(out);
	close(log);
	return p;
}

static pid_t
spawn(const char *const *args, int in, int fd3, const char *outfile)
{
	return spawn_prog(getenv("SERVER_BIN"), args, in, fd3, outfile);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void
fetch_hello(struct conn *c)
{
	char *data;
	uint16_t code = 0;

	ck_assert_int_eq(harness_fetch(c, PKT_RRQ, "a.txt", &data, &code), 6);
	ck_assert_mem_eq(data, "hello\n", 6);
	free(data);
}

START_TEST(inetd_serves_standard_input_and_exits)
{
	const char *args[] = { "-i", S.root, NULL };
	char out[PATH_MAX];
	unsigned port;
	struct conn c;
	int l, cfd, sfd;
	pid_t pid;

	l = listen_any(&port);
	cfd = harness_dial_port(port, 0);
	ck_assert_int_ge(sfd = accept(l, NULL, NULL), 0);
	snprintf(out, sizeof(out), "%s/stdout", S.top);
	pid = spawn(args, sfd, -1, out);
	close(sfd);
	harness_greet(cfd, &c);
	fetch_hello(&c);
	conn_free(&c);
	close(cfd);
	ck_assert_int_eq(harness_wait_exit(pid), 0);
	/* No listening line; the usual log line. */
	ck_assert_int_eq(file_size(out), 0);
	ck_assert(harness_log_has(&S, "] Received a connection from "
	    "127.0.0.1, port "));
	ck_assert(harness_log_has(&S, "RRQ \"a.txt\" 6 bytes"));
	close(l);
}
END_TEST

START_TEST(inetd_refuses_what_is_not_a_socket)
{
	const char *args[] = { "-i", S.root, NULL };
	char out[PATH_MAX];
	int null = open("/dev/null", O_RDONLY);

	snprintf(out, sizeof(out), "%s/stdout", S.top);
	ck_assert_int_eq(harness_wait_exit(spawn(args, null, -1, out)), 1);
	ck_assert(harness_log_has(&S, "not a connected socket"));
	close(null);
}
END_TEST

START_TEST(socket_activation_serves_the_sockets_given)
{
	const char *args[] = { S.root, NULL };
	char out[PATH_MAX];
	unsigned port;
	struct conn c1, c2;
	int l, f1, f2;
	pid_t pid;

	l = listen_any(&port);
	snprintf(out, sizeof(out), "%s/stdout", S.top);
	pid = spawn(args, -1, l, out);
	close(l);
	/* Two sessions at once: a listener, not one connection. */
	f1 = harness_dial_port(port, 0);
	harness_greet(f1, &c1);
	f2 = harness_dial_port(port, 0);
	harness_greet(f2, &c2);
	fetch_hello(&c2);
	fetch_hello(&c1);
	conn_free(&c1);
	conn_free(&c2);
	close(f1);
	close(f2);
	kill(pid, SIGTERM);
	ck_assert_int_eq(harness_wait_exit(pid), 0);
	ck_assert_int_eq(file_size(out), 0);
}
END_TEST

/* Where /proc/PID/fd/N leads, into buf. */
static const char *
fd_target(pid_t pid, int n, char *buf, size_t size)
{
	char path[64];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, n);
	len = readlink(path, buf, size - 1);
	buf[len > 0 ? len : 0] = '\0';
	return buf;
}

/*
 * Issue 25, finding 4d: whatever standard input and output the server
 * was given (files here, outside DIR), a child serves with /dev/null in
 * their place, and standard error is the log; under -u too, whose chroot
 * has no /dev/null, and a spare as well.  Started by socket activation,
 * so that standard output is a file of the test's.
 */
START_TEST(children_have_dev_null_for_standard_input_and_output)
{
	static const char *const variants[][5] = {
		{ NULL },
		{ "-u", "nobody", NULL },
		{ "-u", "nobody", "--spares", "1", NULL },
	};
	const char *args[8];
	char out[PATH_MAX], in[PATH_MAX], link[PATH_MAX];
	unsigned port;
	struct conn c;
	int l, f, fin, n = 0, i;
	pid_t pid, child;

	if (_i > 0 && geteuid() != 0)
		return;		/* -u needs root */
	for (i = 0; variants[_i][i] != NULL; i++)
		args[n++] = variants[_i][i];
	args[n++] = S.root;
	args[n] = NULL;
	chmod(S.top, 0755);	/* for nobody */
	snprintf(in, sizeof(in), "%s/stdin", S.top);
	snprintf(out, sizeof(out), "%s/stdout", S.top);
	ck_assert_int_ge(fin = open(in, O_RDWR | O_CREAT, 0644), 0);
	l = listen_any(&port);
	pid = spawn(args, fin, l, out);
	close(l);
	close(fin);
	f = harness_dial_port(port, 0);
	harness_greet(f, &c);
	ck_assert_int_gt(child = harness_last_child(&S), 0);
	ck_assert_str_eq(fd_target(child, 0, link, sizeof(link)), "/dev/null");
	ck_assert_str_eq(fd_target(child, 1, link, sizeof(link)), "/dev/null");
	ck_assert_str_eq(fd_target(child, 2, link, sizeof(link)), S.log);
	fetch_hello(&c);
	conn_free(&c);
	close(f);
	kill(pid, SIGTERM);
	/* Chrooted, the sanitizer's leak check at exit finds no /proc. */
	if (_i == 0)
		ck_assert_int_eq(harness_wait_exit(pid), 0);
	else
		(void)harness_wait_exit(pid);
}
END_TEST

/* A port that was free a moment ago, for a program that binds it. */
static unsigned
free_port(void)
{
	unsigned port;

	close(listen_any(&port));
	return port;
}

START_TEST(systemd_socket_activate_both_ways)
{
	static const char ssa[] = "/usr/bin/systemd-socket-activate";
	char out[PATH_MAX], where[32], line[64];
	const char *server = getenv("SERVER_BIN");
	const char *plain[] = { "-l", where, server, S.root, NULL };
	const char *inetd[] = { "-a", "--inetd", "-l", where, server, "-i",
	    S.root, NULL };
	struct conn c;
	unsigned port;
	int f, i;
	pid_t pid;

	if (access(ssa, X_OK) != 0) {
		/* scripts/setup test installs it; say so, do not fail. */
		fprintf(stderr, "systemd_socket_activate_both_ways: skipped, "
		    "no %s\n", ssa);
		return;
	}
	snprintf(out, sizeof(out), "%s/stdout", S.top);
	/* Sockets handed over: the server execs on the first connection
	 * and keeps serving the listener. */
	port = free_port();
	snprintf(where, sizeof(where), "127.0.0.1:%u", port);
	pid = spawn_prog(ssa, plain, -1, -1, out);
	snprintf(line, sizeof(line), "Listening on %s", where);
	ck_assert(harness_log_has(&S, line));
	for (i = 0; i < 2; i++) {
		f = harness_dial_port(port, 0);
		harness_greet(f, &c);
		fetch_hello(&c);
		conn_free(&c);
		close(f);
	}
	kill(pid, SIGTERM);
	ck_assert_int_eq(harness_wait_exit(pid), 0);
	ck_assert_int_eq(file_size(out), 0);
	/* Accept=yes, as inetd: a server -i per connection. */
	port = free_port();
	snprintf(where, sizeof(where), "127.0.0.1:%u", port);
	pid = spawn_prog(ssa, inetd, -1, -1, out);
	snprintf(line, sizeof(line), "Listening on %s", where);
	ck_assert(harness_log_has(&S, line));
	f = harness_dial_port(port, 0);
	harness_greet(f, &c);
	fetch_hello(&c);
	conn_free(&c);
	close(f);
	ck_assert(harness_log_has(&S, "died with code 0"));
	kill(pid, SIGTERM);
	harness_wait_exit(pid);
}
END_TEST

START_TEST(activation_for_another_process_is_not_ours)
{
	const char *args[] = { S.root, NULL };
	char out[PATH_MAX];
	pid_t pid;

	/* LISTEN_PID names someone else: no sockets, so PORT is missing. */
	setenv("LISTEN_PID", "1", 1);
	setenv("LISTEN_FDS", "1", 1);
	snprintf(out, sizeof(out), "%s/stdout", S.top);
	pid = spawn(args, -1, -1, out);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	ck_assert_int_eq(harness_wait_exit(pid), 2);
	ck_assert(harness_log_has(&S, "missing port"));
}
END_TEST

/* An upload begun: WRQ, ACK 0, then blocks 1..n of 512 bytes acked. */
static void
begin_upload(struct conn *c, const char *name, uint16_t n)
{
	struct pkt p;
	uint16_t b;

	harness_start_upload(c, name);
	for (b = 1; b <= n; b++) {
		harness_send_dat(c, b, 512);
		ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
		ck_assert_msg(p.op == PKT_ACK, "block %u: %s", b,
		    pkt_op_name(p.op));
	}
}

/* The last block, short: returns the answer's opcode (ERR code in *code). */
static enum pkt_op
end_upload(struct conn *c, uint16_t block, uint16_t *code)
{
	uint8_t buf[64];
	struct pkt p;
	ssize_t len;

	len = pkt_encode_dat(buf, sizeof(buf), block, "end", 3);
	harness_send(c->fd, buf, (size_t)len);
	ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
	if (p.op == PKT_ERR)
		*code = p.u.err.code;
	return p.op;
}

/* 1 once connecting to the server's port is refused (bounded wait). */
static int
refused_soon(unsigned port)
{
	struct sockaddr_in a;
	int i, f, rc;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	for (i = 0; i < WAIT_TICKS; i++) {
		f = socket(AF_INET, SOCK_STREAM, 0);
		rc = connect(f, (struct sockaddr *)&a, sizeof(a));
		close(f);
		if (rc == -1 && errno == ECONNREFUSED)
			return 1;
		usleep(10000);
	}
	return 0;
}

START_TEST(drain_finishes_the_transfer_then_exits)
{
	const char *args[] = { "--drain-timeout", "60", NULL };
	struct conn up, idle;
	char path[PATH_MAX * 2];
	uint16_t code = 0;
	int fu, fi;
	pid_t pid;

	harness_start(&S, args);
	pid = S.pid;
	fu = harness_session(&S, &up);
	fi = harness_session(&S, &idle);
	begin_upload(&up, "drained", 3);
	kill(pid, SIGQUIT);
	/* The listening socket closes at once... */
	ck_assert(refused_soon(S.port));
	/* ...a session between requests ends (long before -t's 60 s)... */
	harness_expect_closed(&idle);
	/* ...and the one mid-transfer finishes it. */
	ck_assert_int_eq(end_upload(&up, 4, &code), PKT_ACK);
	harness_expect_closed(&up);
	ck_assert_int_eq(harness_wait_exit(pid), 0);
	S.pid = 0;
	snprintf(path, sizeof(path), "%s/drained", S.root);
	ck_assert_int_eq(file_size(path), 3 * 512 + 3);
	ck_assert(harness_log_has(&S, "] Draining: "));
	conn_free(&up);
	conn_free(&idle);
	close(fu);
	close(fi);
}
END_TEST

/*
 * An upload of name stalls after two blocks and the server gets sig: the
 * server must end the session and exit 0, leaving nothing under name.
 */
static void
stalled_upload_ended_by(const char *const *args, int sig, const char *name)
{
	char path[PATH_MAX * 2];
	struct conn up;
	int fu;
	pid_t pid;

	harness_start(&S, args);
	pid = S.pid;
	fu = harness_session(&S, &up);
	begin_upload(&up, name, 2);
	kill(pid, sig);
	ck_assert_int_eq(harness_wait_exit(pid), 0);
	S.pid = 0;
	harness_expect_closed(&up);
	snprintf(path, sizeof(path), "%s/%s", S.root, name);
	ck_assert_int_eq(file_size(path), -1);
	conn_free(&up);
	close(fu);
}

START_TEST(drain_timeout_ends_the_rest_as_sigterm)
{
	const char *args[] = { "--drain-timeout", "1", NULL };

	/* The client stalls mid-upload; the drain's clock runs out. */
	stalled_upload_ended_by(args, SIGQUIT, "cut");
}
END_TEST

START_TEST(sigterm_still_ends_at_once)
{
	/* No drain: the default --drain-timeout of 60 s never comes in. */
	stalled_upload_ended_by(NULL, SIGTERM, "term");
}
END_TEST

/* PROXY v2 for a TCP4 client src:sport (to 127.0.0.1:10000), or LOCAL. */
static size_t
v2_header(uint8_t *buf, const char *src, uint16_t sport, int local)
{
	static const uint8_t sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
	    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };
	struct in_addr a;

	memcpy(buf, sig, 12);
	if (local) {
		memcpy(buf + 12, "\x20\x00\x00\x00", 4);
		return 16;
	}
	memcpy(buf + 12, "\x21\x11\x00\x0c", 4);
	ck_assert_int_eq(inet_pton(AF_INET, src, &a), 1);
	memcpy(buf + 16, &a, 4);
	memcpy(buf + 20, "\x7f\x00\x00\x01", 4);
	buf[24] = (uint8_t)(sport >> 8);
	buf[25] = (uint8_t)sport;
	memcpy(buf + 26, "\x27\x10", 2);
	return 28;
}

/* A connection that says it comes from src; its first bytes sent. */
static int
proxied(const char *src, uint16_t sport)
{
	uint8_t h[32];
	int f = harness_dial(&S, 0);

	harness_send(f, h, v2_header(h, src, sport, 0));
	return f;
}

/*
 * Dials with dial_fn until the server greets rather than refusing with
 * ERR 9 (its room came back), within ticks of 10 ms; returns the socket,
 * greeted, with *c set up.
 */
static int
dial_until_greeted(int (*dial_fn)(void), struct conn *c, int ticks)
{
	struct pkt p;
	int f, i;

	for (i = 0; i < ticks; i++) {
		f = dial_fn();
		ck_assert_int_eq(conn_init(c, f, NULL, NULL), 0);
		ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
		if (p.op == PKT_DAT)
			return f;
		ck_assert_uint_eq(p.u.err.code, ERR_BUSY);
		conn_free(c);
		close(f);
		usleep(10000);
	}
	ck_abort_msg("still refused after %d tries", ticks);
	return -1;
}

static int
dial_plain(void)
{
	return harness_dial(&S, 0);
}

static int
dial_proxied_again(void)
{
	return proxied("127.0.0.2", 5003);
}

static void
proxy_address_for_max_per_ip(const char *const *args)
{
	struct conn c1, c2, c3, c4;
	int f1, f2, f3, f4;

	harness_start(&S, args);
	f1 = proxied("127.0.0.2", 5000);
	harness_greet(f1, &c1);
	fetch_hello(&c1);
	ck_assert(harness_log_has(&S, "] Received a connection from "
	    "127.0.0.2, port 5000"));
	/* The same client address again: over -p 1, ERR 9. */
	f2 = proxied("127.0.0.2", 5001);
	ck_assert_int_eq(conn_init(&c2, f2, NULL, NULL), 0);
	harness_expect_err(&c2, ERR_BUSY);
	ck_assert(harness_log_has(&S, "Received a connection from "
	    "127.0.0.2, port 5001"));
	/* Another client behind the same balancer address: served. */
	f3 = proxied("127.0.0.3", 5002);
	harness_greet(f3, &c3);
	fetch_hello(&c3);
	/* Once the first has gone, its address has room again. */
	conn_free(&c1);
	close(f1);
	f4 = dial_until_greeted(dial_proxied_again, &c4, 200);
	conn_free(&c2);
	conn_free(&c3);
	conn_free(&c4);
	close(f2);
	close(f3);
	close(f4);
}

START_TEST(proxy_v2_address_in_log_and_for_max_per_ip)
{
	const char *args[] = { "--proxy-protocol", "-p", "1", NULL };

	proxy_address_for_max_per_ip(args);
}
END_TEST

/*
 * A header and the greeting's ACK in one write: nothing swallowed, the
 * session served, and the address in the header logged as want says.
 */
static void
header_then_ack_in_one_write(const void *header, size_t n, const char *want)
{
	uint8_t buf[128];
	struct conn c;
	struct pkt p;
	int f = harness_dial(&S, 0);

	ck_assert_uint_le(n + 4, sizeof(buf));
	memcpy(buf, header, n);
	memcpy(buf + n, "\x00\x04\x00\x01", 4);
	harness_send(f, buf, n + 4);
	ck_assert_int_eq(conn_init(&c, f, NULL, NULL), 0);
	ck_assert_int_eq(harness_recv(&c, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	fetch_hello(&c);
	conn_free(&c);
	close(f);
	ck_assert_msg(harness_log_has(&S, want), "no \"%s\"", want);
}

START_TEST(proxy_v1_and_bytes_after_the_header_kept)
{
	const char *args[] = { "--proxy-protocol", NULL };
	static const char v1[] = "PROXY TCP6 ::2 ::1 4242 10000\r\n";
	uint8_t h[32];

	harness_start(&S, args);
	header_then_ack_in_one_write(v1, sizeof(v1) - 1,
	    "Received a connection from ::2, port 4242");
	/* The same with v2. */
	header_then_ack_in_one_write(h, v2_header(h, "127.0.0.9", 999, 0),
	    "Received a connection from 127.0.0.9, port 999");
}
END_TEST

START_TEST(proxy_health_checks_are_quiet)
{
	const char *args[] = { "--proxy-protocol", NULL };
	char log[65536];
	uint8_t h[32];
	struct conn c;
	int f, i;

	harness_start(&S, args);
	for (i = 0; i < 3; i++) {
		/* HAProxy's check: a LOCAL header, then it closes. */
		f = harness_dial(&S, 0);
		harness_send(f, h, v2_header(h, NULL, 0, 1));
		ck_assert_int_eq(conn_init(&c, f, NULL, NULL), 0);
		harness_expect_closed(&c);
		conn_free(&c);
		close(f);
		/* A bare connect and close, as a port probe. */
		close(harness_dial(&S, 0));
	}
	/* A real session after them, so their children have all run. */
	f = proxied("127.0.0.5", 55);
	harness_greet(f, &c);
	fetch_hello(&c);
	conn_free(&c);
	close(f);
	ck_assert(harness_log_has(&S, "RRQ \"a.txt\""));
	harness_read_log(&S, log, sizeof(log));
	ck_assert_msg(strstr(log, "127.0.0.1") == NULL, "%s", log);
	ck_assert_msg(strstr(log, "ERR") == NULL, "%s", log);
	ck_assert_msg(strstr(log, "server:") == NULL, "%s", log);
	ck_assert_msg(strstr(log, "Closed") == NULL, "%s", log);
}
END_TEST

START_TEST(proxy_bad_header_closed_and_logged)
{
	const char *args[] = { "--proxy-protocol", NULL };
	struct conn c;
	int f;

	harness_start(&S, args);
	f = harness_dial(&S, 0);
	harness_send(f, "GET / HTTP/1.0\r\n\r\n", 18);
	ck_assert_int_eq(conn_init(&c, f, NULL, NULL), 0);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
	ck_assert(harness_log_has(&S, "Closed: bad PROXY header: no PROXY "
	    "header"));
	/* A plain client of ours, without a header: its ACK is no header. */
	f = harness_dial(&S, 0);
	ck_assert_int_eq(conn_init(&c, f, NULL, NULL), 0);
	harness_send(f, "\x00\x04\x00\x01", 4);
	harness_expect_closed(&c);
	conn_free(&c);
	close(f);
}
END_TEST

START_TEST(proxy_silent_header_never_stalls_others)
{
	const char *args[] = { "--proxy-protocol", "-t", "2", NULL };
	struct pollfd pfd;
	struct conn c, s;
	int f, silent;

	harness_start(&S, args);
	/* Half a v1 header, then silence. */
	silent = harness_dial(&S, 0);
	harness_send(silent, "PROXY TCP4 ", 11);
	/* Another is served meanwhile: the parent did not wait. */
	f = proxied("127.0.0.4", 44);
	harness_greet(f, &c);
	fetch_hello(&c);
	pfd.fd = silent;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);	/* still open */
	/* The silent one is closed once the idle timeout is spent. */
	ck_assert_int_eq(conn_init(&s, silent, NULL, NULL), 0);
	harness_expect_closed(&s);
	ck_assert(harness_log_has(&S, "Closed: no PROXY header within 2 s"));
	conn_free(&c);
	conn_free(&s);
	close(f);
	close(silent);
}
END_TEST

START_TEST(drain_does_not_wait_for_a_silent_header)
{
	const char *args[] = { "--proxy-protocol", NULL };
	struct conn s;
	int silent, i, zombies, all = 0;
	pid_t pid;

	harness_start(&S, args);
	pid = S.pid;
	silent = harness_dial(&S, 0);
	harness_send(silent, "PROXY TCP4 ", 11);
	/* Its child is waiting for the rest (within -t, 60 s)... */
	for (i = 0; i < WAIT_TICKS; i++) {
		harness_children(&S, &zombies, &all);
		if (all > 0)
			break;
		usleep(10000);
	}
	ck_assert_int_gt(all, 0);
	kill(pid, SIGQUIT);
	/* ...and ends at once: no session has begun. */
	ck_assert_int_eq(harness_wait_exit(pid), 0);
	S.pid = 0;
	ck_assert_int_eq(conn_init(&s, silent, NULL, NULL), 0);
	harness_expect_closed(&s);
	conn_free(&s);
	close(silent);
}
END_TEST

START_TEST(without_the_option_a_header_is_bad_bytes)
{
	struct conn c;
	uint8_t h[32];
	int f;

	harness_start(&S, NULL);
	f = harness_session(&S, &c);
	harness_send(f, h, v2_header(h, "127.0.0.2", 1, 0));
	harness_expect_err(&c, ERR_ILLEGAL);
	conn_free(&c);
	close(f);
	ck_assert(harness_log_has(&S, "Received a connection from 127.0.0.1"));
}
END_TEST

/* LD_PRELOAD the fault shim so that O_TMPFILE is EOPNOTSUPP. */
static void
no_tmpfile(void)
{
	const char *lib = getenv("FAULTS_LIB");

	ck_assert_msg(lib != NULL, "FAULTS_LIB is not set");
	setenv("LD_PRELOAD", lib, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=1", 1);
	setenv("FAULT_NO_TMPFILE", "1", 1);
}

static char spool[PATH_MAX];

static void
with_spool(void)
{
	const char *args[] = { "-s", spool, NULL };

	snprintf(spool, sizeof(spool), "%s/spool", S.top);
	ck_assert_int_eq(mkdir(spool, 0755), 0);
	no_tmpfile();
	harness_start(&S, args);
}

START_TEST(no_tmpfile_without_spool_says_so_and_refuses)
{
	struct conn c;
	int f;

	no_tmpfile();
	harness_start(&S, NULL);
	ck_assert(harness_log_has(&S, "no O_TMPFILE on this file system: "
	    "uploads are refused unless --spool"));
	f = harness_session(&S, &c);
	ck_assert_int_eq(harness_upload(&c, "up", "x", 1), ERR_ACCESS);
	conn_free(&c);
	close(f);
	ck_assert_int_eq(harness_entries(S.root), 1);
}
END_TEST

START_TEST(spool_upload_lands_and_leaves_the_spool_empty)
{
	static char data[3000], log[65536];
	char path[PATH_MAX * 2], *got;
	struct conn c;
	uint16_t code = 0;
	struct stat st;
	int f;

	with_spool();
	memset(data, 'z', sizeof(data));
	f = harness_session(&S, &c);
	ck_assert_int_eq(harness_upload(&c, "up", data, sizeof(data)), 0);
	ck_assert_int_eq(harness_fetch(&c, PKT_RRQ, "up", &got, &code),
	    (ssize_t)sizeof(data));
	ck_assert_mem_eq(got, data, sizeof(data));
	free(got);
	/* Never replaced, and the loser leaves nothing. */
	ck_assert_int_eq(harness_upload(&c, "up", "y", 1), ERR_EXISTS);
	conn_free(&c);
	close(f);
	snprintf(path, sizeof(path), "%s/up", S.root);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert_int_eq(harness_entries(spool), 0);
	harness_read_log(&S, log, sizeof(log));
	ck_assert_ptr_null(strstr(log, "no O_TMPFILE"));
}
END_TEST

START_TEST(spool_name_that_appeared_is_err_6_and_kept)
{
	char path[PATH_MAX * 2], *got;
	struct conn c, o;
	uint16_t code = 0;
	int f, g;

	with_spool();
	f = harness_session(&S, &c);
	begin_upload(&c, "late", 2);
	/* Meanwhile someone else publishes the name. */
	g = harness_session(&S, &o);
	ck_assert_int_eq(harness_upload(&o, "late", "first", 5), 0);
	ck_assert_int_eq(end_upload(&c, 3, &code), PKT_ERR);
	ck_assert_uint_eq(code, ERR_EXISTS);
	ck_assert_int_eq(harness_fetch(&o, PKT_RRQ, "late", &got, &code), 5);
	ck_assert_mem_eq(got, "first", 5);
	free(got);
	conn_free(&c);
	conn_free(&o);
	close(f);
	close(g);
	snprintf(path, sizeof(path), "%s/late", S.root);
	ck_assert_int_eq(file_size(path), 5);
	ck_assert_int_eq(harness_entries(spool), 0);
}
END_TEST

START_TEST(spool_of_a_killed_child_is_swept)
{
	struct conn c;
	int f, i;

	with_spool();
	f = harness_session(&S, &c);
	ck_assert(harness_log_has(&S, "Received a connection"));
	begin_upload(&c, "killed", 2);
	ck_assert_int_eq(harness_entries(spool), 1);	/* staged there */
	ck_assert_int_eq(harness_entries(S.root), 1);	/* not in the tree */
	ck_assert_int_eq(kill(harness_last_child(&S), SIGKILL), 0);
	harness_expect_closed(&c);
	for (i = 0; i < WAIT_TICKS && harness_entries(spool) != 0; i++)
		usleep(10000);
	ck_assert_int_eq(harness_entries(spool), 0);
	ck_assert_int_eq(harness_entries(S.root), 1);
	conn_free(&c);
	close(f);
}
END_TEST

START_TEST(spool_swept_at_start_of_dead_processes_of_this_host)
{
	char host[256], dead[PATH_MAX * 2], live[PATH_MAX * 2];
	char other[PATH_MAX * 2];
	size_t i;
	pid_t gone;
	int status;

	snprintf(spool, sizeof(spool), "%s/spool", S.top);
	ck_assert_int_eq(mkdir(spool, 0755), 0);
	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	for (i = 0; host[i] != '\0'; i++)
		if (host[i] == '.')
			host[i] = '_';
	if ((gone = fork()) == 0)
		_exit(0);
	waitpid(gone, &status, 0);
	snprintf(dead, sizeof(dead), "%s/fs-spool.%s.%ld.0123456789abcdef",
	    spool, host, (long)gone);
	snprintf(live, sizeof(live), "%s/fs-spool.%s.%ld.0123456789abcdef",
	    spool, host, (long)getpid());
	snprintf(other, sizeof(other), "%s/fs-spool.elsewhere.%ld."
	    "0123456789abcdef", spool, (long)gone);
	close(open(dead, O_WRONLY | O_CREAT, 0600));
	close(open(live, O_WRONLY | O_CREAT, 0600));
	close(open(other, O_WRONLY | O_CREAT, 0600));
	{
		const char *args[] = { "-s", spool, NULL };

		harness_start(&S, args);
	}
	ck_assert_int_eq(file_size(dead), -1);
	ck_assert_int_eq(file_size(live), 0);
	ck_assert_int_eq(file_size(other), 0);
}
END_TEST

/* One bad spool: exit 2 with the reason, then the usage line. */
static void
bad_spool(const char *dir, const char *reason)
{
	const char *args[] = { "-s", dir, S.root, "0", NULL };
	char out[PATH_MAX], want[PATH_MAX * 3];

	snprintf(out, sizeof(out), "%s/stdout", S.top);
	ck_assert_int_eq(truncate(S.log, 0) == 0 || errno == ENOENT, 1);
	ck_assert_int_eq(harness_wait_exit(spawn(args, -1, -1, out)), 2);
	snprintf(want, sizeof(want), "server: spool %s %s\nusage: server",
	    dir, reason);
	ck_assert_msg(harness_log_has(&S, want), "no \"%s\"", want);
}

/*
 * Issue 25, finding 4c: a spool that is the served directory, inside it
 * or around it is a bad argument, by device and inode (a link to the
 * directory is caught as the directory).
 */
START_TEST(spool_start_up_errors)
{
	char inside[PATH_MAX * 2], link[PATH_MAX];
	struct stat a, b;

	snprintf(inside, sizeof(inside), "%s/in", S.root);
	ck_assert_int_eq(mkdir(inside, 0755), 0);
	bad_spool(inside, "is inside the served directory");
	bad_spool(S.root, "is the served directory");
	bad_spool(S.top, "contains the served directory");
	bad_spool("/", "contains the served directory");
	snprintf(link, sizeof(link), "%s/link", S.top);
	ck_assert_int_eq(symlink(S.root, link), 0);
	bad_spool(link, "is the served directory");
	/* Another file system, where this machine has one at hand. */
	if (stat("/dev/shm", &a) == 0 && stat(S.root, &b) == 0 &&
	    a.st_dev != b.st_dev)
		bad_spool("/dev/shm", "is not on the file system of the "
		    "served directory");
}
END_TEST

/* The server's children now: their pids into pids[0..max), the count. */
static int
children(pid_t *pids, int max)
{
	char path[64], buf[4096], *p, *end;
	long v;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)S.pid,
	    (int)S.pid);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	if (fgets(buf, sizeof(buf), f) != NULL)
		for (p = buf; (v = strtol(p, &end, 10)) > 0 && end != p;
		    p = end)
			if (n < max)
				pids[n++] = (pid_t)v;
	fclose(f);
	return n;
}

/* Waits (bounded) until the server has exactly want children. */
static void
wait_children(int want)
{
	pid_t pids[64];
	int i, n = -1;

	for (i = 0; i < WAIT_TICKS; i++) {
		if ((n = children(pids, 64)) == want)
			return;
		usleep(10000);
	}
	ck_abort_msg("%d children, wanted %d", n, want);
}

/* Waits (bounded) until pid has ended and been reaped. */
static void
wait_gone(pid_t pid)
{
	int i;

	for (i = 0; i < WAIT_TICKS && kill(pid, 0) == 0; i++)
		usleep(10000);
	ck_assert_msg(i < WAIT_TICKS, "%ld is still there", (long)pid);
}

/* The pid a log line "[PID] Received a connection from" names, k-th. */
static pid_t
session_pid(int k)
{
	static char log[65536];
	const char *p = log, *hit;
	long pid = -1;

	harness_read_log(&S, log, sizeof(log));
	while ((hit = strstr(p, "] Received a connection from")) != NULL) {
		const char *b = hit;

		while (b > log && b[-1] != '[')
			b--;
		if (k-- == 0) {
			pid = strtol(b, NULL, 10);
			break;
		}
		p = hit + 1;
	}
	return (pid_t)pid;
}

/*
 * Spares wait, confined, before any connection; each connection still
 * gets a process of its own that ends with it; and the pool is full again
 * after every connection.
 */
START_TEST(spares_serve_each_connection_in_its_own_process)
{
	const char *args[] = { "--spares", "2", NULL };
	pid_t seen[10], waiting[2];
	struct conn c;
	int i, j, f;

	harness_start(&S, args);
	wait_children(2);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(children(waiting, 2), 2);
		f = harness_session(&S, &c);
		fetch_hello(&c);
		conn_free(&c);
		close(f);
		ck_assert_int_gt(seen[i] = session_pid(i), 0);
		/* Served by a spare that was waiting, not forked for it. */
		ck_assert_msg(seen[i] == waiting[0] || seen[i] == waiting[1],
		    "session %d: %ld was no spare", i, (long)seen[i]);
		for (j = 0; j < i; j++)
			ck_assert_int_ne(seen[i], seen[j]);
		/* Gone with its connection, and not a spare again. */
		wait_gone(seen[i]);
		wait_children(2);
	}
}
END_TEST

/*
 * -c and -p count sessions, not the spares waiting beside them: -c 1 with
 * -p 4, then -c 4 with -p 1.
 */
static void
one_session_room(const char *const *args)
{
	struct conn c1, c2, c3;
	struct pkt p;
	int f1, f2, f3;

	harness_start(&S, args);
	wait_children(2);
	f1 = harness_session(&S, &c1);
	fetch_hello(&c1);
	/* In a transfer (DAT 1 unanswered), so never closed to make room
	 * however slow the machine (docs/protocol.md, "Making room"). */
	harness_send_req(&c1, PKT_RRQ, "a.txt");
	ck_assert_int_eq(harness_recv(&c1, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	f2 = harness_dial(&S, 0);
	ck_assert_int_eq(conn_init(&c2, f2, NULL, NULL), 0);
	harness_expect_err(&c2, ERR_BUSY);
	conn_free(&c1);
	close(f1);
	/* Once the first is reaped there is room again. */
	f3 = dial_until_greeted(dial_plain, &c3, WAIT_TICKS);
	conn_free(&c2);
	conn_free(&c3);
	close(f2);
	close(f3);
}

START_TEST(spares_count_for_neither_c_nor_p)
{
	const char *c1[] = { "-c", "1", "-p", "4", "--spares", "2", NULL };
	const char *p1[] = { "-c", "4", "-p", "1", "--spares", "2", NULL };

	one_session_room(_i == 0 ? c1 : p1);
}
END_TEST

/*
 * Spares killed before their connections: the next connection (served by
 * a child forked for it when none is left) tops the pool up again.  With
 * one of two lost, or both.
 */
START_TEST(lost_spares_are_replaced_by_the_next_connection)
{
	const char *args[] = { "--spares", "2", NULL };
	struct conn c;
	pid_t spares[2];
	int f, k, lose = _i + 1;

	harness_start(&S, args);
	wait_children(2);
	ck_assert_int_eq(children(spares, 2), 2);
	for (k = 0; k < lose; k++)
		ck_assert_int_eq(kill(spares[k], SIGKILL), 0);
	wait_children(2 - lose);
	f = harness_session(&S, &c);
	fetch_hello(&c);
	conn_free(&c);
	close(f);
	for (k = 0; k < lose; k++)
		ck_assert_int_ne(session_pid(0), spares[k]);
	wait_gone(session_pid(0));
	wait_children(2);
}
END_TEST

/* A drain ends the spares at once: no session, nothing to wait for. */
START_TEST(drain_ends_spares_at_once)
{
	const char *args[] = { "--spares", "3", "--drain-timeout", "60",
	    NULL };
	pid_t pid;

	harness_start(&S, args);
	pid = S.pid;
	wait_children(3);
	kill(pid, SIGQUIT);
	/* Within WAIT_TICKS (20 s), long before the 60 s drain timeout. */
	ck_assert_int_eq(harness_wait_exit(pid), 0);
	S.pid = 0;
	ck_assert(harness_log_has(&S, "] Draining: 0 sessions left"));
}
END_TEST

START_TEST(sigterm_ends_spares_and_sessions)
{
	const char *args[] = { "--spares", "2", NULL };

	stalled_upload_ended_by(args, SIGTERM, "term");
}
END_TEST

/* Behind a balancer, a spare asks the parent about -p as any child. */
START_TEST(proxy_address_for_max_per_ip_with_spares)
{
	const char *args[] = { "--proxy-protocol", "-p", "1", "--spares",
	    "2", NULL };

	proxy_address_for_max_per_ip(args);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("scale");
	TCase *tc = tcase_create("started by others");
	TCase *td = tcase_create("drain");
	TCase *tp = tcase_create("proxy protocol");
	TCase *ts = tcase_create("spool");
	TCase *tk = tcase_create("spares");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, inetd_serves_standard_input_and_exits);
	tcase_add_test(tc, inetd_refuses_what_is_not_a_socket);
	tcase_add_test(tc, socket_activation_serves_the_sockets_given);
	tcase_add_loop_test(tc,
	    children_have_dev_null_for_standard_input_and_output, 0, 3);
	tcase_add_test(tc, activation_for_another_process_is_not_ours);
	tcase_add_test(tc, systemd_socket_activate_both_ways);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(td, setup, teardown);
	tcase_add_test(td, drain_finishes_the_transfer_then_exits);
	tcase_add_test(td, drain_timeout_ends_the_rest_as_sigterm);
	tcase_add_test(td, sigterm_still_ends_at_once);
	suite_add_tcase(s, td);
	tcase_add_checked_fixture(tp, setup, teardown);
	tcase_add_test(tp, proxy_v2_address_in_log_and_for_max_per_ip);
	tcase_add_test(tp, proxy_v1_and_bytes_after_the_header_kept);
	tcase_add_test(tp, proxy_health_checks_are_quiet);
	tcase_add_test(tp, proxy_bad_header_closed_and_logged);
	tcase_add_test(tp, proxy_silent_header_never_stalls_others);
	tcase_add_test(tp, drain_does_not_wait_for_a_silent_header);
	tcase_add_test(tp, without_the_option_a_header_is_bad_bytes);
	suite_add_tcase(s, tp);
	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_add_test(ts, no_tmpfile_without_spool_says_so_and_refuses);
	tcase_add_test(ts, spool_upload_lands_and_leaves_the_spool_empty);
	tcase_add_test(ts, spool_name_that_appeared_is_err_6_and_kept);
	tcase_add_test(ts, spool_of_a_killed_child_is_swept);
	tcase_add_test(ts, spool_swept_at_start_of_dead_processes_of_this_host);
	tcase_add_test(ts, spool_start_up_errors);
	suite_add_tcase(s, ts);
	tcase_add_checked_fixture(tk, setup, teardown);
	tcase_add_test(tk, spares_serve_each_connection_in_its_own_process);
	tcase_add_loop_test(tk, spares_count_for_neither_c_nor_p, 0, 2);
	tcase_add_loop_test(tk, lost_spares_are_replaced_by_the_next_connection,
	    0, 2);
	tcase_add_test(tk, drain_ends_spares_at_once);
	tcase_add_test(tk, sigterm_ends_spares_and_sessions);
	tcase_add_test(tk, proxy_address_for_max_per_ip_with_spares);
	suite_add_tcase(s, tk);
	return s;
}
