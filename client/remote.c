/*
 * The client's session with the server (see remote.h).
 *
 * The client owns SIGALRM as a tick every TICK_MS while a command talks to
 * the server: a wait records its deadline (vDSO clock, no system call per
 * packet), the tick ends a wait past it, and lets the progress bar say
 * "stalled", so one signal serves both (style.md section 4).  SIGINT only
 * sets a flag; the wait it interrupts ends as CONN_INTERRUPTED.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "fdio.h"
#include "listing.h"
#include "packet.h"
#include "remote.h"
#include "text.h"

static volatile sig_atomic_t got_tick, got_int;

/* A download's sink, checked against the size the server announced. */
struct checked_sink {
	xfer_write_fn write;
	xfer_finish_fn finish;
	void *ctx;
	uint64_t expect, got;
};

struct list_sink {
	char *buf;
	size_t len, cap;
};

/* A listing larger than this is refused rather than exhausting memory. */
#define LIST_MAX	(64 * 1024 * 1024)

/*
 * A listing taken line by line as it arrives, so that a directory of a
 * million entries costs one line of memory, not the whole text.
 */
struct line_sink {
	remote_line_fn fn;
	void *ctx;
	char line[LISTING_LINE_MAX + 1];
	size_t len;
	int overlong;			/* the line is past the format's limit */
};

static void	on_tick(int);
static void	on_int(int);
static void	wait_begin(void *);
static int	interrupted(void *);
static void	clock_stop(void);
static void	clock_start(void);
static int64_t	ms_now(void);
static int	fail(struct remote *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	server_err(struct remote *, const struct pkt *);
static int	xfer_failed(struct remote *, const struct xfer_result *);
static int	connect_any(struct remote *);
static void	wanted_opts(const struct remote *, uint64_t,
		    struct xfer_opts *);
static int	read_oack(struct remote *, uint64_t);
static int	server_left(const struct remote *);
static int	checked_write(void *, struct iovec *, int);
static int	checked_finish(void *);
static int	list_write(void *, struct iovec *, int);
static int	list_piece(void *, const void *, size_t);
static int	line_write(void *, struct iovec *, int);
static int	line_piece(void *, const void *, size_t);
static int	each_piece(int (*)(void *, const void *, size_t), void *,
		    const struct iovec *, int);
static int	line_finish(void *);
static int	request(struct remote *, enum pkt_op, const char *, uint64_t,
		    struct pkt *);
static void	violation(struct remote *, const struct pkt *, const char *);
static int	on_progress(void *, uint64_t);
static void	xfer_params(struct remote *, const struct watch *,
		    struct xfer_params *);

static const struct conn_hooks clock_hooks = { wait_begin, interrupted };

static void
on_tick(int sig)
{
	(void)sig;
	got_tick = 1;
}

static void
on_int(int sig)
{
	(void)sig;
	got_int = 1;
}

void
remote_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_tick;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_int;
	sigaction(SIGINT, &sa, NULL);
}

int
remote_interrupted(void)
{
	return got_int;
}

void
remote_clear_interrupt(void)
{
	got_int = 0;
}

#define TICK_MS		100

static int64_t deadline_ms;		/* CLOCK_MONOTONIC, milliseconds */

