/*
 * Fuzz target: the packet decoder.  Whatever the bytes, pkt_decode stays
 * inside them, and a packet it accepts encodes back to exactly the bytes
 * it consumed.  The first input byte picks the block size in force and
 * whether the users extension is (its packets DEL, RMD, RNM).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t blksizes[] = { 512, 8, 65464, 1024 };
	static uint8_t out[PKT_MAX_LEN + 16];
	enum pkt_status st;
	struct pkt p;
	size_t used = 0, max_data;
	unsigned exts;
	ssize_t n = -1;
	uint8_t *copy;

	if (size == 0)
		return 0;
	max_data = blksizes[data[0] % 4];
	exts = data[0] & 4 ? PKT_EXT_USERS : PKT_EXT_NONE;
	data++;
	size--;
	/* An exact-size heap copy, so any overread is caught. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	st = pkt_decode_ext(copy, size, max_data, exts, &p, &used);
	if (st != PKT_OK) {
		free(copy);
		return 0;
	}
	if (used == 0 || used > size)
		abort();
	switch (p.op) {
	case PKT_RRQ:
	case PKT_WRQ:
	case PKT_DRQ:
	case PKT_MKD:
	case PKT_DEL:
	case PKT_RMD:
		n = pkt_encode_req(out, sizeof(out), p.op, p.u.req.path);
		break;
	case PKT_RNM:
		n = pkt_encode_rnm(out, sizeof(out), p.u.req.path,
		    p.u.req.to);
		break;
	case PKT_DAT:
		if (p.u.dat.size > max_data)
			abort();
		n = pkt_encode_dat(out, sizeof(out), p.u.dat.block,
		    p.u.dat.data, p.u.dat.size);
		break;
	case PKT_ACK:
		n = pkt_encode_ack(out, sizeof(out), p.u.ack.block);
		break;
	case PKT_ERR:
		n = pkt_encode_err(out, sizeof(out), p.u.err.code,
		    p.u.err.msg);
		break;
	case PKT_OPT:
	case PKT_OACK:
		n = pkt_encode_opt(out, sizeof(out), p.op, p.u.opt.opts,
		    p.u.opt.count);
		break;
	case PKT_SUM:
		n = pkt_encode_sum(out, sizeof(out), p.u.sum.alg,
		    p.u.sum.digest);
		break;
	}
	/* OPT names may be empty-valued but never empty; all else exact. */
	if (n < 0 || (size_t)n != used || memcmp(out, copy, used) != 0)
		abort();
	free(copy);
	return 0;
}
