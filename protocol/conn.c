/*
 * Framed packet I/O (see conn.h).  System calls are retried on EINTR only
 * when the owner's hook says so, because an interruption may be the idle
 * alarm or the user's Ctrl-C rather than noise (style.md section 3).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "conn.h"
#include "fdio.h"
#include "tls.h"

/* Room for two of the longest packets, so a full one always fits. */
#define RBUF_LEN	(2 * PKT_MAX_LEN)
/* TLS sends: small pieces gathered into one record (tls_sendv). */
#define WBUF_LEN	16384
#define TLS_COPY_MAX	2048

static int	interrupted(struct conn *);
static enum conn_status sendv_flags(struct conn *, struct iovec *, int, int);
static void	wait_begin(struct conn *);
static int	peer_reading(struct conn *);
static int	on_eintr(struct conn *);
static void	compact(struct conn *);
static int	retry(struct conn *, enum conn_status *);
static ssize_t	tls_poll_recv(struct conn *, void *, size_t);
static enum conn_status tls_sendv(struct conn *, struct iovec *, int, int);
static enum conn_status tls_write_all(struct conn *, const uint8_t *,
		    size_t);
static enum conn_status tls_flush(struct conn *);
static int	tls_send_nowait(struct conn *, const void *, size_t);

int
conn_init(struct conn *c, int fd, const struct conn_hooks *hooks,
    void *hooks_ctx)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->hooks = hooks;
	c->hooks_ctx = hooks_ctx;
	c->rcap = RBUF_LEN;
	c->poll.us = conn_poll_us();
	if ((c->rbuf = malloc(c->rcap)) == NULL)
		return -1;
	return 0;
}

void
conn_free(struct conn *c)
{
	free(c->rbuf);
	c->rbuf = NULL;
	if (c->tls != NULL) {
		tls_close(c->tls);
		c->tls = NULL;
		free(c->wbuf);
		c->wbuf = NULL;
	}
}

static void
wait_begin(struct conn *c)
{
	c->outq = -1;		/* not looked at yet in this wait */
	if (c->hooks != NULL && c->hooks->wait_begin != NULL)
		c->hooks->wait_begin(c->hooks_ctx);
}

static int
interrupted(struct conn *c)
{
	if (c->hooks != NULL && c->hooks->interrupted != NULL)
		return c->hooks->interrupted(c->hooks_ctx);
	return 0;
}

/*
 * 1 when our send queue has shrunk since the last look in this wait: the
 * peer's receive side is taking our bytes, so it is making progress even
 * though no packet of its own has come (issue 13, finding 3: after a
 * window, the peer can only ACK once it has read the whole window, which
 * a slow link needs longer than the idle timeout for).  SIOCOUTQ counts
 * the bytes sent but not yet acknowledged by the peer's TCP; it falls as
 * the peer reads and stays put when the peer stops.  Looked at only when
 * a wait is interrupted (the owner's tick), never per packet.
 */
static int
peer_reading(struct conn *c)
{
	int q, was = c->outq;

	if (ioctl(c->fd, SIOCOUTQ, &q) == -1)
		return 0;
	c->outq = q;
	return was >= 0 && q < was;
}

/*
 * A wait was interrupted.  A peer reading what we sent restarts the
 * owner's clock, as a new wait would; then the owner says whether to go
 * on (0) or stop (a conn_status).
 */
static int
on_eintr(struct conn *c)
{
	if (peer_reading(c) && c->hooks != NULL &&
	    c->hooks->wait_begin != NULL)
		c->hooks->wait_begin(c->hooks_ctx);
	return interrupted(c);
}

/*
 * A call failed with errno: 1 to make it again (an interruption the
 * owner lets pass), or 0 with the status to return in *st.
 */
static int
retry(struct conn *c, enum conn_status *st)
{
	int stop;

	if (errno == EINTR) {
		if ((stop = on_eintr(c)) == 0)
			return 1;
		*st = (enum conn_status)stop;
		return 0;
	}
	c->err = errno;
	*st = CONN_IO;
	return 0;
}

/* Moves the unread bytes to the front of the buffer. */
static void
compact(struct conn *c)
{
	memmove(c->rbuf, c->rbuf + c->rstart, c->rend - c->rstart);
	c->rend -= c->rstart;
	c->rstart = 0;
}