static int64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The tick, from the start of a command's talk with the server. */
static void
clock_start(void)
{
	struct itimerval it = { { 0, TICK_MS * 1000 },
	    { 0, TICK_MS * 1000 } };

	got_tick = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void
wait_begin(void *ctx)
{
	struct remote *r = ctx;

	deadline_ms = ms_now() + (int64_t)r->cfg->timeout * 1000;
}

static void
clock_stop(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	got_tick = 0;
}

static int
interrupted(void *ctx)
{
	struct remote *r = ctx;

	if (got_int)
		return CONN_INTERRUPTED;
	if (got_tick) {
		got_tick = 0;
		if (ms_now() >= deadline_ms)
			return CONN_TIMEOUT;
		if (r->watch != NULL && r->watch->tick != NULL)
			r->watch->tick(r->watch->ctx);
	}
	return 0;
}

static int
fail(struct remote *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return status;
}

void
remote_init(struct remote *r, const struct client_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->fd = -1;
	r->use_options = !cfg->no_options;
	opts_default(&r->opts);
}

void
remote_disconnect(struct remote *r)
{
	if (r->fd == -1)
		return;
	clock_stop();
	conn_free(&r->conn);
	close(r->fd);
	r->fd = -1;
	opts_default(&r->opts);
}

/* Tries each address of the host in turn, each within the timeout. */
static int
connect_any(struct remote *r)
{
	struct addrinfo hints, *res, *ai;
	struct pollfd pfd;
	socklen_t len;
	int fd = -1, rc, err = 0, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(r->cfg->host, r->cfg->port, &hints, &res))
	    != 0)
		return fail(r, RC_LOST, "cannot connect to %s port %s: %s",
		    r->cfg->host, r->cfg->port, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do
				rc = poll(&pfd, 1, (int)r->cfg->timeout * 1000);
			while (rc == -1 && errno == EINTR && !got_int);
			len = sizeof(err);
			if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == 0 && err == 0)
				break;
			if (rc == 0)
				err = ETIMEDOUT;
			else if (rc == -1)
				err = errno;
		} else
			err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return fail(r, RC_LOST, "cannot connect to %s port %s: %s",
		    r->cfg->host, r->cfg->port, strerror(err));
	/* Blocking from here on; waits are bounded by the clock. */
	if (fcntl(fd, F_SETFL, 0) == -1) {
		close(fd);
		return fail(r, RC_LOST, "fcntl: %s", strerror(errno));
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (conn_init(&r->conn, fd, &clock_hooks, r) == -1) {
		close(fd);
		return fail(r, RC_LOST, "out of memory");
	}
	r->fd = fd;
	return RC_OK;
}

/* The server's ERR, escaped, as the reason; closes if the code says so. */
static int
server_err(struct remote *r, const struct pkt *p)
{
	char msg[TEXT_ESCAPED_LEN(ERRMSG_LEN_MAX)];
	uint16_t code = p->u.err.code;

	r->errcode = (int)code;
	text_escape(msg, sizeof(msg), p->u.err.msg, strlen(p->u.err.msg),
	    r->cfg->text_flags);
	/* Section 7: these end the request only; the rest, the session. */
	if (code != ERR_NOT_FOUND && code != ERR_ACCESS &&
	    code != ERR_DISK_FULL && code != ERR_EXISTS &&
	    code != ERR_BAD_NAME)
		remote_disconnect(r);
	return fail(r, RC_FAILED, "%s (server error %u)", msg, code);
}

/*
 * What the client asks for: -B, -w, tsize and --digest (interface.md),
 * and an offset for a resumed download.
 */
static void
wanted_opts(const struct remote *r, uint64_t offset, struct xfer_opts *ask)
{
	opts_default(ask);
	ask->named = OPT_BLKSIZE | OPT_WINDOWSIZE | OPT_TSIZE;
	ask->blksize = r->cfg->blksize;
	ask->windowsize = r->cfg->windowsize;
	ask->tsize = 1;
	if (r->cfg->digest != DIGEST_NONE) {
		ask->named |= OPT_DIGEST;
		ask->digest = r->cfg->digest;
	}
	if (offset > 0) {
		ask->named |= OPT_OFFSET;
		ask->offset = offset;
	}
}

/*
 * Reads the answer to the OPT sent ahead of a request: the OACK, or ERR 4
 * from a server without options (section 6), which closed the connection
 * and ignored the request: RETRY_PLAIN says to reconnect and send it
 * again, without options.
 */
#define RETRY_PLAIN	(-2)

