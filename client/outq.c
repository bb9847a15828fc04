/*
 * The write-ahead queue of a pipeline run (see outq.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "outq.h"
#include "packet.h"

int
outq_add(struct outq *q, const uint8_t *b, size_t len)
{
	uint8_t *nb;
	size_t cap;

	if (q->start > 0 && q->end + len > q->cap) {
		memmove(q->buf, q->buf + q->start, q->end - q->start);
		q->end -= q->start;
		q->start = 0;
	}
	if (q->end + len > q->cap) {
		cap = q->cap ? 2 * q->cap : 16384;
		while (cap < q->end + len)
			cap *= 2;
		if ((nb = realloc(q->buf, cap)) == NULL)
			return -1;
		q->buf = nb;
		q->cap = cap;
	}
	memcpy(q->buf + q->end, b, len);
	q->end += len;
	q->queued += len;
	return 0;
}

void
outq_try(struct outq *q)
{
	ssize_t n;

	while (q->start < q->end) {
		n = send(*q->fd, q->buf + q->start, q->end - q->start,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			return;
		q->start += (size_t)n;
		q->written += (uint64_t)n;
	}
}

enum conn_status
outq_flush(struct outq *q, uint64_t upto)
{
	enum conn_status cs;
	size_t len;

	outq_try(q);
	if (q->written >= upto)
		return CONN_OK;
	len = (size_t)(upto - q->written);
	if ((cs = conn_send(q->conn, q->buf + q->start, len)) != CONN_OK)
		return cs;
	q->start += len;
	q->written += len;
	return CONN_OK;
}

void
outq_clear(struct outq *q)
{
	q->start = q->end = 0;
	q->written = q->queued;
}

enum conn_status
outq_ack(struct outq *q, uint16_t block)
{
	uint8_t ack[PKT_OPCODE_LEN + 2];
	ssize_t len = pkt_encode_ack(ack, sizeof(ack), block);

	if (len == -1 || outq_add(q, ack, (size_t)len) == -1) {
		q->conn->err = ENOMEM;
		return CONN_IO;
	}
	outq_try(q);
	return CONN_OK;
}

void
outq_free(struct outq *q)
{
	free(q->buf);
	q->buf = NULL;
}
