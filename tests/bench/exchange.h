/*
 * The load generator's session request, shared by the load generator
 * (loadgen.c) and the bare server's client (ceiling.c sessions), so that
 * both put the same bytes on the wire: the greeting's ACK, an OPT for the
 * client's default options, and the RRQ, in one write.
 */
#ifndef EXCHANGE_H
#define EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "packet.h"

/* As the client asks by default (client/args.h). */
#define EXCHANGE_WINDOW	32

/* Room for the longest request. */
#define EXCHANGE_LEN_MAX	(PKT_ACK_LEN + 2 * PKT_OPCODE_LEN + \
	    OPT_BODY_MAX + PATH_LEN_MAX + 1)

/*
 * Writes the request for path into out[0..EXCHANGE_LEN_MAX), with digest
 * xxh128 asked too when verify, and the options asked into *ask.  Returns
 * its length, or 0 when path is too long.
 */
size_t	exchange_request(uint8_t *out, const char *path, int verify,
	    struct xfer_opts *ask);

#endif