static int
read_oack(struct remote *r, uint64_t offset)
{
	struct xfer_opts ask, got;
	enum conn_status cs;
	struct pkt p;
	char why[256];

	wanted_opts(r, offset, &ask);
	if ((cs = conn_recv(&r->conn, 0, &p)) != CONN_OK) {
		snprintf(why, sizeof(why), "%s", conn_status_str(&r->conn,
		    cs));
		remote_disconnect(r);
		return fail(r, RC_LOST, "option negotiation: %s", why);
	}
	if (p.op == PKT_ERR && p.u.err.code == ERR_ILLEGAL) {
		remote_disconnect(r);
		r->use_options = 0;
		return RETRY_PLAIN;
	}
	/* The server refused or broke the negotiation: the command fails. */
	if (p.op == PKT_ERR) {
		server_err(r, &p);
		remote_disconnect(r);
		return RC_FAILED;
	}
	if (p.op != PKT_OACK ||
	    opts_from_oack(&p, &ask, &got, why, sizeof(why)) == -1) {
		if (p.op != PKT_OACK)
			snprintf(why, sizeof(why), "expected OACK, got %s",
			    pkt_op_name(p.op));
		conn_send_err_nowait(&r->conn, ERR_OPTIONS, why);
		remote_disconnect(r);
		return fail(r, RC_FAILED, "protocol error: %s", why);
	}
	r->opts = got;
	r->negotiated = 1;
	return RC_OK;
}

/*
 * Between requests the server says nothing, unless it ended the session:
 * ERR 5 after its idle timeout, or a close.  Anything readable now means
 * the session is over, and the next request needs a new one.
 */
static int
server_left(const struct remote *r)
{
	struct pollfd pfd = { r->fd, POLLIN, 0 };

	return conn_pending(&r->conn) || poll(&pfd, 1, 0) != 0;
}

int
remote_connect(struct remote *r, int show_greeting)
{
	char text[TEXT_ESCAPED_LEN(GREETING_LEN_MAX)];
	enum conn_status cs;
	struct pkt p;
	int rc;

	if (r->fd != -1 && !server_left(r))
		return RC_OK;
	remote_disconnect(r);
	if ((rc = connect_any(r)) != RC_OK)
		return rc;
	clock_start();
	cs = conn_recv(&r->conn, GREETING_LEN_MAX, &p);
	if (cs != CONN_OK) {
		if (cs == CONN_MALFORMED)
			conn_send_err_nowait(&r->conn, ERR_ILLEGAL,
			    pkt_status_str(r->conn.bad));
		/* Bytes that are no packet of ours: another service. */
		if (cs == CONN_MALFORMED)
			fail(r, RC_LOST, "%s port %s does not speak the file "
			    "protocol (what it sent is no greeting)",
			    r->cfg->host, r->cfg->port);
		else
			fail(r, RC_LOST, "no greeting from %s port %s: %s",
			    r->cfg->host, r->cfg->port,
			    conn_status_str(&r->conn, cs));
		remote_disconnect(r);
		return RC_LOST;
	}
	if (p.op == PKT_ERR) {
		server_err(r, &p);
		remote_disconnect(r);
		return RC_LOST;
	}
	if (p.op != PKT_DAT || p.u.dat.block != 1) {
		conn_send_err_nowait(&r->conn, ERR_ILLEGAL, "expected a "
		    "greeting");
		remote_disconnect(r);
		return fail(r, RC_LOST, "%s port %s sent %s instead of a "
		    "greeting", r->cfg->host, r->cfg->port,
		    pkt_op_name(p.op));
	}
	if (show_greeting && !r->cfg->quiet) {
		text_escape(text, sizeof(text), (const char *)p.u.dat.data,
		    p.u.dat.size, r->cfg->text_flags);
		printf("%s\n", text);
		fflush(stdout);
	}
	if ((cs = conn_send_ack(&r->conn, 1)) != CONN_OK) {
		fail(r, RC_LOST, "greeting: %s", conn_status_str(&r->conn, cs));
		remote_disconnect(r);
		return RC_LOST;
	}
	r->negotiated = 0;
	clock_stop();
	return RC_OK;
}

/*
 * Ends a transfer that did not finish.  What the client owes the server
 * is sent without blocking, then the connection closes (section 7).
 */
