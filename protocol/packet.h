/*
 * The packet codec: bytes to typed packets and back (protocol.md section 2).
 *
 * Pure functions over caller-supplied buffers with explicit lengths.  The
 * codec knows nothing of sockets, files or printing; framing a stream and
 * deciding what a fault means for the session belong to its callers.
 */
#ifndef PACKET_H
#define PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto_limits.h"

enum pkt_op {
	PKT_RRQ = 1,
	PKT_WRQ = 2,
	PKT_DAT = 3,
	PKT_ACK = 4,
	PKT_ERR = 5,
	PKT_DRQ = 6,
	PKT_OPT = 7,
	PKT_OACK = 8,
	PKT_MKD = 9,
	PKT_SUM = 10,
	/* Users (docs/protocol.md, "Delete and rename"): PKT_EXT_USERS only. */
	PKT_DEL = 11,
	PKT_RMD = 12,
	PKT_RNM = 13,
};

/*
 * The extensions whose packets the decoder takes (section 9), or-ed.
 * Where one is not in force its opcodes are unknown, as section 2 says
 * of every opcode above 10.
 */
enum pkt_ext {
	PKT_EXT_NONE = 0,
	PKT_EXT_USERS = 1,		/* DEL, RMD, RNM */
};

/* The ERR codes of protocol.md section 7. */
enum pkt_errcode {
	ERR_UNDEFINED = 0,
	ERR_NOT_FOUND = 1,
	ERR_ACCESS = 2,
	ERR_DISK_FULL = 3,
	ERR_ILLEGAL = 4,
	ERR_TIMEOUT = 5,
	ERR_EXISTS = 6,
	ERR_BAD_NAME = 7,
	ERR_OPTIONS = 8,
	ERR_BUSY = 9,
	ERR_INTEGRITY = 10,
};

/*
 * Outcome of pkt_decode.  PKT_INCOMPLETE means "the bytes so far are a valid
 * prefix; give me more".  Every other non-zero value is a malformed packet,
 * named by the rule it breaks; pkt_status_errcode() says which ERR it earns.
 */
enum pkt_status {
	PKT_OK = 0,
	PKT_INCOMPLETE,
	PKT_BAD_OPCODE,		/* opcode 0 or above 13 */
	PKT_EXT_OPCODE,		/* DEL, RMD, RNM without the users extension */
	PKT_PATH_TOO_LONG,	/* no EOS within PATH_LEN_MAX + 1 bytes */
	PKT_MSG_TOO_LONG,	/* ERR message without EOS within 512 bytes */
	PKT_DATA_TOO_LONG,	/* DAT size above the block size in force */
	PKT_OPT_TOO_LONG,	/* OPT/OACK body not ended within 512 bytes */
	PKT_OPT_NOT_PRINTABLE,	/* an option name or value outside 0x20-0x7e */
	PKT_SUM_TOO_LONG,	/* SUM body not ended within 512 bytes */
	PKT_SUM_NOT_PRINTABLE,	/* SUM text outside 0x20-0x7e */
};

/* Most name/value pairs a 512-byte body can hold: "a" EOS EOS is 3 bytes. */
#define PKT_OPTS_MAX	((OPT_BODY_MAX - 1) / 3)

struct pkt_opt {
	const char *name;	/* EOS-terminated, inside the decoded buffer */
	const char *value;
};

/*
 * A decoded packet.  Pointers refer into the buffer given to pkt_decode and
 * are valid as long as it is; every string is EOS-terminated there.
 */
struct pkt {
	enum pkt_op op;
	union {
		struct {	/* RRQ, WRQ, DRQ, MKD, DEL, RMD, RNM */
			const char *path;	/* RNM: the name it has */
			size_t len;
			const char *to;		/* RNM: its new name */
			size_t tolen;
		} req;
		struct {			/* DAT */
			uint16_t block;
			uint16_t size;
			const uint8_t *data;
		} dat;
		struct {			/* ACK */
			uint16_t block;
		} ack;
		struct {			/* ERR */
			uint16_t code;
			const char *msg;
		} err;
		struct {			/* OPT, OACK */
			size_t count;
			struct pkt_opt opts[PKT_OPTS_MAX];
		} opt;
		struct {			/* SUM */
			const char *alg;
			const char *digest;	/* as sent: not judged */
		} sum;
	} u;
};

/*
 * Decodes the packet at the start of buf[0..len).  max_data is the block
 * size in force, the limit on a DAT's size.  On PKT_OK, *used is the
 * packet's length in bytes; bytes after it are not looked at.  Never reads
 * past len, and never asks for more than the longest packet of the kind.
 */
enum pkt_status pkt_decode(const uint8_t *buf, size_t len, size_t max_data,
    struct pkt *p, size_t *used);
/* The same where the extensions exts (enum pkt_ext, or-ed) are in force. */
enum pkt_status pkt_decode_ext(const uint8_t *buf, size_t len,
    size_t max_data, unsigned exts, struct pkt *p, size_t *used);

/* The ERR code a malformed packet earns (4, or 8 for an OPT fault). */
enum pkt_errcode pkt_status_errcode(enum pkt_status st);

/* A short English description of a decode status, for logs and ERR texts. */
const char *pkt_status_str(enum pkt_status st);

/* The name of an opcode ("RRQ"...), or "unknown". */
const char *pkt_op_name(unsigned op);

/*
 * op is PKT_RRQ, PKT_WRQ, PKT_DRQ, PKT_MKD, PKT_DEL or PKT_RMD: the
 * requests with one path.
 */
int	pkt_is_path_request(unsigned op);

/* Every request: those with one path, and PKT_RNM. */
int	pkt_is_request(unsigned op);

/*
 * Encoders write one packet into buf[0..size) and return its length, or -1
 * when it does not fit or an argument breaks a wire rule (a string with a
 * byte the packet cannot carry, a data size above BLKSIZE_MAX).
 */
ssize_t pkt_encode_req(uint8_t *buf, size_t size, enum pkt_op op,
    const char *path);
ssize_t pkt_encode_dat(uint8_t *buf, size_t size, uint16_t block,
    const void *data, size_t len);
ssize_t pkt_encode_ack(uint8_t *buf, size_t size, uint16_t block);
/* The message is cut to ERRMSG_LEN_MAX bytes rather than refused. */
ssize_t pkt_encode_err(uint8_t *buf, size_t size, uint16_t code,
    const char *msg);
/* op is PKT_OPT or PKT_OACK; -1 also when the body would pass 512 bytes. */
ssize_t pkt_encode_opt(uint8_t *buf, size_t size, enum pkt_op op,
    const struct pkt_opt *opts, size_t count);
/* RNM: from, EOS, to, EOS; -1 also when a path passes PATH_LEN_MAX. */
ssize_t pkt_encode_rnm(uint8_t *buf, size_t size, const char *from,
    const char *to);
/* -1 also when the body would pass SUM_BODY_MAX bytes. */
ssize_t pkt_encode_sum(uint8_t *buf, size_t size, const char *alg,
    const char *digest);

/*
 * Writes the 6-byte DAT header in front of data the caller already placed
 * at buf + PKT_DAT_HDR_LEN, so a block goes out without a copy.
 */
void pkt_put_dat_header(uint8_t *buf, uint16_t block, uint16_t len);

/* 1 when every byte of s[0..len) is printable ASCII (0x20-0x7e). */
int pkt_printable(const char *s, size_t len);

#endif
