/*
 * The packet codec (protocol.md section 2).  Owns the byte layout of every
 * packet; knows nothing of streams, sessions or what an error leads to.
 */
#include <string.h>

#include "packet.h"


static uint16_t	get16(const uint8_t *);
static void	put16(uint8_t *, uint16_t);
static enum pkt_status scan_string(const uint8_t *, size_t, size_t, size_t,
		    enum pkt_status, size_t *);
static enum pkt_status decode_opts(const uint8_t *, size_t, struct pkt *,
		    size_t *);
static enum pkt_status decode_sum(const uint8_t *, size_t, struct pkt *,
		    size_t *);
static enum pkt_status decode_paths(const uint8_t *, size_t, unsigned,
		    struct pkt *, size_t *);

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/*
 * Finds the EOS of the string at buf[start], which must stand before index
 * end (exclusive): PKT_OK and *eos, PKT_INCOMPLETE while fewer bytes have
 * arrived, or too_long once end is reached without one.  The scan is
 * bounded by what was received, never by a terminator the peer promised
 * (style.md section 6).
 */
static enum pkt_status
scan_string(const uint8_t *buf, size_t len, size_t start, size_t end,
    enum pkt_status too_long, size_t *eos)
{
	size_t i, stop = len < end ? len : end;

	for (i = start; i < stop; i++) {
		if (buf[i] == '\0') {
			*eos = i;
			return PKT_OK;
		}
	}
	return len < end ? PKT_INCOMPLETE : too_long;
}

int
pkt_printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * OPT and OACK: name, EOS, value, EOS, ..., then an empty name.  The whole
 * body, every EOS included, must end within OPT_BODY_MAX bytes.
 */
static enum pkt_status
decode_opts(const uint8_t *buf, size_t len, struct pkt *p, size_t *used)
{
	const size_t end = PKT_OPCODE_LEN + OPT_BODY_MAX;
	size_t pos = PKT_OPCODE_LEN, name_eos, value_eos;
	enum pkt_status st;
	struct pkt_opt *o;

	p->u.opt.count = 0;
	for (;;) {
		if ((st = scan_string(buf, len, pos, end, PKT_OPT_TOO_LONG,
		    &name_eos)) != PKT_OK)
			return st;
		if (name_eos == pos) {		/* the empty name ends it */
			*used = pos + 1;
			return PKT_OK;
		}
		if ((st = scan_string(buf, len, name_eos + 1, end,
		    PKT_OPT_TOO_LONG, &value_eos)) != PKT_OK)
			return st;
		if (!pkt_printable((const char *)buf + pos, name_eos - pos) ||
		    !pkt_printable((const char *)buf + name_eos + 1,
		    value_eos - name_eos - 1))
			return PKT_OPT_NOT_PRINTABLE;
		/* Three bytes a pair at least, so the body bounds the count. */
		o = &p->u.opt.opts[p->u.opt.count++];
		o->name = (const char *)buf + pos;
		o->value = (const char *)buf + name_eos + 1;
		pos = value_eos + 1;
	}
}

/* SUM: algorithm, EOS, digest, EOS, all within SUM_BODY_MAX bytes. */
static enum pkt_status
decode_sum(const uint8_t *buf, size_t len, struct pkt *p, size_t *used)
{
	const size_t end = PKT_OPCODE_LEN + SUM_BODY_MAX;
	size_t alg_eos, digest_eos;
	enum pkt_status st;

	if ((st = scan_string(buf, len, PKT_OPCODE_LEN, end,
	    PKT_SUM_TOO_LONG, &alg_eos)) != PKT_OK ||
	    (st = scan_string(buf, len, alg_eos + 1, end, PKT_SUM_TOO_LONG,
	    &digest_eos)) != PKT_OK)
		return st;
	if (!pkt_printable((const char *)buf + PKT_OPCODE_LEN,
	    alg_eos - PKT_OPCODE_LEN) ||
	    !pkt_printable((const char *)buf + alg_eos + 1,
	    digest_eos - alg_eos - 1))
		return PKT_SUM_NOT_PRINTABLE;
	p->u.sum.alg = (const char *)buf + PKT_OPCODE_LEN;
	p->u.sum.digest = (const char *)buf + alg_eos + 1;
	*used = digest_eos + 1;
	return PKT_OK;
}