static int
xfer_failed(struct remote *r, const struct xfer_result *res)
{
	char msg[TEXT_ESCAPED_LEN(ERRMSG_LEN_MAX)];
	int status = RC_FAILED;

	switch (res->status) {
	case XFER_OK:
		return RC_OK;
	case XFER_PEER_ERR:
		text_escape(msg, sizeof(msg), res->msg, strlen(res->msg),
		    r->cfg->text_flags);
		r->errcode = res->errcode;
		fail(r, RC_FAILED, "%s (server error %u)", msg, res->errcode);
		break;
	case XFER_VIOLATION:
		conn_send_err_nowait(&r->conn, res->errcode, res->msg);
		fail(r, RC_FAILED, "protocol error: %s", res->msg);
		break;
	case XFER_CONN:
		switch (res->conn_status) {
		case CONN_TIMEOUT:
			conn_send_err_nowait(&r->conn, ERR_TIMEOUT,
			    "Idle timeout");
			status = fail(r, RC_LOST, "server silent for %u s",
			    r->cfg->timeout);
			break;
		case CONN_INTERRUPTED:
			conn_send_err_nowait(&r->conn, ERR_UNDEFINED,
			    "Transfer interrupted");
			fail(r, RC_FAILED, "interrupted");
			break;
		default:
			status = fail(r, RC_LOST, "connection lost: %s",
			    conn_status_str(&r->conn, res->conn_status));
		}
		break;
	case XFER_INTEGRITY:
		conn_send_err_nowait(&r->conn, ERR_INTEGRITY, res->msg);
		r->integrity_failed = 1;
		fail(r, RC_FAILED, "integrity check failed: %s", res->msg);
		break;
	case XFER_SOURCE:
	case XFER_SINK:
		conn_send_err_nowait(&r->conn, res->sys_errno == ENOSPC ?
		    ERR_DISK_FULL : ERR_UNDEFINED, "Client file error");
		fail(r, RC_FAILED, "%s", strerror(res->sys_errno));
		break;
	}
	remote_disconnect(r);
	return status;
}

/*
 * After every window: the watch is told, and Ctrl-C is looked at, as a
 * signal that lands while data flows interrupts no wait.
 */
static int
on_progress(void *ctx, uint64_t bytes)
{
	struct remote *r = ctx;

	if (r->watch != NULL && r->watch->update != NULL)
		r->watch->update(r->watch->ctx, bytes);
	return got_int;
}

static void
xfer_params(struct remote *r, const struct watch *w, struct xfer_params *xp)
{
	memset(xp, 0, sizeof(*xp));
	xp->blksize = r->opts.blksize;
	xp->windowsize = r->opts.windowsize;
	xp->progress = on_progress;
	xp->progress_ctx = r;
	r->watch = w;
}

static int
checked_write(void *ctx, struct iovec *iov, int iovcnt)
{
	struct checked_sink *cs = ctx;

	cs->got += fdio_iov_len(iov, iovcnt);
	if (cs->expect != SIZE_UNKNOWN && cs->got > cs->expect) {
		errno = EPROTO;
		return -1;
	}
	return cs->write(cs->ctx, iov, iovcnt);
}

static int
checked_finish(void *ctx)
{
	struct checked_sink *cs = ctx;

	if (cs->expect != SIZE_UNKNOWN && cs->got != cs->expect) {
		errno = EPROTO;
		return -1;
	}
	return cs->finish != NULL ? cs->finish(cs->ctx) : 0;
}

/*
 * Sends a request; the first answer is read into *p.  An offset (for a
 * RRQ) goes in an OPT of its own right before it; r->opts.offset then
 * says whether the server took it.
 */
static int
request(struct remote *r, enum pkt_op op, const char *path, uint64_t offset,
    struct pkt *p)
{
	/* Room for an OPT and the request behind it. */
	uint8_t buf[2 * PKT_OPCODE_LEN + OPT_BODY_MAX + PATH_LEN_MAX + 1];
	struct xfer_opts ask;
	enum conn_status cs;
	ssize_t len = 0, n;
	int rc, opt;

