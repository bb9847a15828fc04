/* The integration test harness (see harness.h). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"

#define WAIT_SECONDS	20	/* the longest any step may take */

void
harness_dirs(struct server *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->top, sizeof(s->top), "/tmp/fs-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->top));
	snprintf(s->root, sizeof(s->root), "%s/root", s->top);
	snprintf(s->log, sizeof(s->log), "%s/log", s->top);
	ck_assert_int_eq(mkdir(s->root, 0755), 0);
}

void
harness_start(struct server *s, const char *const *args)
{
	const char *bin = getenv("SERVER_BIN");
	const char *argv[32];
	char line[256], port[8], *p;
	struct pollfd pfd;
	size_t len = 0;
	int out[2], logfd, n = 0;
	ssize_t r;

	ck_assert_msg(bin != NULL, "SERVER_BIN is not set");
	argv[n++] = bin;
	while (args != NULL && *args != NULL && n < 28)
		argv[n++] = *args++;
	snprintf(port, sizeof(port), "%u", s->port);
	argv[n++] = s->root;
	argv[n++] = port;
	argv[n] = NULL;
	ck_assert_int_eq(pipe(out), 0);
	logfd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	ck_assert_int_ge(logfd, 0);
	if ((s->pid = fork()) == 0) {
		/* If a failed test dies before its teardown, so does this. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(out[1], STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		close(out[0]);
		execv(bin, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(out[1]);
	close(logfd);
	/* The listening line, within the bound. */
	pfd.fd = out[0];
	pfd.events = POLLIN;
	while (memchr(line, '\n', len) == NULL) {
		ck_assert_msg(poll(&pfd, 1, WAIT_SECONDS * 1000) == 1,
		    "no listening line");
		r = read(out[0], line + len, sizeof(line) - 1 - len);
		ck_assert_msg(r > 0, "server exited before listening");
		len += (size_t)r;
	}
	line[len] = '\0';
	close(out[0]);
	ck_assert_msg(strncmp(line, "File server listening on ", 25) == 0,
	    "listening line: %s", line);
	snprintf(s->line, sizeof(s->line), "%s", line);
	p = strstr(line, " port ");
	ck_assert_ptr_nonnull(p);
	s->port = (unsigned)atoi(p + 6);
	ck_assert_uint_gt(s->port, 0);
}

int
harness_stop(struct server *s)
{
	pid_t pid = s->pid;

	if (pid <= 0)
		return -1;
	s->pid = 0;
	kill(pid, SIGTERM);
	return harness_wait_exit(pid);
}

int
harness_wait_exit(pid_t pid)
{
	int status, i;

	for (i = 0; i < WAIT_SECONDS * 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 +
			    WTERMSIG(status);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ck_abort_msg("process %ld did not exit", (long)pid);
	return -1;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) == -1 ? 0 : 0;
	unlink(path);
	return 0;
}

void
harness_cleanup(struct server *s)
{
	if (s->pid > 0)
		harness_stop(s);
	if (s->top[0] != '\0') {
		chmod(s->root, 0755);
		nftw(s->top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
}

int
harness_dial_port(unsigned port, int v6)
{
	struct timeval tv = { WAIT_SECONDS, 0 };
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	int fd;

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	/* Bounded: a test that waits for the server never hangs. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (v6) {
		memset(&a6, 0, sizeof(a6));
		a6.sin6_family = AF_INET6;
		a6.sin6_addr = in6addr_loopback;
		a6.sin6_port = htons((uint16_t)port);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&a6,
		    sizeof(a6)), 0);
	} else {
		memset(&a4, 0, sizeof(a4));
		a4.sin_family = AF_INET;
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a4.sin_port = htons((uint16_t)port);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&a4,
		    sizeof(a4)), 0);
	}
	return fd;
}

int
harness_dial(const struct server *s, int v6)
{
	return harness_dial_port(s->port, v6);
}

void
harness_greet(int fd, struct conn *c)
{
	struct pkt p;

	ck_assert_int_eq(conn_init(c, fd, NULL, NULL), 0);
	ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
	ck_assert_msg(p.op == PKT_DAT, "no greeting: %s", pkt_op_name(p.op));
	ck_assert_uint_eq(p.u.dat.block, 1);
	ck_assert_int_eq(conn_send_ack(c, 1), CONN_OK);
}

int
harness_session(const struct server *s, struct conn *c)
{
	int fd = harness_dial(s, 0);

	harness_greet(fd, c);
	return fd;
}

void
harness_end_session(struct conn *c, int *fd)
{
	if (*fd == -1)
		return;
	conn_free(c);
	close(*fd);
	*fd = -1;
}

void
harness_send(int fd, const void *buf, size_t len)
{
	ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

enum conn_status
harness_recv(struct conn *c, struct pkt *p)
{
	return conn_recv(c, BLKSIZE_MAX, p);
}

void
harness_send_req(struct conn *c, enum pkt_op op, const char *path)
{
	uint8_t buf[PKT_OPCODE_LEN + PATH_LEN_MAX + 1];
	ssize_t n = pkt_encode_req(buf, sizeof(buf), op, path);

	ck_assert_int_gt(n, 0);
	harness_send(c->fd, buf, (size_t)n);
}

void
harness_start_upload(struct conn *c, const char *name)
{
	struct pkt p;

	harness_send_req(c, PKT_WRQ, name);
	ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
	ck_assert_msg(p.op == PKT_ACK, "WRQ %s: %s", name, pkt_op_name(p.op));
	ck_assert_uint_eq(p.u.ack.block, 0);
}

void
harness_send_dat(struct conn *c, uint16_t block, size_t size)
{
	uint8_t buf[6 + 600];

	ck_assert_uint_le(size, 600);
	memset(buf + 6, 'd', size);
	pkt_put_dat_header(buf, block, (uint16_t)size);
	harness_send(c->fd, buf, 6 + size);
}

void
harness_expect_err(struct conn *c, uint16_t code)
{
	enum conn_status cs;
	struct pkt p;

	cs = harness_recv(c, &p);
	ck_assert_msg(cs == CONN_OK, "wanted ERR %u, got %s", code,
	    conn_status_str(c, cs));
	ck_assert_msg(p.op == PKT_ERR, "wanted ERR %u, got %s", code,
	    pkt_op_name(p.op));
	ck_assert_msg(p.u.err.code == code, "wanted ERR %u, got ERR %u (%s)",
	    code, p.u.err.code, p.u.err.msg);
}

void
harness_expect_closed(struct conn *c)
{
	enum conn_status cs;
	struct pkt p;

	cs = harness_recv(c, &p);
	ck_assert_msg(cs == CONN_EOF || (cs == CONN_IO &&
	    c->err == ECONNRESET), "wanted a close, got %s%s%s",
	    conn_status_str(c, cs), cs == CONN_OK ? " " : "",
	    cs == CONN_OK ? pkt_op_name(p.op) : "");
}

ssize_t
harness_fetch(struct conn *c, enum pkt_op op, const char *path, char **data,
    uint16_t *code)
{
	uint8_t buf[PKT_OPCODE_LEN + PATH_LEN_MAX + 1];
	size_t len = 0, cap = 4096;
	uint16_t block = 1;
	struct pkt p;
	char *d;
	ssize_t n;

	n = pkt_encode_req(buf, sizeof(buf), op, path);
	ck_assert_int_gt(n, 0);
	harness_send(c->fd, buf, (size_t)n);
	d = malloc(cap);
	for (;;) {
		ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
		if (p.op == PKT_ERR) {
			*code = p.u.err.code;
			free(d);
			return -1;
		}
		ck_assert_int_eq(p.op, PKT_DAT);
		ck_assert_uint_eq(p.u.dat.block, block);
		while (len + p.u.dat.size + 1 > cap)
			d = realloc(d, cap *= 2);
		memcpy(d + len, p.u.dat.data, p.u.dat.size);
		len += p.u.dat.size;
		ck_assert_int_eq(conn_send_ack(c, block), CONN_OK);
		if (p.u.dat.size < 512)
			break;
		block++;
	}
	d[len] = '\0';
	*data = d;
	return (ssize_t)len;
}

void
harness_expect_fetch(struct conn *c, const char *path, const char *want,
    size_t len)
{
	char *data;
	uint16_t code = 0;
	ssize_t n;

	n = harness_fetch(c, PKT_RRQ, path, &data, &code);
	ck_assert_msg(n == (ssize_t)len, "RRQ %s: %zd bytes (ERR %u)", path,
	    n, code);
	ck_assert_mem_eq(data, want, len);
	free(data);
}

void
harness_expect_fetch_err(struct conn *c, const char *path, uint16_t code)
{
	char *data;
	uint16_t got = 0;

	ck_assert_msg(harness_fetch(c, PKT_RRQ, path, &data, &got) == -1,
	    "RRQ %s was served", path);
	ck_assert_msg(got == code, "RRQ %s: ERR %u, wanted %u", path, got,
	    code);
}

int
harness_upload(struct conn *c, const char *path, const void *data,
    size_t len)
{
	uint8_t buf[6 + 512];
	const uint8_t *d = data;
	uint16_t block = 1;
	size_t off = 0, n;
	struct pkt p;
	ssize_t w;

	w = pkt_encode_req(buf, sizeof(buf), PKT_WRQ, path);
	harness_send(c->fd, buf, (size_t)w);
	ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
	if (p.op == PKT_ERR)
		return p.u.err.code;
	ck_assert_int_eq(p.op, PKT_ACK);
	ck_assert_uint_eq(p.u.ack.block, 0);
	for (;;) {
		n = len - off > 512 ? 512 : len - off;
		w = pkt_encode_dat(buf, sizeof(buf), block, d + off, n);
		harness_send(c->fd, buf, (size_t)w);
		off += n;
		ck_assert_int_eq(harness_recv(c, &p), CONN_OK);
		if (p.op == PKT_ERR)
			return p.u.err.code;
		ck_assert_int_eq(p.op, PKT_ACK);
		ck_assert_uint_eq(p.u.ack.block, block);
		if (n < 512)
			return 0;
		block++;
	}
}

void
harness_write_file(const struct server *s, const char *name,
    const void *data, size_t len)
{
	char path[PATH_MAX * 2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", s->root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

void
harness_children(const struct server *s, int *zombies, int *all)
{
	char path[300], buf[512], *p;
	struct dirent *d;
	DIR *dp;
	FILE *f;
	long ppid;
	char state;

	*zombies = *all = 0;
	ck_assert_ptr_nonnull(dp = opendir("/proc"));
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 1, " %c %ld", &state, &ppid) == 2 &&
		    ppid == s->pid) {
			(*all)++;
			if (state == 'Z')
				(*zombies)++;
		}
		fclose(f);
	}
	closedir(dp);
}

int
harness_exists(const struct server *s, const char *name)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", s->root, name);
	return lstat(path, &st) == 0;
}

int
harness_entries(const char *dir)
{
	struct dirent *d;
	DIR *dp;
	int n = 0;

	ck_assert_msg((dp = opendir(dir)) != NULL, "%s: %s", dir,
	    strerror(errno));
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

void
harness_wait_no_children(const struct server *s, int seconds)
{
	int z = 0, all = 0, i;

	for (i = 0; i < seconds * 40; i++) {
		harness_children(s, &z, &all);
		if (all == 0)
			return;
		usleep(25000);
	}
	ck_abort_msg("%d children (%d zombies) still there after %d s", all,
	    z, seconds);
}

pid_t
harness_newest_child(const struct server *s)
{
	char path[64], buf[4096], *last;
	size_t n;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)s->pid,
	    (int)s->pid);
	for (i = 0; i < WAIT_SECONDS * 100; i++) {
		/* "pid pid ... \n", oldest first. */
		if ((f = fopen(path, "r")) != NULL) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			n = strlen(buf);
			while (n > 0 && buf[n - 1] == ' ')
				buf[--n] = '\0';
			if (n > 0) {
				last = strrchr(buf, ' ');
				return (pid_t)atol(last ? last + 1 : buf);
			}
		}
		usleep(10000);
	}
	return 0;
}

pid_t
harness_last_child(const struct server *s)
{
	char buf[65536], *p, *last = NULL;

	ck_assert_int_eq(harness_log_has(s, "Received a connection"), 1);
	harness_read_log(s, buf, sizeof(buf));
	for (p = buf; (p = strstr(p, "] Received a connection")) != NULL;
	    p++)
		last = p;
	ck_assert_ptr_nonnull(last);
	/* "[pid] Received ...": back to the bracket. */
	while (last > buf && last[-1] != '[')
		last--;
	return (pid_t)atol(last);
}

void
harness_read_log(const struct server *s, char *buf, size_t size)
{
	ssize_t n = -1;
	int fd;

	if ((fd = open(s->log, O_RDONLY)) >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

int
harness_log_has_now(const struct server *s, const char *needle)
{
	char buf[65536];

	harness_read_log(s, buf, sizeof(buf));
	return strstr(buf, needle) != NULL;
}

int
harness_log_has(const struct server *s, const char *needle)
{
	int i;

	for (i = 0; i < WAIT_SECONDS * 20; i++) {
		if (harness_log_has_now(s, needle))
			return 1;
		usleep(50000);
	}
	return 0;
}
