/*
 * Transfers over the client's session (see remote.h): a download into
 * its sink, checked against the size the server announced and the SUM;
 * an upload from its source; MKD.  The request and its first answer are
 * the session's (remote_request.h), the DATs and ACKs the engine's.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fdio.h"
#include "outq.h"
#include "remote.h"
#include "remote_request.h"
#include "signals.h"

/* A download's sink, checked against the size the server announced. */
struct checked_sink {
	xfer_write_fn write;
	xfer_finish_fn finish;
	void *ctx;
	uint64_t expect, got;
};

static int	on_progress(void *, uint64_t);
static void	xfer_params(struct remote *, const struct watch *,
		    struct xfer_params *);
static int	checked_write(void *, struct iovec *, int);
static int	checked_finish(void *);
static int	start_digest(struct remote *, enum pkt_op, struct digest *,
		    struct xfer_params *);
static int	first_answer(struct remote *, enum pkt_op,
		    const struct remote_sink *,
		    const struct pkt *, uint64_t *, const struct pkt **);
static int	stopped_in_run(struct remote *);

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
	return sig_intr_pending();
}

static void
xfer_params(struct remote *r, const struct watch *w, struct xfer_params *xp)
{
	memset(xp, 0, sizeof(*xp));
	xp->blksize = r->opts.blksize;
	xp->windowsize = r->opts.windowsize;
	xp->pipelined = r->opts.pipeline != 0;
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

/* Starts the digest in force for a file transfer, if any. */
static int
start_digest(struct remote *r, enum pkt_op op, struct digest *d,
    struct xfer_params *xp)
{
	enum digest_alg alg = op == PKT_DRQ ? DIGEST_NONE : r->opts.digest;

	if (digest_init(d, alg) == -1)
		return remote_fail(r, RC_FAILED, "out of memory");
	xp->digest = alg != DIGEST_NONE ? d : NULL;
	return RC_OK;
}

/*
 * The answer to a download's request, which request read into *p: the
 * OACK with the size when tsize is in force, acknowledged once the sink
 * says the size fits, else the first DAT, left in *first for the engine.
 * As remote_download.
 */
static int
first_answer(struct remote *r, enum pkt_op op, const struct remote_sink *rs,
    const struct pkt *p, uint64_t *size, const struct pkt **first)
{
	enum conn_status cs;
	int attrs = r->opts.stat && op == PKT_RRQ;

	*first = NULL;
	memset(&r->announced, 0, sizeof(r->announced));
	if (r->opts.tsize) {
		if (p->op != PKT_OACK ||
		    opts_announce_from_oack(p, attrs, &r->announced) == -1) {
			remote_violation(r, p, attrs ? "OACK with tsize, mtime "
			    "and mode" : "OACK with tsize");
			return RC_FAILED;
		}
		*size = r->announced.size;
		if (attrs && rs->announced != NULL &&
		    rs->announced(rs->actx, &r->announced) == -1) {
			int err = errno;

			conn_send_err_nowait(&r->conn, ERR_UNDEFINED,
			    "Client file error");
			remote_disconnect(r);
			return remote_fail(r, RC_FAILED, "%s", strerror(err));
		}
		/* Refused before a byte is written: it would not fit. */
		if (rs->expect != NULL && rs->expect(rs->ctx, *size) == -1) {
			int err = errno;

			conn_send_err_nowait(&r->conn, ERR_DISK_FULL,
			    "Client disk full");
			remote_disconnect(r);
			return remote_fail(r, RC_FAILED, "%llu bytes would "
			    "not fit here: %s", (unsigned long long)*size,
			    strerror(err));
		}
		if (!r->opts.pipeline &&
		    (cs = conn_send_ack(&r->conn, 0)) != CONN_OK) {
			remote_disconnect(r);
			return remote_fail(r, RC_LOST, "connection lost: %s",
			    conn_status_str(&r->conn, cs));
		}
	} else if (p->op == PKT_DAT)
		*first = p;
	else {
		remote_violation(r, p, "DAT");
		return RC_FAILED;
	}
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

	if ((rc = remote_request(r, op, path, rs->offset, &p)) != RC_OK)
		return rc;
	/* A server without options or offset sends from byte 0. */
	if (rs->offset > 0 && r->opts.offset != rs->offset &&
	    (rs->restart == NULL || rs->restart(rs->ctx) == -1)) {
		conn_send_err_nowait(&r->conn, ERR_UNDEFINED, "Cannot resume");
		remote_disconnect(r);
		return remote_fail(r, RC_FAILED, "cannot start again: %s",
		    strerror(errno));
	}
	if ((rc = first_answer(r, op, rs, &p, &sink.expect, &first)) !=
	    RC_OK)
		return rc;
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
		return remote_fail(r, RC_FAILED, "reading what arrived "
		    "before: %s", strerror(errno));
	}
	if (w != NULL && w->start != NULL)
		w->start(w->ctx, r->opts.offset, sink.expect);
	xfer_recv(&r->conn, &xp, first, checked_write, checked_finish, &sink,
	    &res);
	r->watch = NULL;
	sig_tick_stop();
	if (res.status == XFER_OK && xp.digest != NULL)
		r->verified = xp.digest->alg;
	digest_free(&d);
	if (res.status == XFER_SINK && res.sys_errno == EPROTO) {
		conn_send_err_nowait(&r->conn, ERR_ILLEGAL,
		    "Size differs from tsize");
		remote_disconnect(r);
		return remote_fail(r, RC_FAILED, "protocol error: the "
		    "server sent %llu bytes, not the %llu it announced",
		    (unsigned long long)sink.got,
		    (unsigned long long)sink.expect);
	}
	/* Pipelined, the one ACK: stored, so it goes now or joins a run's. */
	if (res.status == XFER_OK && xp.pipelined &&
	    (cs = r->ahead != NULL ? outq_ack(r->ahead, res.final_block) :
	    conn_send_ack(&r->conn, res.final_block)) != CONN_OK) {
		remote_disconnect(r);
		return remote_fail(r, RC_LOST, "connection lost: %s",
		    conn_status_str(&r->conn, cs));
	}
	return remote_xfer_failed(r, &res);
}