	if ((rc = remote_connect(r, 0)) != RC_OK)
		return rc;
	clock_start();
	/*
	 * The first request of a connection carries the OPT in front of
	 * it, in one write: the answers come back in order, and a round
	 * trip is saved on every connection.
	 */
	r->errcode = -1;
	r->integrity_failed = 0;
	r->refused = 0;
	r->verified = DIGEST_NONE;
	r->watch = NULL;	/* a failed transfer's may be gone */
	if ((opt = r->use_options && (!r->negotiated || offset > 0))) {
		wanted_opts(r, offset, &ask);
		len = opts_encode(buf, sizeof(buf), PKT_OPT, &ask);
	} else
		r->opts.offset = 0;	/* spent by the request before */
	if ((n = pkt_encode_req(buf + len, sizeof(buf) - (size_t)len, op,
	    path)) == -1)
		return fail(r, RC_FAILED, "path too long");
	len += n;
	cs = conn_send(&r->conn, buf, (size_t)len);
	if (cs == CONN_OK && opt) {
		if ((rc = read_oack(r, offset)) == RETRY_PLAIN)
			return request(r, op, path, offset, p);
		if (rc != RC_OK)
			return rc;
	}
	if (cs == CONN_OK)
		cs = conn_recv(&r->conn, r->opts.blksize, p);
	if (cs != CONN_OK) {
		struct xfer_result res;

		memset(&res, 0, sizeof(res));
		res.status = XFER_CONN;
		res.conn_status = cs;
		if (cs == CONN_MALFORMED) {
			res.status = XFER_VIOLATION;
			res.errcode = pkt_status_errcode(r->conn.bad);
			snprintf(res.msg, sizeof(res.msg), "%s",
			    pkt_status_str(r->conn.bad));
		}
		return xfer_failed(r, &res);
	}
	if (p->op == PKT_ERR) {
		clock_stop();
		r->refused = 1;
		return server_err(r, p);
	}
	return RC_OK;
}

static void
violation(struct remote *r, const struct pkt *p, const char *wanted)
{
	struct xfer_result res;

	memset(&res, 0, sizeof(res));
	res.status = XFER_VIOLATION;
	res.errcode = ERR_ILLEGAL;
	snprintf(res.msg, sizeof(res.msg), "expected %s, got %s", wanted,
	    pkt_op_name(p->op));
	xfer_failed(r, &res);
}

/* Starts the digest in force for a file transfer, if any. */
static int
start_digest(struct remote *r, enum pkt_op op, struct digest *d,
    struct xfer_params *xp)
{
	enum digest_alg alg = op == PKT_DRQ ? DIGEST_NONE : r->opts.digest;

	if (digest_init(d, alg) == -1)
		return fail(r, RC_FAILED, "out of memory");
	xp->digest = alg != DIGEST_NONE ? d : NULL;
	return RC_OK;
}

int
remote_download(struct remote *r, enum pkt_op op, const char *path,
    const struct remote_sink *rs, const struct watch *w)
{
	struct checked_sink sink = { rs->write, rs->finish, rs->ctx,
	    SIZE_UNKNOWN, 0 };
	const struct pkt *first = NULL;
	struct xfer_params xp;
	struct xfer_result res;
	enum conn_status cs;
	struct digest d;
	struct pkt p = { .op = 0 };
	int rc;

	if ((rc = request(r, op, path, rs->offset, &p)) != RC_OK)
		return rc;
	/* A server without options or offset sends from byte 0. */
	if (rs->offset > 0 && r->opts.offset != rs->offset &&
	    (rs->restart == NULL || rs->restart(rs->ctx) == -1)) {
		conn_send_err_nowait(&r->conn, ERR_UNDEFINED, "Cannot resume");
		remote_disconnect(r);
		return fail(r, RC_FAILED, "cannot start again: %s",
		    strerror(errno));
	}
	if (r->opts.tsize) {
		if (p.op != PKT_OACK ||
		    opts_tsize_from_oack(&p, &sink.expect) == -1) {
			violation(r, &p, "OACK with tsize");
			return RC_FAILED;
		}
		/* Refused before a byte is written: it would not fit. */
		if (rs->expect != NULL && rs->expect(rs->ctx, sink.expect) ==
		    -1) {
			int err = errno;

			conn_send_err_nowait(&r->conn, ERR_DISK_FULL,
			    "Client disk full");
			remote_disconnect(r);
			return fail(r, RC_FAILED, "%llu bytes would not fit "
			    "here: %s", (unsigned long long)sink.expect,
			    strerror(err));
		}
		if ((cs = conn_send_ack(&r->conn, 0)) != CONN_OK) {
			remote_disconnect(r);
			return fail(r, RC_LOST, "connection lost: %s",
			    conn_status_str(&r->conn, cs));
		}
	} else if (p.op == PKT_DAT)
		first = &p;
	else {
		violation(r, &p, "DAT");
		return RC_FAILED;
	}
	xfer_params(r, w, &xp);
	if ((rc = start_digest(r, op, &d, &xp)) != RC_OK) {
		conn_send_err_nowait(&r->conn, ERR_UNDEFINED, "Out of memory");
		remote_disconnect(r);
		return rc;
	}
	/* The SUM covers the whole file: the part held comes first. */
	if (xp.digest != NULL && r->opts.offset > 0 &&
	    rs->hash_prefix(rs->ctx, &d) == -1) {
		digest_free(&d);
		conn_send_err_nowait(&r->conn, ERR_UNDEFINED,
		    "Client file error");
		remote_disconnect(r);
		return fail(r, RC_FAILED, "reading what arrived before: %s",
		    strerror(errno));
	}
	if (w != NULL && w->start != NULL)
		w->start(w->ctx, r->opts.offset, sink.expect);
	xfer_recv(&r->conn, &xp, first, checked_write, checked_finish, &sink,
	    &res);
	r->watch = NULL;
	clock_stop();
	if (res.status == XFER_OK && xp.digest != NULL)
		r->verified = xp.digest->alg;
	digest_free(&d);
	if (res.status == XFER_SINK && res.sys_errno == EPROTO) {
		conn_send_err_nowait(&r->conn, ERR_ILLEGAL,
		    "Size differs from tsize");
		remote_disconnect(r);
		return fail(r, RC_FAILED, "protocol error: the server sent "
		    "%llu bytes, not the %llu it announced",
		    (unsigned long long)sink.got,
		    (unsigned long long)sink.expect);
	}
	return xfer_failed(r, &res);
}