/*
 * A request's paths: one, or two for RNM (from, EOS, to, EOS), each
 * ending within PATH_LEN_MAX + 1 bytes of its start.
 */
static enum pkt_status
decode_paths(const uint8_t *buf, size_t len, unsigned op, struct pkt *p,
    size_t *used)
{
	size_t eos, to_eos;
	enum pkt_status st;

	if ((st = scan_string(buf, len, PKT_OPCODE_LEN,
	    PKT_OPCODE_LEN + PATH_LEN_MAX + 1, PKT_PATH_TOO_LONG,
	    &eos)) != PKT_OK)
		return st;
	p->u.req.path = (const char *)buf + PKT_OPCODE_LEN;
	p->u.req.len = eos - PKT_OPCODE_LEN;
	p->u.req.to = NULL;
	p->u.req.tolen = 0;
	if (op == PKT_RNM) {
		if ((st = scan_string(buf, len, eos + 1,
		    eos + 1 + PATH_LEN_MAX + 1, PKT_PATH_TOO_LONG,
		    &to_eos)) != PKT_OK)
			return st;
		p->u.req.to = (const char *)buf + eos + 1;
		p->u.req.tolen = to_eos - eos - 1;
		eos = to_eos;
	}
	*used = eos + 1;
	return PKT_OK;
}

enum pkt_status
pkt_decode(const uint8_t *buf, size_t len, size_t max_data, struct pkt *p,
    size_t *used)
{
	return pkt_decode_ext(buf, len, max_data, PKT_EXT_NONE, p, used);
}

enum pkt_status
pkt_decode_ext(const uint8_t *buf, size_t len, size_t max_data,
    unsigned exts, struct pkt *p, size_t *used)
{
	enum pkt_status st;
	size_t eos;
	uint16_t op;

	if (len < PKT_OPCODE_LEN)
		return PKT_INCOMPLETE;
	op = get16(buf);
	/* Unknown at once, as section 2 says, where not in force. */
	if ((op == PKT_DEL || op == PKT_RMD || op == PKT_RNM) &&
	    !(exts & PKT_EXT_USERS))
		return PKT_EXT_OPCODE;
	switch (op) {
	case PKT_DEL:
	case PKT_RMD:
	case PKT_RNM:
	case PKT_RRQ:
	case PKT_WRQ:
	case PKT_DRQ:
	case PKT_MKD:
		if ((st = decode_paths(buf, len, op, p, used)) != PKT_OK)
			return st;
		break;
	case PKT_DAT:
		if (len < PKT_DAT_HDR_LEN)
			return PKT_INCOMPLETE;
		p->u.dat.block = get16(buf + 2);
		p->u.dat.size = get16(buf + 4);
		if (p->u.dat.size > max_data)
			return PKT_DATA_TOO_LONG;
		if (len < PKT_DAT_HDR_LEN + (size_t)p->u.dat.size)
			return PKT_INCOMPLETE;
		p->u.dat.data = buf + PKT_DAT_HDR_LEN;
		*used = PKT_DAT_HDR_LEN + (size_t)p->u.dat.size;
		break;
	case PKT_ACK:
		if (len < PKT_ACK_LEN)
			return PKT_INCOMPLETE;
		p->u.ack.block = get16(buf + 2);
		*used = PKT_ACK_LEN;
		break;
	case PKT_ERR:
		if (len < PKT_ERR_HDR_LEN)
			return PKT_INCOMPLETE;
		if ((st = scan_string(buf, len, PKT_ERR_HDR_LEN,
		    PKT_ERR_HDR_LEN + ERRMSG_LEN_MAX + 1, PKT_MSG_TOO_LONG,
		    &eos)) != PKT_OK)
			return st;
		p->u.err.code = get16(buf + 2);
		p->u.err.msg = (const char *)buf + PKT_ERR_HDR_LEN;
		*used = eos + 1;
		break;
	case PKT_OPT:
	case PKT_OACK:
		if ((st = decode_opts(buf, len, p, used)) != PKT_OK)
			return st;
		break;
	case PKT_SUM:
		if ((st = decode_sum(buf, len, p, used)) != PKT_OK)
			return st;
		break;
	default:
		return PKT_BAD_OPCODE;
	}
	p->op = (enum pkt_op)op;
	return PKT_OK;
}

