/*
 * The client's session with the server (see remote.h).
 *
 * Each wait on the server records its deadline and is ended by the tick
 * past it, or by Ctrl-C as CONN_INTERRUPTED (signals.h owns both); the
 * tick also lets the progress bar say "stalled".
 */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dial.h"
#include "errno_map.h"
#include "packet.h"
#include "remote.h"
#include "remote_request.h"
#include "signals.h"
#include "text.h"
#include "tls_client.h"

static void	wait_begin(void *);
static int	interrupted(void *);
static int	err_reason(struct remote *, unsigned, const char *);
static int	server_err(struct remote *, const struct pkt *);
static int	connect_any(struct remote *);
static void	wanted_opts(const struct remote *, enum pkt_op, uint64_t,
		    struct xfer_opts *);
static int	server_left(const struct remote *);
static int	send_request(struct remote *, enum pkt_op, const char *,
		    const char *, uint64_t, struct pkt *);

static const struct conn_hooks clock_hooks = { wait_begin, interrupted };

static void
wait_begin(void *ctx)
{
	struct remote *r = ctx;

	sig_deadline_set(r->cfg->timeout);
}

static int
interrupted(void *ctx)
{
	struct remote *r = ctx;

	if (sig_intr_pending() && !r->hold_int)
		return CONN_INTERRUPTED;
	if (sig_tick_taken()) {
		if (sig_deadline_passed())
			return CONN_TIMEOUT;
		if (r->watch != NULL && r->watch->tick != NULL)
			r->watch->tick(r->watch->ctx);
	}
	return 0;
}

int
remote_fail(struct remote *r, int status, const char *fmt, ...)
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
	sig_tick_stop();
	conn_free(&r->conn);
	close(r->fd);
	r->fd = -1;
	opts_default(&r->opts);
}

/* The connection, in blocking mode, with the session's clock hooks. */
static int
connect_any(struct remote *r)
{
	int fd;

	if ((fd = dial_tcp(r->cfg->host, r->cfg->port, r->cfg->timeout,
	    r->why, sizeof(r->why))) == -1)
		return RC_LOST;
	if (conn_init(&r->conn, fd, &clock_hooks, r) == -1) {
		close(fd);
		return remote_fail(r, RC_LOST, "out of memory");
	}
	r->fd = fd;
	return RC_OK;
}

/*
 * The server's ERR as the reason: its message whole, escaped, as
 * interface.md asks, and its code beside it.
 */
static int
err_reason(struct remote *r, unsigned code, const char *text)
{
	char msg[TEXT_ESCAPED_LEN(ERRMSG_LEN_MAX)];

	r->errcode = (int)code;
	text_escape(msg, sizeof(msg), text, strlen(text), r->cfg->text_flags);
	return remote_fail(r, RC_FAILED, "%s (server error %u)", msg, code);
}

/*
 * The server's ERR as the reason; closes if the code says so, after the
 * reason is taken: the packet lives in the connection's buffer.
 */
static int
server_err(struct remote *r, const struct pkt *p)
{
	uint16_t code = p->u.err.code;
	int rc = err_reason(r, code, p->u.err.msg);

	/* Section 7: these end the request only; the rest, the session. */
	if (code != ERR_NOT_FOUND && code != ERR_ACCESS &&
	    code != ERR_DISK_FULL && code != ERR_EXISTS &&
	    code != ERR_BAD_NAME)
		remote_disconnect(r);
	return rc;
}

/*
 * What the client asks for: -B, -w, tsize and --digest (interface.md),
 * and an offset for a resumed download.
 */
static void
wanted_opts(const struct remote *r, enum pkt_op op, uint64_t offset,
    struct xfer_opts *ask)
{
	opts_default(ask);
	/* stat: each download's time and mode ("File attributes"). */
	ask->named = OPT_BLKSIZE | OPT_WINDOWSIZE | OPT_TSIZE | OPT_STAT;
	ask->blksize = r->cfg->blksize;
	ask->windowsize = r->cfg->windowsize;
	ask->tsize = 1;
	ask->stat = 1;
	if (op == PKT_WRQ) {
		ask->named |= r->next_attrs;
		ask->mtime = r->next_mtime;
		ask->mode = r->next_mode;
	}
	if (r->cfg->digest != DIGEST_NONE) {
		ask->named |= OPT_DIGEST;
		ask->digest = r->cfg->digest;
	}
	if (offset > 0) {
		ask->named |= OPT_OFFSET;
		ask->offset = offset;
	}
	if (r->want_pipeline) {
		ask->named |= OPT_PIPELINE;
		ask->pipeline = CLIENT_PIPELINE;
	}
	if (r->want_resume) {
		ask->named |= OPT_RESUME;
		ask->resume = r->resume_size;
	}
}