void
conn_hold(struct conn *c)
{
	c->held = 1;
}

void
conn_release(struct conn *c)
{
	c->held = 0;
	compact(c);
}

int
conn_reserve(struct conn *c, size_t len)
{
	uint8_t *bigger;

	if (len <= c->rcap)
		return 0;
	if ((bigger = realloc(c->rbuf, len)) == NULL)
		return -1;
	c->rbuf = bigger;
	c->rcap = len;
	return 0;
}

int
conn_pending(const struct conn *c)
{
	return c->rend > c->rstart || (c->tls != NULL && tls_pending(c->tls));
}

int
conn_packet_ready(const struct conn *c)
{
	struct pkt p;
	size_t used;

	return c->rend > c->rstart &&
	    pkt_decode_ext(c->rbuf + c->rstart, c->rend - c->rstart,
	    BLKSIZE_MAX, c->exts, &p, &used) != PKT_INCOMPLETE;
}

int
conn_pending_op(const struct conn *c)
{
	if (c->rend - c->rstart < PKT_OPCODE_LEN)
		return -1;
	return c->rbuf[c->rstart] << 8 | c->rbuf[c->rstart + 1];
}

/*
 * conn_poll_recv's policy over TLS: bytes OpenSSL holds, or a socket
 * readable now, are read at once; otherwise the same poll, then a
 * blocking read.
 */
static ssize_t
tls_poll_recv(struct conn *c, void *buf, size_t len)
{
	struct conn_poll *cp = &c->poll;
	struct pollfd pfd = { c->fd, POLLIN, 0 };

	if (cp->us == 0 || cp->skip > 0) {
		if (cp->skip > 0)
			cp->skip--;
	} else if (!tls_pending(c->tls) && poll(&pfd, 1, 0) == 0 &&
	    conn_poll_spin(c->fd, cp) == -1)
		return -1;
	return tls_read(c->tls, buf, len, &c->tls_why);
}

enum conn_status
conn_recv(struct conn *c, size_t max_data, struct pkt *p)
{
	enum pkt_status st;
	size_t used;
	ssize_t n;
	enum conn_status cs;
	int waited = 0;

	for (;;) {
		if (c->rend > c->rstart) {
			st = pkt_decode_ext(c->rbuf + c->rstart,
			    c->rend - c->rstart, max_data, c->exts, p, &used);
			if (st == PKT_OK) {
				c->rstart += used;
				if (c->rstart == c->rend && !c->held)
					c->rstart = c->rend = 0;
				return CONN_OK;
			}
			if (st != PKT_INCOMPLETE) {
				c->bad = st;
				return CONN_MALFORMED;
			}
		}
		/* Keep room for the longest packet after its first byte. */
		if (c->rcap - c->rstart < PKT_MAX_LEN) {
			if (c->held)
				return CONN_FULL;
			compact(c);
		}
		if (!waited) {
			wait_begin(c);
			waited = 1;
		}
		/*
		 * What conn_send_more left in wbuf goes out before a wait
		 * for the peer, who may be waiting for it (an OACK before
		 * DAT 1 of an upload): TCP's MSG_MORE holds bytes 200 ms at
		 * most, wbuf would hold them until the next send.
		 */
		if (c->tls != NULL && c->wlen > 0 && !tls_pending(c->tls) &&
		    (cs = tls_flush(c)) != CONN_OK)
			return cs;
		if (c->tls == NULL)
			n = conn_poll_recv(c->fd, c->rbuf + c->rend,
			    c->rcap - c->rend, &c->poll);
		else
			n = tls_poll_recv(c, c->rbuf + c->rend,
			    c->rcap - c->rend);
		if (n > 0) {
			c->rend += (size_t)n;
			continue;
		}
		if (n == 0)
			return c->rend > c->rstart ? CONN_TRUNCATED : CONN_EOF;
		if (!retry(c, &cs))
			return cs;
	}
}

enum conn_status
conn_sendv(struct conn *c, struct iovec *iov, int iovcnt)
{
	return sendv_flags(c, iov, iovcnt, 0);
}