int
remote_upload(struct remote *r, const char *path, xfer_read_fn read,
    void *ctx, uint64_t size, const struct watch *w)
{
	struct xfer_params xp;
	struct xfer_result res;
	struct digest d;
	struct pkt p = { .op = 0 };
	int rc;

	if ((rc = request(r, PKT_WRQ, path, 0, &p)) != RC_OK)
		return rc;
	if (p.op != PKT_ACK || p.u.ack.block != 0) {
		violation(r, &p, "ACK 0");
		return RC_FAILED;
	}
	xfer_params(r, w, &xp);
	if ((rc = start_digest(r, PKT_WRQ, &d, &xp)) != RC_OK) {
		conn_send_err_nowait(&r->conn, ERR_UNDEFINED, "Out of memory");
		remote_disconnect(r);
		return rc;
	}
	if (w != NULL && w->start != NULL)
		w->start(w->ctx, 0, size);
	xp.size_hint = size;
	xfer_send(&r->conn, &xp, read, ctx, &res);
	r->watch = NULL;
	clock_stop();
	if (res.status == XFER_OK && xp.digest != NULL)
		r->verified = xp.digest->alg;
	digest_free(&d);
	return xfer_failed(r, &res);
}

int
remote_mkdir(struct remote *r, const char *path)
{
	struct pkt p = { .op = 0 };
	int rc;

	if ((rc = request(r, PKT_MKD, path, 0, &p)) != RC_OK)
		return rc;
	clock_stop();
	if (p.op != PKT_ACK || p.u.ack.block != 0) {
		violation(r, &p, "ACK 0");
		return RC_FAILED;
	}
	return RC_OK;
}

/* A sink that takes its pieces one at a time, in order. */
static int
each_piece(int (*piece)(void *, const void *, size_t), void *ctx,
    const struct iovec *iov, int iovcnt)
{
	int i;

	for (i = 0; i < iovcnt; i++)
		if (piece(ctx, iov[i].iov_base, iov[i].iov_len) == -1)
			return -1;
	return 0;
}

static int
list_write(void *ctx, struct iovec *iov, int iovcnt)
{
	return each_piece(list_piece, ctx, iov, iovcnt);
}

