/*
 * Options (protocol.md section 6, and the extensions of docs/protocol.md
 * section 9): the OPT handler, which sets what holds for the session's
 * next transfers within this server's limits, and the OACK that announces
 * a download's size (and, with stat, its attributes).
 */
#include <inttypes.h>
#include <stdio.h>

#include "log.h"
#include "session.h"

enum serve_result
session_announce(struct session *s, struct announce *a)
{
	uint8_t buf[PKT_OPCODE_LEN + OPT_BODY_MAX];
	enum conn_status cs;
	struct pkt p;
	ssize_t len;

	len = opts_encode_announce(buf, sizeof(buf), a);
	/* Pipelined, DAT 1 follows at once, in the same segment. */
	if (s->opts.pipeline)
		cs = conn_send_more(&s->conn, buf, (size_t)len);
	else
		cs = conn_send(&s->conn, buf, (size_t)len);
	if (cs != CONN_OK)
		return session_conn_failed(s, cs);
	if (s->opts.pipeline)
		return SERVE_NEXT;
	if ((cs = conn_recv(&s->conn, s->opts.blksize, &p)) != CONN_OK)
		return session_conn_failed(s, cs);
	if (p.op == PKT_ERR) {
		snprintf(s->req.result, sizeof(s->req.result),
		    "client sent ERR %u", p.u.err.code);
		return SERVE_CLOSE;
	}
	if (p.op != PKT_ACK || p.u.ack.block != 0)
		return session_abort(s, ERR_ILLEGAL,
		    "Illegal operation: expected ACK 0, got %s",
		    pkt_op_name(p.op));
	return SERVE_NEXT;
}

enum serve_result
serve_opt(struct session *s, const struct pkt *p)
{
	uint8_t buf[PKT_OPCODE_LEN + OPT_BODY_MAX];
	enum conn_status cs;
	char why[128];
	struct xfer_opts o;
	ssize_t len;

	if (opts_from_opt(p, SERVER_BLKSIZE_MAX, SERVER_WINDOWSIZE_MAX, &o,
	    why, sizeof(why)) == -1)
		return session_abort(s, ERR_OPTIONS,
		    "Option negotiation failed: %s", why);
	if (o.pipeline > SERVER_PIPELINE_MAX)
		o.pipeline = SERVER_PIPELINE_MAX;
	/* An upload's mode within this server's limits ("File attributes"). */
	o.mode = (o.mode & SERVER_UPLOAD_MODE_MASK) | SERVER_UPLOAD_MODE_MIN;
	/*
	 * Resumable uploads: only where parts are kept, with a digest to
	 * verify the whole, and without pipeline (docs/protocol.md).
	 */
	if ((o.named & OPT_RESUME) && (s->jail->parts.fd == -1 ||
	    !(s->rights & RIGHT_WRITE) || o.digest == DIGEST_NONE ||
	    (o.named & OPT_PIPELINE))) {
		o.named &= ~OPT_RESUME;
		o.resume = 0;
	}
	s->opts = o;
	log_debug("Options: blksize %u, windowsize %u, tsize %s, digest %s, "
	    "offset %" PRIu64 ", pipeline %u, stat %s, mtime %" PRIu64
	    ", mode %03o, resume %s", o.blksize, o.windowsize,
	    o.tsize ? "on" : "off", digest_name(o.digest), o.offset,
	    o.pipeline, o.stat ? "on" : "off", o.mtime, o.mode,
	    (o.named & OPT_RESUME) ? "on" : "off");
	/* The accepted values fit: at most ten short pairs. */
	len = opts_encode(buf, sizeof(buf), PKT_OACK, &o);
	if (len == -1)
		return SERVE_CLOSE;
	/*
	 * Behind held uploads, still pipelining: the OACK waits its turn
	 * with them, and the OPT before each upload costs no sync.
	 */
	if (o.pipeline && pipeline_hold_oack(s, buf, (size_t)len) == 0)
		return SERVE_NEXT;
	if (pipeline_flush(s) != SERVE_NEXT)
		return SERVE_CLOSE;
	/*
	 * A client that sent its request with the OPT (as ours does) has its
	 * answer written at once: the OACK goes out in the same segment.
	 */
	if (conn_packet_ready(&s->conn))
		cs = conn_send_more(&s->conn, buf, (size_t)len);
	else
		cs = conn_send(&s->conn, buf, (size_t)len);
	if (cs != CONN_OK)
		return session_conn_failed(s, cs);
	return SERVE_NEXT;
}
