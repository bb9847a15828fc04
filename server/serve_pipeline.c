/*
 * The pipeline extension on the server's side (protocol.md,
 * "Pipelining"): requests are still read and served one at a time, in
 * order; what changes is that nothing waits.  A download is sent whole
 * and then awaits its final ACK while the next requests are served; an
 * upload is read whole and answered with one packet; an upload refused
 * before its end is read to its end and dropped, so the requests behind
 * it are served.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "session.h"

static enum serve_result discard_sum(struct session *);
static int	next_packet(struct session *, struct pkt *,
		    enum serve_result *);

int
pipeline_packet(struct session *s, const struct pkt *p, enum serve_result *r)
{
	struct awaiting *a = &s->awaiting;

	if (a->n == 0)
		return 0;	/* an ACK now is unexpected: the loop says so */
	if (p->op == PKT_ACK) {
		if (p->u.ack.block != a->block[a->head]) {
			*r = session_abort(s, ERR_ILLEGAL, "Illegal operation: "
			    "ACK for block %u, expected %u", p->u.ack.block,
			    a->block[a->head]);
			return 1;
		}
		a->head = (a->head + 1) % SERVER_PIPELINE_MAX;
		a->n--;
		*r = SERVE_NEXT;
		return 1;
	}
	if (p->op == PKT_OPT) {
		*r = session_abort(s, ERR_ILLEGAL, "Illegal operation: OPT "
		    "while %u downloads await their ACK", a->n);
		return 1;
	}
	if (pkt_is_request(p->op) && a->n >= s->opts.pipeline) {
		*r = session_abort(s, ERR_ILLEGAL, "Illegal operation: more "
		    "than %u requests outstanding", s->opts.pipeline);
		return 1;
	}
	return 0;
}

enum serve_result
pipeline_sent(struct session *s, const struct xfer_result *res)
{
	struct awaiting *a = &s->awaiting;

	if (!s->opts.pipeline || res->status != XFER_OK)
		return session_xfer_failed(s, res);
	/* pipeline_packet keeps n below opts.pipeline, at most the max. */
	a->block[(a->head + a->n) % SERVER_PIPELINE_MAX] = res->final_block;
	a->n++;
	return SERVE_NEXT;
}

enum serve_result
pipeline_received(struct session *s, const struct xfer_result *res)
{
	enum conn_status cs;
	enum serve_result r;
	int err = res->sys_errno;

	if (!s->opts.pipeline)
		return session_xfer_failed(s, res);
	if (res->status == XFER_OK) {
		/* The file is published and durable: now, and only now. */
		if ((cs = conn_send_ack(&s->conn, res->final_block)) !=
		    CONN_OK)
			return session_conn_failed(s, cs);
		return SERVE_NEXT;
	}
	/* -m passed, or the name taken meanwhile: this file only. */
	if (res->status != XFER_SINK || (err != EFBIG && err != EEXIST))
		return session_xfer_failed(s, res);
	if (err == EFBIG)
		r = session_refuse(s, ERR_DISK_FULL,
		    "Upload size limit exceeded");
	else
		r = session_refuse(s, ERR_EXISTS, "File already exists");
	if (r != SERVE_NEXT)
		return r;
	if (res->dats_left)
		return pipeline_discard(s, res->next_block, res->sum_left);
	return res->sum_left ? discard_sum(s) : SERVE_NEXT;
}

/*
 * The next packet of a dropped upload: 0, or -1 with *r when the
 * connection failed or the client sent ERR (which ends the session).
 */
static int
next_packet(struct session *s, struct pkt *p, enum serve_result *r)
{
	enum conn_status cs;

	if ((cs = conn_recv(&s->conn, s->opts.blksize, p)) != CONN_OK) {
		*r = session_conn_failed(s, cs);
		return -1;
	}
	if (p->op == PKT_ERR) {
		snprintf(s->req.result, sizeof(s->req.result),
		    "client sent ERR %u", p->u.err.code);
		*r = SERVE_CLOSE;
		return -1;
	}
	return 0;
}

/* The SUM that ends a dropped upload: read, not checked. */
static enum serve_result
discard_sum(struct session *s)
{
	enum serve_result r;
	struct pkt p;

	if (next_packet(s, &p, &r) == -1)
		return r;
	if (p.op != PKT_SUM)
		return session_abort(s, ERR_ILLEGAL, "Illegal operation: "
		    "expected SUM, got %s", pkt_op_name(p.op));
	return SERVE_NEXT;
}

enum serve_result
pipeline_discard(struct session *s, uint16_t block, int sum_due)
{
	enum serve_result r;
	struct pkt p;

	for (;;) {
		/* A DAT longer than the block size is malformed: ERR 4. */
		if (next_packet(s, &p, &r) == -1)
			return r;
		if (p.op != PKT_DAT || p.u.dat.block != block)
			return session_abort(s, ERR_ILLEGAL, "Illegal "
			    "operation: expected DAT %u of a refused upload, "
			    "got %s", block, pkt_op_name(p.op));
		if (p.u.dat.size < s->opts.blksize)
			break;
		block++;	/* wraps from 65535 to 0 (section 4) */
	}
	return sum_due ? discard_sum(s) : SERVE_NEXT;
}