int
remote_read_oack(struct remote *r, const struct xfer_opts *ask)
{
	struct xfer_opts got;
	enum conn_status cs;
	struct pkt p;
	char why[256];

	if ((cs = conn_recv(&r->conn, 0, &p)) != CONN_OK) {
		snprintf(why, sizeof(why), "%s", conn_status_str(&r->conn,
		    cs));
		remote_disconnect(r);
		return remote_fail(r, RC_LOST, "option negotiation: %s", why);
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
	    opts_from_oack(&p, ask, &got, why, sizeof(why)) == -1) {
		if (p.op != PKT_OACK)
			snprintf(why, sizeof(why), "expected OACK, got %s",
			    pkt_op_name(p.op));
		conn_send_err_nowait(&r->conn, ERR_OPTIONS, why);
		remote_disconnect(r);
		return remote_fail(r, RC_FAILED, "protocol error: %s", why);
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
	sig_tick_start();
	if (r->cfg->tls && tls_client_start(&r->conn, r->cfg, r->why,
	    sizeof(r->why)) == -1) {
		remote_disconnect(r);
		return RC_LOST;
	}
	cs = conn_recv(&r->conn, GREETING_LEN_MAX, &p);
	if (cs != CONN_OK) {
		if (cs == CONN_MALFORMED)
			conn_send_err_nowait(&r->conn, ERR_ILLEGAL,
			    pkt_status_str(r->conn.bad));
		/* Bytes that are no packet of ours: another service. */
		if (cs == CONN_MALFORMED)
			remote_fail(r, RC_LOST, "%s port %s does not speak "
			    "the file protocol (what it sent is no greeting)",
			    r->cfg->host, r->cfg->port);
		else
			remote_fail(r, RC_LOST, "no greeting from %s port "
			    "%s: %s", r->cfg->host, r->cfg->port,
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
		return remote_fail(r, RC_LOST, "%s port %s sent %s instead "
		    "of a greeting", r->cfg->host, r->cfg->port,
		    pkt_op_name(p.op));
	}
	if (show_greeting && !r->cfg->quiet) {
		text_escape(text, sizeof(text), (const char *)p.u.dat.data,
		    p.u.dat.size, r->cfg->text_flags);
		printf("%s\n", text);
		fflush(stdout);
	}
	if ((cs = conn_send_ack(&r->conn, 1)) != CONN_OK) {
		remote_fail(r, RC_LOST, "greeting: %s",
		    conn_status_str(&r->conn, cs));
		remote_disconnect(r);
		return RC_LOST;
	}
	r->negotiated = 0;
	sig_tick_stop();
	return RC_OK;
}

/*
 * Ends a transfer that did not finish.  What the client owes the server
 * is sent without blocking, then the connection closes (section 7).
 */
int
remote_xfer_failed(struct remote *r, const struct xfer_result *res)
{
	const struct errno_row *row;
	int status = RC_FAILED;

	switch (res->status) {
	case XFER_OK:
		return RC_OK;
	case XFER_PEER_ERR:
		err_reason(r, res->errcode, res->msg);
		break;
	case XFER_VIOLATION:
		conn_send_err_nowait(&r->conn, res->errcode, res->msg);
		remote_fail(r, RC_FAILED, "protocol error: %s", res->msg);
		break;
	case XFER_CONN:
		switch (res->conn_status) {
		case CONN_TIMEOUT:
			conn_send_err_nowait(&r->conn, ERR_TIMEOUT,
			    "Idle timeout");
			status = remote_fail(r, RC_LOST, "server silent for "
			    "%u s", r->cfg->timeout);
			break;
		case CONN_INTERRUPTED:
			conn_send_err_nowait(&r->conn, ERR_UNDEFINED,
			    "Transfer interrupted");
			remote_fail(r, RC_FAILED, "interrupted");
			break;
		default:
			status = remote_fail(r, RC_LOST, "connection lost: %s",
			    conn_status_str(&r->conn, res->conn_status));
		}
		break;
	case XFER_INTEGRITY:
		conn_send_err_nowait(&r->conn, ERR_INTEGRITY, res->msg);
		r->integrity_failed = 1;
		remote_fail(r, RC_FAILED, "integrity check failed: %s",
		    res->msg);
		break;
	case XFER_SOURCE:
	case XFER_SINK:
		row = errno_map(res->sys_errno, ERRNO_WRITING);
		conn_send_err_nowait(&r->conn, row != NULL ? row->code :
		    ERR_UNDEFINED, "Client file error");
		remote_fail(r, RC_FAILED, "%s", strerror(res->sys_errno));
		break;
	}
	remote_disconnect(r);
	return status;
}

/*
 * Reads the first packet of a request's answer into *p: a failed
 * connection ends the session, an ERR is the server's reason.
 */
int
remote_answer(struct remote *r, enum conn_status cs, struct pkt *p)
{
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
		return remote_xfer_failed(r, &res);
	}
	if (p->op == PKT_ERR) {
		sig_tick_stop();
		r->refused = 1;
		return server_err(r, p);
	}
	return RC_OK;
}

/* As remote_request.h says. */
int
remote_request(struct remote *r, enum pkt_op op, const char *path,
    uint64_t offset, struct pkt *p)
{
	return send_request(r, op, path, NULL, offset, p);
}

/* remote_request, and for a RNM its new name, to. */
static int
send_request(struct remote *r, enum pkt_op op, const char *path,
    const char *to, uint64_t offset, struct pkt *p)
{
	/* Room for an OPT and the request behind it: two paths for RNM. */
	uint8_t buf[2 * PKT_OPCODE_LEN + OPT_BODY_MAX +
	    2 * (PATH_LEN_MAX + 1)];
	enum conn_status cs = CONN_OK;
	ssize_t len = 0, n;
	int rc, opt, ahead = r->ahead != NULL && op != PKT_WRQ;

	if (r->ahead == NULL && (rc = remote_connect(r, 0)) != RC_OK)
		return rc;
	if (r->fd == -1)
		return remote_fail(r, RC_LOST, "connection lost");
	sig_tick_start();
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
	if ((opt = !ahead && r->use_options && (!r->negotiated ||
	    offset > 0 || r->want_resume ||
	    r->asked_pipeline != r->want_pipeline ||
	    (op == PKT_WRQ && r->next_attrs != 0)))) {
		r->asked_pipeline = r->want_pipeline;
		wanted_opts(r, op, offset, &r->asked);
		len = opts_encode(buf, sizeof(buf), PKT_OPT, &r->asked);
	} else
		r->opts.offset = 0;	/* spent by the request before */
	r->opt_sent = opt;
	if (op == PKT_WRQ)
		r->next_attrs = 0;	/* for this one only */
	if (to != NULL)		/* RNM */
		n = pkt_encode_rnm(buf + len, sizeof(buf) - (size_t)len, path,
		    to);
	else
		n = pkt_encode_req(buf + len, sizeof(buf) - (size_t)len, op,
		    path);
	if (n == -1)
		return remote_fail(r, RC_FAILED, "path too long");
	len += n;
	if (!ahead)
		cs = conn_send(&r->conn, buf, (size_t)len);
	/* In a run, an upload's OACK comes in order with its answer. */
	if (cs == CONN_OK && opt && !(op == PKT_WRQ && r->ahead != NULL)) {
		if ((rc = remote_read_oack(r, &r->asked)) == RETRY_PLAIN)
			return send_request(r, op, path, to, offset, p);
		if (rc != RC_OK)
			return rc;
	}
	if (cs == CONN_OK && op == PKT_WRQ && r->opts.pipeline)
		return RC_OK;
	return remote_answer(r, cs, p);
}

void
remote_violation(struct remote *r, const struct pkt *p, const char *wanted)
{
	struct xfer_result res;

	memset(&res, 0, sizeof(res));
	res.status = XFER_VIOLATION;
	res.errcode = ERR_ILLEGAL;
	snprintf(res.msg, sizeof(res.msg), "expected %s, got %s", wanted,
	    pkt_op_name(p->op));
	remote_xfer_failed(r, &res);
}

int
remote_entry(struct remote *r, enum pkt_op op, const char *path,
    const char *to)
{
	struct pkt p = { .op = 0 };
	int rc;

	if ((rc = send_request(r, op, path, to, 0, &p)) != RC_OK)
		return rc;
	sig_tick_stop();
	if (p.op != PKT_ACK || p.u.ack.block != 0) {
		remote_violation(r, &p, "ACK 0");
		return RC_FAILED;
	}
	return RC_OK;
}
