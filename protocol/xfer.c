/*
 * The transfer engine (see xfer.h).
 *
 * Sending reads the source in large pieces into a staging buffer and puts
 * each DAT on the wire as a header plus a slice of that buffer, gathered
 * with the other blocks of the window into one sendmsg: no copy, no
 * allocation per block, one system call per batch (issue 5).  Receiving
 * leaves the blocks where they arrived, in the conn's held buffer, and
 * hands the sink a stage's worth at once as a gather list: the data is
 * copied once, from the socket, and once more, into the file (issue 14).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xfer.h"

/*
 * Source reads and sink writes: two blocks of the largest size.  Measured
 * on a GiB download, 128 KiB beats 256 KiB by a fifth (64 and 192 KiB do
 * no better): what is read, hashed and sent, or received, hashed and
 * written, stays in the CPU's cache between the passes.
 */
#define STAGE_LEN	(128 * 1024)
#define BATCH_BLOCKS	64		/* DATs gathered into one sendmsg */
/* A receiver holds a stage's worth in the conn's buffer, at most
 * RECV_PIECES blocks, before the sink writes them. */
#define HOLD_LEN	(STAGE_LEN + PKT_MAX_LEN)
#define RECV_PIECES	256
/*
 * Progress, and with it the owner's chance to stop (a Ctrl-C while data
 * flows interrupts no wait), comes every window and at least every
 * PROGRESS_LEN bytes' worth of blocks (by block number): a large window,
 * which a link with latency needs, must not leave the bar still or
 * Ctrl-C unheard for hundreds of MiB.
 */
#define PROGRESS_LEN	(2 * 1024 * 1024)

struct sender {
	struct conn *c;
	uint8_t *stage;
	size_t cap, start, end;		/* unsent data: stage[start..end) */
	int eof;
	uint8_t hdr[BATCH_BLOCKS][PKT_DAT_HDR_LEN];
	struct iovec iov[2 * BATCH_BLOCKS + 1];	/* + the SUM */
	int nblocks;
	int with_sum;			/* iov[2 * nblocks] is the SUM */
	struct digest *digest;
	uint8_t sum[PKT_OPCODE_LEN + SUM_BODY_MAX];
};

static int	fill_stage(struct sender *, xfer_read_fn, void *, size_t,
		    struct xfer_result *);
static enum xfer_status flush_batch(struct sender *, struct xfer_result *);
static enum xfer_status wait_ack(struct conn *, uint16_t,
		    struct xfer_result *);
static int	add_sum(struct sender *, struct xfer_result *);
static enum xfer_status check_sum(struct conn *, const struct xfer_params *,
		    struct xfer_result *);
static enum xfer_status unexpected(struct conn *, enum conn_status,
		    const struct pkt *, const char *, struct xfer_result *);
static int	stopped(const struct xfer_params *, struct xfer_result *,
		    int);
static unsigned	progress_blocks(const struct xfer_params *);
struct receiver;
static void	hold_stage(struct conn *);
static int	restage(struct conn *, struct receiver *);
static int	store(struct receiver *);
static int	take(struct receiver *, const uint8_t *, size_t);
static enum xfer_status send_ack(struct conn *, uint16_t,
		    struct xfer_result *);
static int	in_order(const struct pkt *, uint16_t, struct xfer_result *);
static struct receiver *receiver_new(xfer_write_fn, void *,
		    struct xfer_result *);
static enum xfer_status window_ack(struct conn *, const struct xfer_params *,
		    unsigned *, int, uint16_t, struct xfer_result *);
static int	end_recv(struct conn *, const struct xfer_params *,
		    struct receiver *, xfer_finish_fn, uint16_t,
		    struct xfer_result *);

/*
 * Reports progress; 1 when the owner asked to stop.  After the final
 * block the transfer is complete and a late request to stop is moot.
 */
static int
stopped(const struct xfer_params *xp, struct xfer_result *res, int last)
{
	if (xp->progress == NULL ||
	    xp->progress(xp->progress_ctx, res->bytes) == 0 || last)
		return 0;
	res->conn_status = CONN_INTERRUPTED;
	res->status = XFER_CONN;
	return 1;
}