enum pkt_errcode
pkt_status_errcode(enum pkt_status st)
{
	switch (st) {
	case PKT_OPT_TOO_LONG:
	case PKT_OPT_NOT_PRINTABLE:
		return ERR_OPTIONS;
	default:
		return ERR_ILLEGAL;
	}
}

/* What the peer is told of a users' request where users are not in force. */
static const char ext_opcode_text[] = "unknown opcode (DEL, RMD and RNM "
    "exist only for users: server --tls --users)";

const char *
pkt_status_str(enum pkt_status st)
{
	static const char *const text[] = {
		[PKT_OK] = "well formed",
		[PKT_INCOMPLETE] = "truncated packet",
		[PKT_BAD_OPCODE] = "unknown opcode",
		[PKT_EXT_OPCODE] = ext_opcode_text,
		[PKT_PATH_TOO_LONG] = "path longer than 1024 bytes",
		[PKT_MSG_TOO_LONG] = "error message longer than 511 bytes",
		[PKT_DATA_TOO_LONG] = "block over the block size",
		[PKT_OPT_TOO_LONG] = "option list longer than 512 bytes",
		[PKT_OPT_NOT_PRINTABLE] = "option with a non-printable byte",
		[PKT_SUM_TOO_LONG] = "SUM longer than 512 bytes",
		[PKT_SUM_NOT_PRINTABLE] = "SUM with a non-printable byte",
	};

	if ((size_t)st >= sizeof(text) / sizeof(text[0]))
		return "bad packet";
	return text[st];
}

