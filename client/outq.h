/*
 * The write-ahead queue of a pipeline run (docs/protocol.md,
 * "Pipelining"): small requests, and a download's final ACK, queued and
 * written without waiting, so that the client never waits on a write
 * while the server waits on one (protocol.md, "Neither side waits").  It
 * knows the connection, not the requests: pipeline_run.c fills it and
 * remote_transfer.c adds the ACKs.
 */
#ifndef OUTQ_H
#define OUTQ_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

struct outq {
	struct conn *conn;
	const int *fd;			/* the session's socket, or -1 */
	uint8_t *buf;
	size_t start, end, cap;		/* not yet written: buf[start..end) */
	uint64_t written, queued;	/* bytes written, and ever queued */
};

/* Queues len bytes.  0, or -1 out of memory. */
int	outq_add(struct outq *q, const uint8_t *b, size_t len);

/* Writes what the socket takes now; a failure shows at the next flush. */
void	outq_try(struct outq *q);

/*
 * Writes the queue up to the byte count upto, waiting if need be: only
 * for a request whose answer is read next, or at the end of a run, when
 * the server is reading.
 */
enum conn_status outq_flush(struct outq *q, uint64_t upto);

/* Forgets what is not yet written: nothing is in flight. */
void	outq_clear(struct outq *q);

/*
 * A pipelined download's final ACK joins the bytes written ahead, after
 * the requests already there (the server matches it to the oldest
 * download awaiting one).
 */
enum conn_status outq_ack(struct outq *q, uint16_t block);

void	outq_free(struct outq *q);

#endif