/* Blocks between two progress reports: a window, or PROGRESS_LEN's. */
static unsigned
progress_blocks(const struct xfer_params *xp)
{
	size_t n = PROGRESS_LEN / xp->blksize;

	if (n == 0)
		n = 1;
	return n < xp->windowsize ? (unsigned)n : xp->windowsize;
}

static void
result_init(struct xfer_result *res)
{
	memset(res, 0, sizeof(*res));
}

/*
 * Classifies what arrived instead of the packet we wanted: a failed
 * connection, the peer's ERR, or a violation that costs ERR 4 (or the
 * code the codec names for a malformed packet).
 */
static enum xfer_status
unexpected(struct conn *c, enum conn_status cs, const struct pkt *p,
    const char *wanted, struct xfer_result *res)
{
	if ((cs == CONN_MALFORMED || cs == CONN_TRUNCATED) &&
	    conn_pending_op(c) == PKT_ERR) {
		/* A broken ERR still ends the transfer unanswered. */
		res->errcode = ERR_UNDEFINED;
		snprintf(res->msg, sizeof(res->msg), "malformed ERR");
		return res->status = XFER_PEER_ERR;
	}
	if (cs == CONN_MALFORMED) {
		res->errcode = pkt_status_errcode(c->bad);
		snprintf(res->msg, sizeof(res->msg), "%s",
		    pkt_status_str(c->bad));
		return res->status = XFER_VIOLATION;
	}
	if (cs != CONN_OK) {
		res->conn_status = cs;
		return res->status = XFER_CONN;
	}
	if (p->op == PKT_ERR) {
		res->errcode = p->u.err.code;
		snprintf(res->msg, sizeof(res->msg), "%s", p->u.err.msg);
		return res->status = XFER_PEER_ERR;
	}
	res->errcode = ERR_ILLEGAL;
	snprintf(res->msg, sizeof(res->msg), "expected %s, got %s", wanted,
	    pkt_op_name(p->op));
	return res->status = XFER_VIOLATION;
}

/*
 * Makes at least want bytes available in the stage unless the source ends
 * first.  Only called with no batch pending, as it moves the bytes.
 */
static int
fill_stage(struct sender *s, xfer_read_fn read, void *ctx, size_t want,
    struct xfer_result *res)
{
	ssize_t n;

	if (s->end - s->start >= want || s->eof)
		return 0;
	memmove(s->stage, s->stage + s->start, s->end - s->start);
	s->end -= s->start;
	s->start = 0;
	while (s->end < s->cap && !s->eof) {
		n = read(ctx, s->stage + s->end, s->cap - s->end);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			res->sys_errno = errno;
			res->status = XFER_SOURCE;
			return -1;
		}
		if (n == 0)
			s->eof = 1;
		if (s->digest != NULL)
			digest_update(s->digest, s->stage + s->end, (size_t)n);
		s->end += (size_t)n;
	}
	return 0;
}

static enum xfer_status
flush_batch(struct sender *s, struct xfer_result *res)
{
	enum conn_status cs;

	if (s->nblocks == 0 && !s->with_sum)
		return XFER_OK;
	cs = conn_sendv(s->c, s->iov, 2 * s->nblocks + s->with_sum);
	s->nblocks = 0;
	s->with_sum = 0;
	if (cs != CONN_OK) {
		res->conn_status = cs;
		return res->status = XFER_CONN;
	}
	return XFER_OK;
}

static enum xfer_status
wait_ack(struct conn *c, uint16_t block, struct xfer_result *res)
{
	enum conn_status cs;
	struct pkt p;

	cs = conn_recv(c, 0, &p);
	if (cs != CONN_OK || p.op != PKT_ACK)
		return unexpected(c, cs, &p, "ACK", res);
	if (p.u.ack.block != block) {
		/* Over TCP nothing is lost or repeated (section 7). */
		res->errcode = ERR_ILLEGAL;
		snprintf(res->msg, sizeof(res->msg),
		    "ACK for block %u, expected %u", p.u.ack.block, block);
		return res->status = XFER_VIOLATION;
	}
	return XFER_OK;
}