static enum conn_status
sendv_flags(struct conn *c, struct iovec *iov, int iovcnt, int flags)
{
	struct msghdr msg;
	ssize_t n;
	enum conn_status cs;
	int waited = 0;

	if (c->tls != NULL)
		return tls_sendv(c, iov, iovcnt, flags & MSG_MORE);
	while (iovcnt > 0 && iov->iov_len == 0) {
		iov++;
		iovcnt--;
	}
	while (iovcnt > 0) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)iovcnt;
		/* MSG_NOSIGNAL: a vanished peer is EPIPE, never SIGPIPE. */
		n = sendmsg(c->fd, &msg,
		    MSG_NOSIGNAL | flags | (waited ? 0 : MSG_DONTWAIT));
		if (n < 0) {
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    !waited) {
				wait_begin(c);
				waited = 1;
				continue;
			}
			if (!retry(c, &cs))
				return cs;
			continue;
		}
		fdio_iov_consume(&iov, &iovcnt, (size_t)n);
	}
	return CONN_OK;
}

/*
 * Writes buf[0..len) whole into TLS records.  The socket blocks, so the
 * owner's clock starts with the write, and each interruption asks the
 * owner as sendmsg's do.
 */
static enum conn_status
tls_write_all(struct conn *c, const uint8_t *buf, size_t len)
{
	enum conn_status cs;
	size_t done = 0;
	ssize_t n;

	wait_begin(c);
	while (done < len) {
		n = tls_write(c->tls, buf + done, len - done, &c->tls_why);
		if (n > 0)
			done += (size_t)n;
		else if (!retry(c, &cs))
			return cs;
	}
	return CONN_OK;
}

/* Writes what wbuf holds, and sends the records out. */
static enum conn_status
tls_flush(struct conn *c)
{
	enum conn_status cs;

	if (c->wlen > 0 && (cs = tls_write_all(c, c->wbuf, c->wlen)) !=
	    CONN_OK)
		return cs;
	c->wlen = 0;
	while (tls_push(c->tls) == -1)
		if (!retry(c, &cs))
			return cs;
	return CONN_OK;
}

/*
 * A gather list over TLS.  Small pieces (a DAT's header, an ACK) are
 * copied into wbuf, so that they share a record instead of costing 22
 * bytes and an encryption each; a large piece (a block's data) is written
 * where it lies, after what wbuf holds, without a copy.  The records go
 * out when the list is done (tls_push).  more: leave wbuf's bytes for the
 * send that follows (MSG_MORE).
 */
static enum conn_status
tls_sendv(struct conn *c, struct iovec *iov, int iovcnt, int more)
{
	enum conn_status st;
	size_t len;
	int i;

	for (i = 0; i < iovcnt; i++) {
		len = iov[i].iov_len;
		if (len > TLS_COPY_MAX || c->wlen + len > WBUF_LEN) {
			if (c->wlen > 0 && (st = tls_write_all(c, c->wbuf,
			    c->wlen)) != CONN_OK)
				return st;
			c->wlen = 0;
		}
		if (len > TLS_COPY_MAX) {
			if ((st = tls_write_all(c, iov[i].iov_base, len)) !=
			    CONN_OK)
				return st;
			continue;
		}
		memcpy(c->wbuf + c->wlen, iov[i].iov_base, len);
		c->wlen += len;
	}
	return more ? CONN_OK : tls_flush(c);
}

enum conn_status
conn_tls_start(struct conn *c, struct ssl_st *ssl)
{
	enum conn_status cs;

	c->tls = ssl;
	c->wlen = 0;
	if ((c->wbuf = malloc(WBUF_LEN)) == NULL) {
		c->err = ENOMEM;
		return CONN_IO;
	}
	wait_begin(c);
	while (tls_handshake(ssl, &c->tls_why) == -1)
		if (!retry(c, &cs))
			return cs;
	return CONN_OK;
}

static enum conn_status
send_flags(struct conn *c, const void *buf, size_t len, int flags)
{
	/* sendmsg does not write through iov_base; only the type is const. */
	union {
		const void *in;
		void *out;
	} u = { .in = buf };
	struct iovec iov = { u.out, len };

	return sendv_flags(c, &iov, 1, flags);
}

enum conn_status
conn_send(struct conn *c, const void *buf, size_t len)
{
	return send_flags(c, buf, len, 0);
}