/*
 * Ctrl-C stopped an upload of a run mid-way: ERR 0 at a packet boundary,
 * then no more writing; the answers to the uploads before it are still
 * read.
 */
static int
stopped_in_run(struct remote *r)
{
	(void)conn_send_err_nowait(&r->conn, ERR_UNDEFINED,
	    "Transfer interrupted");
	(void)shutdown(r->fd, SHUT_WR);
	return remote_fail(r, RC_FAILED, "interrupted; not stored");
}

/*
 * The answer to a WRQ, read into *p: ACK 0, or with resume echoed the
 * OACK that says how much the server holds (*held), or nothing yet when
 * pipelined.  RC_OK, or the request's end.
 */
static int
upload_answer(struct remote *r, const struct pkt *p, int resumable,
    uint64_t size, uint64_t *held)
{
	*held = 0;
	if (resumable) {
		if (p->op != PKT_OACK || opts_held_from_oack(p, size, held) ==
		    -1) {
			remote_violation(r, p, "OACK with offset");
			return RC_FAILED;
		}
		return RC_OK;
	}
	if (!r->opts.pipeline && (p->op != PKT_ACK || p->u.ack.block != 0)) {
		remote_violation(r, p, "ACK 0");
		return RC_FAILED;
	}
	return RC_OK;
}

/* remote_upload, resumed from what the server holds when skip is set. */
static int
upload(struct remote *r, const char *path, xfer_read_fn read,
    remote_skip_fn skip, void *ctx, uint64_t size, const struct watch *w)
{
	struct xfer_params xp;
	struct xfer_result res;
	struct digest d;
	struct pkt p = { .op = 0 };
	int rc, resumable;

	r->resumed_at = 0;
	/* A lone request only: resume is never asked with pipeline. */
	r->want_resume = skip != NULL && r->ahead == NULL;
	r->resume_size = size;
	rc = remote_request(r, PKT_WRQ, path, 0, &p);
	resumable = r->want_resume && (r->opts.named & OPT_RESUME);
	/* Spent by this request, as an offset is. */
	r->want_resume = 0;
	r->opts.named &= ~OPT_RESUME;
	if (rc != RC_OK ||
	    (rc = upload_answer(r, &p, resumable, size, &r->resumed_at)) !=
	    RC_OK)
		return rc;
	xfer_params(r, w, &xp);
	if ((rc = start_digest(r, PKT_WRQ, &d, &xp)) != RC_OK) {
		conn_send_err_nowait(&r->conn, ERR_UNDEFINED, "Out of memory");
		remote_disconnect(r);
		return rc;
	}
	/* The SUM covers the whole file: the bytes the server has too. */
	if (skip != NULL && r->resumed_at > 0 &&
	    skip(ctx, r->resumed_at, xp.digest) == -1) {
		rc = errno;
		digest_free(&d);
		conn_send_err_nowait(&r->conn, ERR_UNDEFINED,
		    "Cannot read the file");
		remote_disconnect(r);
		return remote_fail(r, RC_FAILED, "cannot read the file: %s",
		    strerror(rc));
	}
	if (w != NULL && w->start != NULL)
		w->start(w->ctx, r->resumed_at, size - r->resumed_at);
	xp.size_hint = size - r->resumed_at;
	xfer_send(&r->conn, &xp, read, ctx, &res);
	r->watch = NULL;
	sig_tick_stop();
	if (res.status == XFER_OK && xp.digest != NULL)
		r->verified = xp.digest->alg;
	digest_free(&d);
	/* In a run, the answer is read later; Ctrl-C lets it come. */
	if (xp.pipelined && r->ahead != NULL && res.status == XFER_OK) {
		r->final_block = res.final_block;
		return RC_OK;
	}
	if (xp.pipelined && r->ahead != NULL && res.status == XFER_CONN &&
	    res.conn_status == CONN_INTERRUPTED)
		return stopped_in_run(r);
	if (xp.pipelined && res.status == XFER_OK)
		return remote_upload_answer(r, res.final_block, NULL);
	return remote_xfer_failed(r, &res);
}

int
remote_upload(struct remote *r, const char *path, xfer_read_fn read,
    void *ctx, uint64_t size, const struct watch *w)
{
	return upload(r, path, read, NULL, ctx, size, w);
}

int
remote_upload_resume(struct remote *r, const char *path, xfer_read_fn read,
    remote_skip_fn skip, void *ctx, uint64_t size, const struct watch *w)
{
	return upload(r, path, read, skip, ctx, size, w);
}

int
remote_upload_answer(struct remote *r, uint16_t block,
    const struct xfer_opts *asked)
{
	struct pkt p = { .op = 0 };
	int rc;

	sig_tick_start();
	if (asked != NULL && (rc = remote_read_oack(r, asked)) != RC_OK)
		return rc == RETRY_PLAIN ? remote_fail(r, RC_LOST,
		    "connection lost") : rc;
	if ((rc = remote_answer(r, CONN_OK, &p)) != RC_OK)
		return rc;
	sig_tick_stop();
	if (p.op != PKT_ACK || p.u.ack.block != block) {
		remote_violation(r, &p, "the ACK of the upload's final block");
		return RC_FAILED;
	}
	return RC_OK;
}

int
remote_mkdir(struct remote *r, const char *path)
{
	return remote_entry(r, PKT_MKD, path, NULL);
}
