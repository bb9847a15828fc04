/*
 * The one errno-to-ERR table: what a failed system call tells the peer,
 * in the codes of protocol.md section 7.  Both programs send ERR for a
 * local failure (the server for a request it cannot serve or an upload
 * it cannot store, the client for a download it cannot store); which
 * errno earns which code is decided here alone.  Knows errno values and
 * codes, nothing of sockets or files.
 */
#ifndef ERRNO_MAP_H
#define ERRNO_MAP_H

#include <stdint.h>

/* When the call failed: a row holds for one or both. */
enum errno_when {
	ERRNO_OPENING = 1,	/* a request's checks before its first
				 * byte: resolving, opening, creating */
	ERRNO_WRITING = 2,	/* storing a transfer's bytes */
};

struct errno_row {
	int errnum;
	unsigned when;			/* enum errno_when, or'd */
	uint16_t code;			/* enum pkt_errcode */
	const char *msg;		/* the ERR's whole message */
};

/*
 * The row for errnum failing when (one enum errno_when), or NULL when the
 * table has none: then the caller says what failed with strerror, as ERR
 * 2 before a transfer and ERR 0 during one.
 */
const struct errno_row *errno_map(int errnum, enum errno_when when);

#endif