enum serve_result
pipeline_hold(struct session *s, int *fd, int *dirfd, const char *name,
    uint16_t block)
{
	struct held_upload *h = &s->held.u[s->held.n++];

	h->fd = *fd;
	h->dirfd = *dirfd;
	h->block = block;
	strlcpy(h->name, name, sizeof(h->name));
	*fd = *dirfd = -1;
	s->held.files++;
	strlcpy(s->req.result, "ok, held for the batch's sync",
	    sizeof(s->req.result));
	return s->held.files == SERVER_HOLD_MAX ||
	    s->held.n == SERVER_HOLD_MAX * 2 ? pipeline_flush(s) : SERVE_NEXT;
}

int
pipeline_hold_oack(struct session *s, const uint8_t *oack, size_t len)
{
	struct held_upload *h;

	/* A full list was flushed when its last entry came. */
	if (s->held.n == 0 || len > sizeof(h->oack))
		return -1;
	h = &s->held.u[s->held.n++];
	h->fd = h->dirfd = -1;
	memcpy(h->oack, oack, len);
	h->oack_len = (uint16_t)len;
	return 0;
}

void
pipeline_drop(struct session *s)
{
	unsigned i;

	for (i = 0; i < s->held.n; i++) {
		if (s->held.u[i].fd == -1)
			continue;		/* an OACK */
		close(s->held.u[i].fd);		/* unnamed, it vanishes */
		close(s->held.u[i].dirfd);
	}
	s->held.n = s->held.files = 0;
}

/* Durable: one file alone as without the batch, several by one syncfs. */
static int
sync_batch(const struct held *b, int dirs)
{
	unsigned i = 0;

	while (b->u[i].fd == -1)	/* an OACK: a file comes first */
		i++;
	if (b->files == 1)
		return fsync(dirs ? b->u[i].dirfd : b->u[i].fd);
	return syncfs(b->u[i].fd);
}

/* The answer of a held entry that was published, or is an OACK. */
static enum serve_result
send_held(struct session *s, const struct held_upload *h)
{
	enum conn_status cs;

	if (h->fd == -1)
		cs = conn_send(&s->conn, h->oack, h->oack_len);
	else
		cs = conn_send_ack(&s->conn, h->block);
	return cs == CONN_OK ? SERVE_NEXT : session_conn_failed(s, cs);
}

/*
 * Section 5 for a batch: the data synced, each name linked (never
 * replacing: EEXIST is that file's ERR 6), the names synced, then the
 * answers in order.  A failed sync publishes nothing more: the first
 * file not published gets the closing ERR, and the rest no answer.
 */
enum serve_result
pipeline_flush(struct session *s)
{
	struct held b = s->held;
	enum serve_result r = SERVE_NEXT;
	int err[SERVER_HOLD_MAX * 2] = { 0 }, failed = 0;
	unsigned i;

	if (b.files == 0) {
		/* Never the case: an OACK is held only behind a file. */
		s->held.n = 0;
		return SERVE_NEXT;
	}
	s->held.n = s->held.files = 0;	/* answers may flush again: none */
	log_debug("Publishing %u uploads held for one sync", b.files);
	if (sync_batch(&b, 0) == -1)
		failed = errno;
	for (i = 0; i < b.n; i++)
		err[i] = b.u[i].fd == -1 ? 0 : failed != 0 ? failed :
		    serve_write_link(s->jail, b.u[i].fd, b.u[i].dirfd,
		    b.u[i].name) == 0 ? 0 : errno;
	if (failed == 0 && sync_batch(&b, 1) == -1) {
		/* The names may not last: taken back, and all fail. */
		failed = errno;
		for (i = 0; i < b.n; i++) {
			if (err[i] == 0 && b.u[i].fd != -1)
				(void)unlinkat(b.u[i].dirfd, b.u[i].name, 0);
			if (b.u[i].fd != -1)
				err[i] = failed;
		}
	}
	for (i = 0; i < b.n; i++) {
		if (r != SERVE_NEXT) {
			/* Never to be answered: never published either. */
			if (err[i] == 0 && b.u[i].fd != -1)
				(void)unlinkat(b.u[i].dirfd, b.u[i].name, 0);
			continue;
		}
		if (err[i] == 0)
			r = send_held(s, &b.u[i]);
		else if (err[i] == EEXIST)
			r = session_refuse(s, ERR_EXISTS,
			    "File already exists");
		else
			r = session_abort(s, ERR_UNDEFINED, "Write error: %s",
			    strerror(err[i]));
	}
	s->held = b;
	pipeline_drop(s);
	return r;
}
