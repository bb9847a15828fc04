/*
 * Option negotiation (protocol.md section 6): the meaning of OPT and OACK
 * lists, for both ends.  Works on decoded packets; sends nothing.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "packet.h"

/* Bits of xfer_opts.named: which options an OPT or OACK carried. */
#define OPT_BLKSIZE	0x1
#define OPT_WINDOWSIZE	0x2
#define OPT_TSIZE	0x4
#define OPT_DIGEST	0x8
#define OPT_OFFSET	0x10
#define OPT_PIPELINE	0x20
/* File attributes (docs/protocol.md, "File attributes"). */
#define OPT_STAT	0x40
#define OPT_MTIME	0x80
#define OPT_MODE	0x100

/* The permission bits a mode option may carry: never set-id or sticky. */
#define OPT_MODE_MAX	0777
/* Resumable uploads (docs/protocol.md, "Resumable uploads"). */
#define OPT_RESUME	0x200

/* The options in force for a session's transfers. */
struct xfer_opts {
	unsigned named;		/* OPT_* bits present in the list */
	uint16_t blksize;
	uint16_t windowsize;
	int tsize;		/* 1: RRQ and DRQ are preceded by a size OACK */
	enum digest_alg digest;	/* file transfers end with SUM */
	uint64_t offset;	/* the next RRQ starts here */
	uint16_t pipeline;	/* requests ahead (protocol.md); 0: off */
	int stat;		/* 1: a RRQ's size OACK has mtime and mode */
	uint64_t mtime;		/* the next WRQ's modification time */
	unsigned mode;		/* the next WRQ's permission bits */
	/* Resumable uploads: the next WRQ's whole size (named: asked). */
	uint64_t resume;
};

/* What the OACK before a RRQ's data announces. */
struct announce {
	uint64_t size;		/* tsize: the bytes that follow */
	int attrs;		/* with stat: mtime and mode below */
	uint64_t mtime;		/* seconds since the epoch */
	unsigned mode;		/* permission bits, at most OPT_MODE_MAX */
};

/*
 * The defaults: block size 512, window 1, no tsize, no digest, offset 0,
 * no pipeline, nothing named.
 */
void	opts_default(struct xfer_opts *o);

/*
 * Server side.  Reads an OPT into *out, lowering blksize and windowsize to
 * the server's maxima; unknown names are left out, and so is a digest
 * this server does not know.  Returns 0, or -1 with a reason in
 * why[0..whylen) when the list earns ERR 8: a known name twice, a value
 * that is not 1-20 digits or is out of range.
 */
int	opts_from_opt(const struct pkt *p, uint16_t blksize_max,
	    uint16_t windowsize_max, struct xfer_opts *out, char *why,
	    size_t whylen);

/*
 * Client side.  Reads the OACK that answered a request for *asked into
 * *out.  Returns 0, or -1 with a reason when the server named an option not
 * asked for, named one twice, raised a value, or answered a digest or an
 * offset with another than the one asked for.
 */
int	opts_from_oack(const struct pkt *p, const struct xfer_opts *asked,
	    struct xfer_opts *out, char *why, size_t whylen);

/*
 * Encodes the options named in *o as an OPT or OACK into buf[0..size).
 * Returns the packet length, or -1 when it does not fit.
 */
ssize_t	opts_encode(uint8_t *buf, size_t size, enum pkt_op op,
	    const struct xfer_opts *o);

/* Encodes the OACK that announces a transfer of size bytes (tsize). */
ssize_t	opts_encode_tsize(uint8_t *buf, size_t size, uint64_t bytes);

/*
 * Encodes the OACK that announces a RRQ's data: tsize, and with
 * a->attrs also mtime and mode.
 */
ssize_t	opts_encode_announce(uint8_t *buf, size_t size,
	    const struct announce *a);

/*
 * Reads an announcement: exactly tsize when attrs is 0; exactly tsize,
 * mtime and mode, in any order, when it is 1.  Returns 0, or -1.
 */
int	opts_announce_from_oack(const struct pkt *p, int attrs,
	    struct announce *a);

/*
 * Encodes the OACK that answers a resumable WRQ: offset, the bytes held.
 */
ssize_t	opts_encode_held(uint8_t *buf, size_t size, uint64_t held);

/*
 * Reads a size announcement: an OACK holding exactly one option, tsize,
 * with a valid value.  Returns 0 and the size, or -1.
 */
int	opts_tsize_from_oack(const struct pkt *p, uint64_t *bytes);

/*
 * Reads the answer to a resumable WRQ: an OACK holding exactly one
 * option, offset, no larger than size.  Returns 0 and the bytes the
 * server holds, or -1.
 */
int	opts_held_from_oack(const struct pkt *p, uint64_t size,
	    uint64_t *held);

#endif
