/*
 * Framed packet I/O over a connected stream socket.
 *
 * conn owns the socket's byte stream (or, after conn_tls_start, the TLS
 * stream over it, through tls.c): it cuts it into packets with the codec
 * and writes whole packets.  How long a wait may last is not its
 * business: before it blocks it calls the owner's wait_begin hook (the
 * server arms SIGALRM there), and when a call is interrupted it asks the
 * owner's interrupted hook whether to go on.  One thing it does judge: a
 * wait during which the peer keeps taking our sent bytes (the socket's
 * send queue shrinks) is progress, and it calls wait_begin again, so the
 * owner's clock restarts (conn.c, peer_reading).
 */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "conn_poll.h"
#include "packet.h"

enum conn_status {
	CONN_OK = 0,
	CONN_EOF,		/* the peer closed at a packet boundary */
	CONN_TRUNCATED,		/* the peer closed inside a packet */
	CONN_MALFORMED,		/* the bytes break a rule of section 2 */
	CONN_IO,		/* a system call failed; errno in conn.err */
	CONN_TIMEOUT,		/* returned by the owner's interrupted hook */
	CONN_INTERRUPTED,	/* likewise: the user asked to stop */
	CONN_FULL,		/* held bytes fill the buffer (conn_hold) */
};

struct conn_hooks {
	/*
	 * About to block waiting for a packet or for room to send one; also
	 * called again mid-wait when the peer is reading what we sent.
	 */
	void	(*wait_begin)(void *ctx);
	/* A call was interrupted: 0 to retry, or a conn_status to stop. */
	int	(*interrupted)(void *ctx);
};

struct conn {
	int fd;
	int err;			/* errno of the last CONN_IO */
	enum pkt_status bad;		/* what the last CONN_MALFORMED broke */
	unsigned exts;			/* enum pkt_ext decoded; 0 at first */
	uint8_t *rbuf;			/* received bytes: [rstart, rend) unused */
	size_t rcap, rstart, rend;
	const struct conn_hooks *hooks;
	void *hooks_ctx;
	struct conn_poll poll;
	int outq;			/* send queue at the last look, or -1 */
	int held;			/* conn_hold: nothing read moves */
	/* With TLS (conn_tls_start); NULL: plaintext, on the socket. */
	struct ssl_st *tls;
	const char *tls_why;		/* the TLS failure behind CONN_IO */
	uint8_t *wbuf;			/* sends gathered into whole records */
	size_t wlen;			/* bytes in wbuf not yet written */
};

struct ssl_st;

/*
 * Takes the connected socket fd (not closed by conn_free).  hooks may be
 * NULL: then waits are unbounded and interruptions retried.  Returns 0, or
 * -1 when memory is short.
 */
int	conn_init(struct conn *c, int fd, const struct conn_hooks *hooks,
	    void *hooks_ctx);
void	conn_free(struct conn *c);

/*
 * Reads one packet; a DAT may carry at most max_data bytes.  On CONN_OK,
 * *p points into the conn's buffer until the next conn_recv (while held,
 * until conn_release).  Bytes that follow the packet stay buffered for
 * the next call, never lost.  The wait_begin hook is called once, before
 * the first wait.
 */
enum conn_status conn_recv(struct conn *c, size_t max_data, struct pkt *p);

/*
 * Holding, for a receiver that writes DAT data straight from the buffer
 * instead of copying it out (xfer.c): after conn_hold, the bytes of every
 * packet conn_recv returns stay where they are, until conn_release.  A
 * conn_recv that would need to move them to make room for the next
 * packet returns CONN_FULL instead, consuming nothing: the caller stores
 * what it holds, calls conn_release, then conn_hold and conn_recv again.
 */
void	conn_hold(struct conn *c);
void	conn_release(struct conn *c);

/*
 * Grows the buffer to at least len bytes (never while held), so that a
 * holding receiver keeps that much.  Returns 0, or -1 when memory is
 * short (the buffer is left as it was).
 */
int	conn_reserve(struct conn *c, size_t len);

/* 1 when a received byte is waiting in the buffer (a packet or its start). */
int	conn_pending(const struct conn *c);

/*
 * 1 when the buffer holds a whole packet (or bytes already known to be
 * malformed): the next conn_recv returns without waiting on the peer.
 */
int	conn_packet_ready(const struct conn *c);

/*
 * The opcode of the unread bytes after CONN_MALFORMED or CONN_TRUNCATED,
 * or -1 when fewer than two arrived: a broken ERR is still an ERR, which
 * is never answered (protocol.md section 7).
 */
int	conn_pending_op(const struct conn *c);

/*
 * Writes buf[0..len) whole.  The first try does not block, so a send with
 * room costs one system call and no clock; only a send that would block
 * calls wait_begin.
 */
enum conn_status conn_send(struct conn *c, const void *buf, size_t len);

/* The same for a gather list, which it may change while it works. */
enum conn_status conn_sendv(struct conn *c, struct iovec *iov, int iovcnt);

/*
 * conn_send for bytes that another write will follow at once, with no wait
 * on the peer between: the kernel holds them (MSG_MORE) and sends both in
 * one segment, so the peer wakes once.  The caller must make that write.
 */
enum conn_status conn_send_more(struct conn *c, const void *buf, size_t len);

/*
 * Writes what of buf[0..len) the connection takes now, without waiting:
 * for requests written ahead of their answers (docs/protocol.md,
 * "Pipelining").  Returns the bytes taken (0 when none), or -1 with
 * c->err.  Over TLS the bytes taken are whole records, some of them
 * perhaps still in TLS's write buffer: conn_send_pending sends those.
 */
ssize_t	conn_send_ahead(struct conn *c, const void *buf, size_t len);

/*
 * Sends what conn_send_ahead left buffered, waiting if need be (only TLS
 * buffers; plaintext bytes taken are in the kernel already).
 */
enum conn_status conn_send_pending(struct conn *c);

/* Encodes and sends an ACK. */
enum conn_status conn_send_ack(struct conn *c, uint16_t block);

/*
 * Sends an ERR only if the socket takes it at once, without blocking: for
 * the last words before a close, which must never hang (section 8).
 * Returns 0 when sent whole, -1 otherwise.
 */
int	conn_send_err_nowait(struct conn *c, uint16_t code, const char *msg);

/*
 * TLS from here on (tls.h): takes ssl, made over c->fd by tls_new, runs
 * its handshake, bounded by the hooks as any wait is, and from then on
 * every packet goes through it.  conn_free sends close_notify (without
 * waiting) and frees it.  CONN_OK; CONN_IO with tls_why (a TLS failure)
 * or err; or the hooks' CONN_TIMEOUT or CONN_INTERRUPTED.  Sends are
 * gathered into whole records: conn_send_more keeps its bytes for the
 * write that follows, or until conn_recv would wait for the peer.
 */
enum conn_status conn_tls_start(struct conn *c, struct ssl_st *ssl);

/* A short English description of a status, for messages. */
const char *conn_status_str(const struct conn *c, enum conn_status st);

#endif
