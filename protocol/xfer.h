/*
 * The transfer engine: the DAT/ACK exchange of protocol.md sections 4 and
 * 6, from a byte source or into a byte sink, with block size, window size
 * and block-number rollover.
 *
 * It knows packets and a conn, nothing of files, terminals or processes:
 * bytes come from and go to the caller's callbacks.  It sends no ERR; it
 * says what went wrong and the caller, which knows the session, answers.
 */
#ifndef XFER_H
#define XFER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "conn.h"
#include "digest.h"
#include "proto_limits.h"

/*
 * Fills buf[0..len) with the next bytes.  Returns the count, 0 at the end,
 * or -1 with errno set.  Short counts are fine; the engine asks again.
 */
typedef ssize_t	(*xfer_read_fn)(void *ctx, void *buf, size_t len);
/*
 * Takes all of the bytes iov[0..iovcnt) holds, in order (fdio_writev
 * writes them to a descriptor); it may change the array.  Returns 0, or
 * -1 with errno set.
 */
typedef int	(*xfer_write_fn)(void *ctx, struct iovec *iov, int iovcnt);
/*
 * Called after the last block arrived and before its ACK goes out, so the
 * receiver can make the data durable and visible first (section 5).
 * Returns 0, or -1 with errno set: then no ACK is sent.
 */
typedef int	(*xfer_finish_fn)(void *ctx);
/*
 * Told the running byte count after every window, and within a large one
 * every 2 MiB or so (xfer.c, PROGRESS_LEN).  Returns 0 to go on, or
 * non-zero to stop the transfer as CONN_INTERRUPTED: a signal that arrives
 * while data keeps flowing interrupts no wait, so the owner polls here.
 */
typedef int	(*xfer_progress_fn)(void *ctx, uint64_t bytes);

struct xfer_params {
	size_t blksize;			/* BLKSIZE_MIN..BLKSIZE_MAX */
	unsigned windowsize;		/* WINDOWSIZE_MIN..WINDOWSIZE_MAX */
	xfer_progress_fn progress;	/* may be NULL */
	void *progress_ctx;
	uint64_t size_hint;		/* bytes the source holds; 0: unknown */
	/*
	 * NULL, or the digest in force (section 6): every byte sent or
	 * received is added to it, the sender follows the final DAT with
	 * SUM, and the receiver checks that SUM before finish and the final
	 * ACK.  The caller starts it (with any bytes before an offset
	 * already added); the engine finalises it; the caller frees it.
	 */
	struct digest *digest;
	/*
	 * The pipeline extension (protocol.md, "Pipelining"): the sender
	 * waits for no ACK at all, not even the final one, which the caller
	 * matches later; the receiver sends no ACK at all, and leaves the
	 * final one to its caller (res->final_block), who sends it when its
	 * own order allows.  Progress is still reported every windowsize
	 * blocks.
	 */
	int pipelined;
};

enum xfer_status {
	XFER_OK = 0,
	XFER_CONN,		/* the connection failed: see conn_status */
	XFER_PEER_ERR,		/* the peer sent ERR: see errcode, msg */
	XFER_VIOLATION,		/* the peer broke the protocol: owe errcode */
	XFER_SOURCE,		/* the byte source failed: see sys_errno */
	XFER_SINK,		/* the byte sink failed: see sys_errno */
	XFER_INTEGRITY,		/* the SUM did not match: owe ERR 10 */
};

struct xfer_result {
	enum xfer_status status;
	uint64_t bytes;			/* data bytes moved */
	enum conn_status conn_status;	/* for XFER_CONN */
	int sys_errno;			/* for XFER_SOURCE, XFER_SINK */
	uint16_t errcode;		/* received (PEER_ERR) or owed (VIOLATION) */
	char msg[ERRMSG_LEN_MAX + 1];	/* its text, the peer's unescaped */
	uint16_t final_block;		/* pipelined, XFER_OK: the final DAT */
	/*
	 * Receiver, XFER_SINK: what of the transfer is still unread, so a
	 * pipelined caller can read past it: DATs from next_block on (when
	 * dats_left), then the SUM (when sum_left).
	 */
	int dats_left, sum_left;
	uint16_t next_block;
};

/*
 * Sends the source's bytes as DAT 1, 2, ... and waits for the ACKs; with a
 * digest, the SUM goes right after the final DAT, without waiting.
 * Returns XFER_OK once the final block is acknowledged (pipelined: once
 * it and the SUM are written).
 */
enum xfer_status xfer_send(struct conn *c, const struct xfer_params *xp,
    xfer_read_fn read, void *read_ctx, struct xfer_result *res);

/*
 * Receives DAT 1, 2, ... into the sink and acknowledges them.  The sink is
 * handed the data in large gathered pieces, straight from the conn's
 * buffer (conn_hold), not block by block; with a digest the SUM is
 * read and checked after the final DAT; then finish is called, and then
 * the final ACK goes out (pipelined: is left to the caller).  first, when
 * not NULL, is a packet the caller already read (a download's answer to
 * its request), taken as the first one.  Returns XFER_OK once the final
 * ACK is sent (pipelined: is due).
 */
enum xfer_status xfer_recv(struct conn *c, const struct xfer_params *xp,
    const struct pkt *first, xfer_write_fn write, xfer_finish_fn finish,
    void *sink_ctx, struct xfer_result *res);

#endif