/* Puts the SUM behind the batch that holds the final DAT. */
static int
add_sum(struct sender *s, struct xfer_result *res)
{
	char hex[DIGEST_HEX_MAX + 1];
	ssize_t len;

	digest_final(s->digest, hex);
	len = pkt_encode_sum(s->sum, sizeof(s->sum), digest_name(
	    s->digest->alg), hex);
	if (len == -1) {
		res->sys_errno = EINVAL;
		res->status = XFER_SOURCE;
		return -1;
	}
	s->iov[2 * s->nblocks].iov_base = s->sum;
	s->iov[2 * s->nblocks].iov_len = (size_t)len;
	s->with_sum = 1;
	return 0;
}

/*
 * After the final DAT, with a digest in force: the next packet must be a
 * SUM (anything else is ERR 4), and it must match (ERR 10).  A SUM is
 * judged as a whole: another algorithm than the one in force, or another
 * digest, is a mismatch.
 */
static enum xfer_status
check_sum(struct conn *c, const struct xfer_params *xp,
    struct xfer_result *res)
{
	char hex[DIGEST_HEX_MAX + 1];
	enum conn_status cs;
	struct pkt p;

	digest_final(xp->digest, hex);
	cs = conn_recv(c, xp->blksize, &p);
	if (cs != CONN_OK || p.op != PKT_SUM)
		return unexpected(c, cs, &p, "SUM", res);
	if (strcasecmp(p.u.sum.alg, digest_name(xp->digest->alg)) != 0 ||
	    strcmp(p.u.sum.digest, hex) != 0) {
		res->errcode = ERR_INTEGRITY;
		snprintf(res->msg, sizeof(res->msg), "%s digest mismatch",
		    digest_name(xp->digest->alg));
		return res->status = XFER_INTEGRITY;
	}
	return XFER_OK;
}

enum xfer_status
xfer_send(struct conn *c, const struct xfer_params *xp, xfer_read_fn read,
    void *read_ctx, struct xfer_result *res)
{
	struct sender *s;
	uint16_t block = 0;
	unsigned inwin, every = progress_blocks(xp);
	size_t n;
	int last = 0;

	result_init(res);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		res->sys_errno = errno;
		return res->status = XFER_SOURCE;
	}
	s->c = c;
	s->digest = xp->digest;
	/*
	 * A whole number of blocks, and at least one; no more than a known
	 * source needs, so a small file costs no large allocation (a session
	 * per small file is the session-rate row of issue 5).
	 */
	s->cap = STAGE_LEN < xp->blksize ? xp->blksize :
	    STAGE_LEN - STAGE_LEN % xp->blksize;
	if (xp->size_hint > 0 && xp->size_hint < s->cap)
		s->cap = ((size_t)xp->size_hint + xp->blksize - 1) /
		    xp->blksize * xp->blksize;
	if ((s->stage = malloc(s->cap)) == NULL) {
		res->sys_errno = errno;
		res->status = XFER_SOURCE;
		goto out;
	}
	while (!last) {
		for (inwin = 0; inwin < xp->windowsize && !last; inwin++) {
			if (s->end - s->start < xp->blksize && !s->eof) {
				if (flush_batch(s, res) != XFER_OK ||
				    fill_stage(s, read, read_ctx, xp->blksize,
				    res) == -1)
					goto out;
			}
			n = s->end - s->start;
			if (n >= xp->blksize)
				n = xp->blksize;
			else
				last = 1;	/* short, maybe empty: the end */
			block++;	/* wraps from 65535 to 0 (section 4) */
			pkt_put_dat_header(s->hdr[s->nblocks], block,
			    (uint16_t)n);
			s->iov[2 * s->nblocks].iov_base = s->hdr[s->nblocks];
			s->iov[2 * s->nblocks].iov_len = PKT_DAT_HDR_LEN;
			s->iov[2 * s->nblocks + 1].iov_base =
			    s->stage + s->start;
			s->iov[2 * s->nblocks + 1].iov_len = n;
			s->nblocks++;
			s->start += n;
			res->bytes += n;
			if (last && s->digest != NULL && add_sum(s, res) == -1)
				goto out;
			if (s->nblocks == BATCH_BLOCKS &&
			    flush_batch(s, res) != XFER_OK)
				goto out;
			/* Within a window; its end reports below. */
			if (block % every == 0 && inwin + 1 < xp->windowsize &&
			    stopped(xp, res, last))
				goto out;
		}
		if (flush_batch(s, res) != XFER_OK ||
		    (!xp->pipelined && wait_ack(c, block, res) != XFER_OK) ||
		    stopped(xp, res, last))
			goto out;
	}
	res->final_block = block;
	res->status = XFER_OK;