enum conn_status
conn_send_more(struct conn *c, const void *buf, size_t len)
{
	return send_flags(c, buf, len, MSG_MORE);
}

enum conn_status
conn_send_ack(struct conn *c, uint16_t block)
{
	uint8_t buf[PKT_ACK_LEN];

	pkt_encode_ack(buf, sizeof(buf), block);
	return conn_send(c, buf, sizeof(buf));
}

/*
 * Requests ahead over TLS: at most what fits in TLS's write buffer as one
 * record, so that the write never waits and never stops inside a record
 * (which OpenSSL would have retried with the same bytes); then the buffer
 * goes out as far as the socket takes it at once.  Bytes that conn_send_more
 * keeps come first, so then nothing is taken.
 */
static ssize_t
tls_send_ahead(struct conn *c, const void *buf, size_t len)
{
	size_t room = tls_write_room(c->tls);
	ssize_t n;
	int flags;

	if (c->wlen > 0 || room == 0)
		return 0;
	if (len > room)
		len = room;
	if (len > SSL3_RT_MAX_PLAIN_LENGTH)
		len = SSL3_RT_MAX_PLAIN_LENGTH;
	if ((n = tls_write(c->tls, buf, len, &c->tls_why)) == -1) {
		c->err = errno;
		return -1;
	}
	if ((flags = fcntl(c->fd, F_GETFL)) == -1 ||
	    fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		c->err = errno;
		return -1;
	}
	/* What the socket does not take now, conn_send_pending sends. */
	(void)tls_push(c->tls);
	(void)fcntl(c->fd, F_SETFL, flags);
	return n;
}

ssize_t
conn_send_ahead(struct conn *c, const void *buf, size_t len)
{
	ssize_t n;

	if (c->tls != NULL)
		return tls_send_ahead(c, buf, len);
	do
		n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n == -1)
		c->err = errno;
	return n;
}

enum conn_status
conn_send_pending(struct conn *c)
{
	return c->tls != NULL ? tls_flush(c) : CONN_OK;
}

/*
 * The last words over TLS: written with the socket made non-blocking for
 * the one call, so that they never wait; whatever wbuf held goes first.
 */
static int
tls_send_nowait(struct conn *c, const void *buf, size_t len)
{
	size_t done;
	int flags, ok;
	ssize_t n = 0;

	if ((flags = fcntl(c->fd, F_GETFL)) == -1 ||
	    fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	if (c->wlen + len <= WBUF_LEN) {
		memcpy(c->wbuf + c->wlen, buf, len);
		c->wlen += len;
	}
	for (done = 0; done < c->wlen; done += (size_t)n)
		if ((n = tls_write(c->tls, c->wbuf + done, c->wlen - done,
		    &c->tls_why)) == -1 && errno != EINTR)
			break;
		else if (n == -1)
			n = 0;
	ok = done == c->wlen && tls_push(c->tls) == 0;
	c->wlen = 0;
	(void)fcntl(c->fd, F_SETFL, flags);
	return ok ? 0 : -1;
}

int
conn_send_err_nowait(struct conn *c, uint16_t code, const char *msg)
{
	uint8_t buf[PKT_ERR_HDR_LEN + ERRMSG_LEN_MAX + 1];
	ssize_t len, n;

	if ((len = pkt_encode_err(buf, sizeof(buf), code, msg)) == -1)
		return -1;
	if (c->tls != NULL)
		return tls_send_nowait(c, buf, (size_t)len);
	do
		n = send(c->fd, buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	return n == len ? 0 : -1;
}

const char *
conn_status_str(const struct conn *c, enum conn_status st)
{
	switch (st) {
	case CONN_OK:
		return "success";
	case CONN_EOF:
		return "connection closed by peer";
	case CONN_TRUNCATED:
		return "connection closed inside a packet";
	case CONN_MALFORMED:
		return pkt_status_str(c->bad);
	case CONN_IO:
		if (c->err == EPROTO && c->tls_why != NULL)
			return c->tls_why;
		return strerror(c->err);
	case CONN_TIMEOUT:
		return "timed out";
	case CONN_INTERRUPTED:
		return "interrupted";
	case CONN_FULL:
		return "receive buffer full";
	}
	return "unknown error";
}
