/*
 * Fuzz target: option negotiation.  The input is an OPT body.  Whatever
 * the server accepts, it answers with an OACK that the client, having
 * asked for those values, accepts back unchanged; and nothing accepted is
 * ever out of range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[PKT_OPCODE_LEN + OPT_BODY_MAX + 8], *copy;
	struct xfer_opts got, back;
	struct pkt p, q;
	uint64_t bytes;
	char why[256];
	size_t used;
	ssize_t n;

	if ((copy = malloc(size + 2)) == NULL)
		return 0;
	copy[0] = 0;
	copy[1] = PKT_OPT;
	memcpy(copy + 2, data, size);
	if (pkt_decode(copy, size + 2, 512, &p, &used) != PKT_OK) {
		free(copy);
		return 0;
	}
	(void)opts_tsize_from_oack(&p, &bytes);
	if (opts_from_opt(&p, 65464, 65535, &got, why, sizeof(why)) == 0) {
		if (got.blksize < BLKSIZE_MIN || got.blksize > BLKSIZE_MAX ||
		    got.windowsize < WINDOWSIZE_MIN)
			abort();
		n = opts_encode(buf, sizeof(buf), PKT_OACK, &got);
		if (n < 0 || pkt_decode(buf, (size_t)n, 512, &q, &used) !=
		    PKT_OK)
			abort();
		if (opts_from_oack(&q, &got, &back, why, sizeof(why)) != 0 ||
		    back.named != got.named || back.blksize != got.blksize ||
		    back.windowsize != got.windowsize ||
		    back.tsize != got.tsize)
			abort();
	}
	free(copy);
	return 0;
}