out:
	free(s->stage);
	free(s);
	return res->status;
}

/*
 * The receiving side's data not yet handed to the sink: pieces of held
 * DAT packets in the conn's buffer (conn_hold), in order.
 */
struct receiver {
	struct iovec iov[RECV_PIECES];
	int n;
	xfer_write_fn write;
	void *ctx;
};

/*
 * Holds the conn's buffer, grown to a stage's worth first; without the
 * memory to grow, it stays as it is: fewer bytes a write.
 */
static void
hold_stage(struct conn *c)
{
	(void)conn_reserve(c, HOLD_LEN);
	conn_hold(c);
}

/* Held DATs stored, and the buffer held again: it filled up. */
static int
restage(struct conn *c, struct receiver *r)
{
	if (store(r) == -1)
		return -1;
	conn_release(c);
	conn_hold(c);
	return 0;
}

/* Hands the pieces to the sink.  0, or -1 with errno. */
static int
store(struct receiver *r)
{
	int n = r->n;

	r->n = 0;
	return n > 0 ? r->write(r->ctx, r->iov, n) : 0;
}

/* Adds a piece; a full list is stored first.  0, or -1 with errno. */
static int
take(struct receiver *r, const uint8_t *data, size_t len)
{
	/* iov_base is not const: writev only reads through it. */
	union {
		const uint8_t *in;
		void *out;
	} u = { .in = data };

	if (len == 0)
		return 0;
	if (r->n == RECV_PIECES && store(r) == -1)
		return -1;
	r->iov[r->n].iov_base = u.out;
	r->iov[r->n].iov_len = len;
	r->n++;
	return 0;
}

/* Sends ACK block; XFER_OK, or XFER_CONN with the conn's status. */
static enum xfer_status
send_ack(struct conn *c, uint16_t block, struct xfer_result *res)
{
	enum conn_status cs;

	if ((cs = conn_send_ack(c, block)) != CONN_OK) {
		res->conn_status = cs;
		return res->status = XFER_CONN;
	}
	return XFER_OK;
}

/* A receiver for the sink, or NULL with res saying why. */
static struct receiver *
receiver_new(xfer_write_fn write, void *ctx, struct xfer_result *res)
{
	struct receiver *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		res->sys_errno = errno;
		res->status = XFER_SINK;
		return NULL;
	}
	r->write = write;
	r->ctx = ctx;
	return r;
}

/*
 * Counts a DAT into its window and, at the window's end, sends its ACK
 * before the data is stored, so the sender's next window overlaps our
 * disk work (a store that fails later still ends the transfer with ERR).
 * No window is acknowledged in a pipeline, nor the final block here.
 */
static enum xfer_status
window_ack(struct conn *c, const struct xfer_params *xp, unsigned *inwin,
    int last, uint16_t block, struct xfer_result *res)
{
	if (last || ++*inwin != xp->windowsize)
		return XFER_OK;
	*inwin = 0;
	return xp->pipelined ? XFER_OK : send_ack(c, block, res);
}

