/*
 * What the transfers (remote_transfer.c) take from the session
 * (remote.c): a request sent and its first answer read, and the ways a
 * request ends in failure, with the reason in r->why.  Not for commands:
 * they use remote.h.
 */
#ifndef REMOTE_REQUEST_H
#define REMOTE_REQUEST_H

#include <stdint.h>

#include "conn.h"
#include "packet.h"
#include "xfer.h"

struct remote;

/* Puts the reason in r->why; returns status. */
int	remote_fail(struct remote *r, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Sends a request, connecting first if need be; the first answer is read
 * into *p.  An offset (for a RRQ) goes in an OPT of its own right before
 * it; r->opts.offset then says whether the server took it.  In a
 * pipeline run the request was written ahead, and only its answer is
 * read; a pipelined WRQ has no answer before its data.  RC_OK, or as
 * remote_download.
 */
int	remote_request(struct remote *r, enum pkt_op op, const char *path,
	    uint64_t offset, struct pkt *p);

/*
 * Reads the first packet of a request's answer into *p, after a send
 * that ended in cs: a failed connection ends the session, an ERR is the
 * server's reason.
 */
int	remote_answer(struct remote *r, enum conn_status cs, struct pkt *p);

/*
 * Ends a transfer that did not finish.  What the client owes the server
 * is sent without blocking, then the connection closes (section 7).
 * RC_OK when it did finish.
 */
int	remote_xfer_failed(struct remote *r, const struct xfer_result *res);

/* The server sent p where wanted was due: ERR 4, and the session ends. */
void	remote_violation(struct remote *r, const struct pkt *p,
	    const char *wanted);

#endif