static int
list_piece(void *ctx, const void *buf, size_t len)
{
	struct list_sink *ls = ctx;
	size_t cap;
	char *p;

	if (len > LIST_MAX - ls->len) {
		errno = EFBIG;
		return -1;
	}
	if (ls->len + len + 1 > ls->cap) {
		cap = ls->cap ? ls->cap : 4096;
		while (cap < ls->len + len + 1)
			cap *= 2;
		if ((p = realloc(ls->buf, cap)) == NULL)
			return -1;
		ls->buf = p;
		ls->cap = cap;
	}
	memcpy(ls->buf + ls->len, buf, len);
	ls->len += len;
	ls->buf[ls->len] = '\0';
	return 0;
}

static int
line_write(void *ctx, struct iovec *iov, int iovcnt)
{
	return each_piece(line_piece, ctx, iov, iovcnt);
}

/* Cuts the bytes into lines; one longer than the format allows is cut. */
static int
line_piece(void *ctx, const void *buf, size_t len)
{
	struct line_sink *ls = ctx;
	const char *p = buf, *end = p + len, *nl;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > sizeof(ls->line) - ls->len) {
			n = sizeof(ls->line) - ls->len;
			ls->overlong = 1;
		}
		memcpy(ls->line + ls->len, p, n);
		ls->len += n;
		if (nl == NULL)
			break;
		if (ls->fn(ls->ctx, ls->line, ls->len) == -1)
			return -1;
		ls->len = 0;
		ls->overlong = 0;
		p = nl + 1;
	}
	return 0;
}

/* A last line without its newline still counts. */
static int
line_finish(void *ctx)
{
	struct line_sink *ls = ctx;

	if (ls->len > 0 && ls->fn(ls->ctx, ls->line, ls->len) == -1)
		return -1;
	ls->len = 0;
	return 0;
}

int
remote_list_lines(struct remote *r, const char *path, remote_line_fn fn,
    void *ctx)
{
	struct line_sink *ls;
	struct remote_sink sink = { line_write, line_finish, NULL, 0, NULL,
	    NULL, NULL };
	int rc;

	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		return fail(r, RC_FAILED, "out of memory");
	ls->fn = fn;
	ls->ctx = ctx;
	sink.ctx = ls;
	rc = remote_download(r, PKT_DRQ, path, &sink, NULL);
	free(ls);
	return rc;
}

int
remote_list(struct remote *r, const char *path, char **text, size_t *len)
{
	struct list_sink ls = { NULL, 0, 0 };
	struct remote_sink sink = { list_write, NULL, &ls, 0, NULL, NULL,
	    NULL };
	int rc;

	rc = remote_download(r, PKT_DRQ, path, &sink, NULL);
	if (rc != RC_OK) {
		free(ls.buf);
		return rc;
	}
	if (ls.buf == NULL && (ls.buf = calloc(1, 1)) == NULL)
		return fail(r, RC_FAILED, "out of memory");
	*text = ls.buf;
	*len = ls.len;
	return RC_OK;
}

int
remote_path(const struct remote *r, const char *arg, char *out, size_t size)
{
	char work[2 * PATH_LEN_MAX + 2];
	size_t len = 0, clen;
	const char *c, *end;

	if (arg[0] == '/')
		work[0] = '\0';
	else if (strlcpy(work, r->cwd, sizeof(work)) >= sizeof(work))
		return -1;
	if (work[0] != '\0' && strlcat(work, "/", sizeof(work)) >=
	    sizeof(work))
		return -1;
	if (strlcat(work, arg, sizeof(work)) >= sizeof(work))
		return -1;
	out[0] = '\0';
	for (c = work; *c != '\0'; c = *end ? end + 1 : end) {
		end = strchr(c, '/');
		if (end == NULL)
			end = c + strlen(c);
		clen = (size_t)(end - c);
		if (clen == 0 || (clen == 1 && c[0] == '.'))
			continue;
		if (clen == 2 && c[0] == '.' && c[1] == '.') {
			/* Climb, but never above the root. */
			while (len > 0 && out[len - 1] != '/')
				len--;
			len = len > 0 ? len - 1 : 0;
			out[len] = '\0';
			continue;
		}
		if (len + (len ? 1 : 0) + clen + 1 > size ||
		    len + (len ? 1 : 0) + clen > PATH_LEN_MAX)
			return -1;
		if (len)
			out[len++] = '/';
		memcpy(out + len, c, clen);
		len += clen;
		out[len] = '\0';
	}
	return 0;
}