/* 1 when the DAT is the block expected; else 0, a violation. */
static int
in_order(const struct pkt *p, uint16_t expect, struct xfer_result *res)
{
	if (p->u.dat.block == expect)
		return 1;
	res->errcode = ERR_ILLEGAL;
	snprintf(res->msg, sizeof(res->msg), "DAT block %u, expected %u",
	    p->u.dat.block, expect);
	res->status = XFER_VIOLATION;
	return 0;
}

/*
 * After the final DAT: its data stored (the SUM may land where it was),
 * the SUM checked, the sink finished (section 5: durable before the last
 * ACK), then that ACK.  0 with res->status set, or -1 when the sink
 * failed, with errno.
 */
static int
end_recv(struct conn *c, const struct xfer_params *xp, struct receiver *r,
    xfer_finish_fn finish, uint16_t block, struct xfer_result *res)
{
	if (store(r) == -1)
		return -1;
	conn_release(c);
	if (xp->digest != NULL && check_sum(c, xp, res) != XFER_OK)
		return 0;
	res->sum_left = 0;
	if (finish != NULL && finish(r->ctx) == -1)
		return -1;
	res->final_block = block;
	/* Pipelined, the one ACK is the caller's to send, in its order. */
	if (!xp->pipelined && send_ack(c, block, res) != XFER_OK)
		return 0;
	stopped(xp, res, 1);
	res->status = XFER_OK;
	return 0;
}

/*
 * The data is written from where it was received, not copied out: the
 * conn's buffer is held so that nothing moves until stored.  A caller's
 * first packet was read before: stored on its own before the buffer may
 * move.
 */
enum xfer_status
xfer_recv(struct conn *c, const struct xfer_params *xp,
    const struct pkt *first, xfer_write_fn write, xfer_finish_fn finish,
    void *sink_ctx, struct xfer_result *res)
{
	struct receiver *r;
	enum conn_status cs;
	struct pkt p;
	uint16_t expect = 1;
	unsigned inwin = 0, every = progress_blocks(xp);
	int last;

	result_init(res);
	if ((r = receiver_new(write, sink_ctx, res)) == NULL)
		return res->status;
	if (first == NULL)
		hold_stage(c);
	/* Until a DAT is read, all of the transfer is unread. */
	res->next_block = expect;
	res->dats_left = 1;
	res->sum_left = xp->digest != NULL;
	for (;;) {
		if (first != NULL) {
			p = *first;
			cs = CONN_OK;
		} else if ((cs = conn_recv(c, xp->blksize, &p)) == CONN_FULL) {
			if (restage(c, r) == -1)
				goto sink_failed;
			continue;
		}
		if (cs != CONN_OK || p.op != PKT_DAT) {
			unexpected(c, cs, &p, "DAT", res);
			break;
		}
		if (!in_order(&p, expect, res))
			break;
		last = p.u.dat.size < xp->blksize;
		if (xp->digest != NULL)
			digest_update(xp->digest, p.u.dat.data, p.u.dat.size);
		if (window_ack(c, xp, &inwin, last, expect, res) != XFER_OK)
			break;
		/* From here a sink failure leaves this DAT read. */
		res->next_block = (uint16_t)(expect + 1);
		res->dats_left = !last;
		if (take(r, p.u.dat.data, p.u.dat.size) == -1)
			goto sink_failed;
		res->bytes += p.u.dat.size;
		if (first != NULL) {
			first = NULL;
			if (store(r) == -1)
				goto sink_failed;
			if (!last)
				hold_stage(c);
		}
		if (last) {
			if (end_recv(c, xp, r, finish, expect, res) == -1)
				goto sink_failed;
			break;
		}
		if (expect % every == 0 && stopped(xp, res, last))
			break;
		expect++;
	}
	/*
	 * What arrived in order before a failure is handed over all the
	 * same, so a sink that keeps a partial file (the client's get -a)
	 * holds every byte received.  Its own failure changes nothing.
	 */
	if (res->status != XFER_OK)
		(void)store(r);
	goto done;
sink_failed:
	res->sys_errno = errno;
	res->status = XFER_SINK;
done:
	conn_release(c);
	free(r);
	return res->status;
}