const char *
pkt_op_name(unsigned op)
{
	static const char *const names[] = {
		NULL, "RRQ", "WRQ", "DAT", "ACK", "ERR", "DRQ", "OPT", "OACK",
		"MKD", "SUM", "DEL", "RMD", "RNM",
	};

	if (op == 0 || op >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[op];
}

int
pkt_is_path_request(unsigned op)
{
	return op == PKT_RRQ || op == PKT_WRQ || op == PKT_DRQ ||
	    op == PKT_MKD || op == PKT_DEL || op == PKT_RMD;
}

int
pkt_is_request(unsigned op)
{
	return pkt_is_path_request(op) || op == PKT_RNM;
}

ssize_t
pkt_encode_req(uint8_t *buf, size_t size, enum pkt_op op, const char *path)
{
	size_t len = strlen(path);

	if (!pkt_is_path_request(op) ||
	    len > PATH_LEN_MAX || size < PKT_OPCODE_LEN + len + 1)
		return -1;
	put16(buf, op);
	memcpy(buf + PKT_OPCODE_LEN, path, len + 1);
	return (ssize_t)(PKT_OPCODE_LEN + len + 1);
}

void
pkt_put_dat_header(uint8_t *buf, uint16_t block, uint16_t len)
{
	put16(buf, PKT_DAT);
	put16(buf + 2, block);
	put16(buf + 4, len);
}

ssize_t
pkt_encode_dat(uint8_t *buf, size_t size, uint16_t block, const void *data,
    size_t len)
{
	if (len > BLKSIZE_MAX || size < PKT_DAT_HDR_LEN + len)
		return -1;
	pkt_put_dat_header(buf, block, (uint16_t)len);
	if (len > 0)
		memmove(buf + PKT_DAT_HDR_LEN, data, len);
	return (ssize_t)(PKT_DAT_HDR_LEN + len);
}

ssize_t
pkt_encode_ack(uint8_t *buf, size_t size, uint16_t block)
{
	if (size < PKT_ACK_LEN)
		return -1;
	put16(buf, PKT_ACK);
	put16(buf + 2, block);
	return PKT_ACK_LEN;
}

ssize_t
pkt_encode_err(uint8_t *buf, size_t size, uint16_t code, const char *msg)
{
	size_t len = strnlen(msg, ERRMSG_LEN_MAX);

	if (size < PKT_ERR_HDR_LEN + len + 1)
		return -1;
	put16(buf, PKT_ERR);
	put16(buf + 2, code);
	memcpy(buf + PKT_ERR_HDR_LEN, msg, len);
	buf[PKT_ERR_HDR_LEN + len] = '\0';
	return (ssize_t)(PKT_ERR_HDR_LEN + len + 1);
}

ssize_t
pkt_encode_opt(uint8_t *buf, size_t size, enum pkt_op op,
    const struct pkt_opt *opts, size_t count)
{
	size_t i, pos = PKT_OPCODE_LEN, nlen, vlen;
	size_t end = PKT_OPCODE_LEN + OPT_BODY_MAX;

	if ((op != PKT_OPT && op != PKT_OACK) || size < PKT_OPCODE_LEN + 1)
		return -1;
	if (size < end)
		end = size;
	put16(buf, op);
	for (i = 0; i < count; i++) {
		nlen = strlen(opts[i].name);
		vlen = strlen(opts[i].value);
		if (nlen == 0 || !pkt_printable(opts[i].name, nlen) ||
		    !pkt_printable(opts[i].value, vlen) ||
		    end - pos < nlen + vlen + 2)
			return -1;
		memcpy(buf + pos, opts[i].name, nlen + 1);
		pos += nlen + 1;
		memcpy(buf + pos, opts[i].value, vlen + 1);
		pos += vlen + 1;
	}
	if (end - pos < 1)
		return -1;
	buf[pos++] = '\0';
	return (ssize_t)pos;
}

/*
 * op, then the strings a and b, each with its EOS (RNM, SUM), once the
 * caller has checked them: -1 only when buf[0..size) is too small.
 */
static ssize_t
put_two_strings(uint8_t *buf, size_t size, enum pkt_op op, const char *a,
    size_t alen, const char *b, size_t blen)
{
	if (size < PKT_OPCODE_LEN + alen + blen + 2)
		return -1;
	put16(buf, op);
	memcpy(buf + PKT_OPCODE_LEN, a, alen + 1);
	memcpy(buf + PKT_OPCODE_LEN + alen + 1, b, blen + 1);
	return (ssize_t)(PKT_OPCODE_LEN + alen + blen + 2);
}

ssize_t
pkt_encode_rnm(uint8_t *buf, size_t size, const char *from, const char *to)
{
	size_t flen = strlen(from), tlen = strlen(to);

	if (flen > PATH_LEN_MAX || tlen > PATH_LEN_MAX)
		return -1;
	return put_two_strings(buf, size, PKT_RNM, from, flen, to, tlen);
}

ssize_t
pkt_encode_sum(uint8_t *buf, size_t size, const char *alg,
    const char *digest)
{
	size_t alen = strlen(alg), dlen = strlen(digest);

	if (!pkt_printable(alg, alen) || !pkt_printable(digest, dlen) ||
	    alen + dlen + 2 > SUM_BODY_MAX)
		return -1;
	return put_two_strings(buf, size, PKT_SUM, alg, alen, digest, dlen);
}
