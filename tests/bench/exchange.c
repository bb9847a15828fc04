/* The load generator's session request (see exchange.h). */
#include "exchange.h"

size_t
exchange_request(uint8_t *out, const char *path, int verify,
    struct xfer_opts *ask)
{
	ssize_t ack, opt, req;

	opts_default(ask);
	ask->named = OPT_BLKSIZE | OPT_WINDOWSIZE;
	ask->blksize = BLKSIZE_MAX;
	ask->windowsize = EXCHANGE_WINDOW;
	if (verify) {
		ask->named |= OPT_DIGEST;
		ask->digest = DIGEST_XXH128;
	}
	ack = pkt_encode_ack(out, EXCHANGE_LEN_MAX, 1);
	opt = opts_encode(out + ack, EXCHANGE_LEN_MAX - (size_t)ack, PKT_OPT,
	    ask);
	if (opt == -1)
		return 0;
	req = pkt_encode_req(out + ack + opt, EXCHANGE_LEN_MAX -
	    (size_t)(ack + opt), PKT_RRQ, path);
	if (req == -1)
		return 0;
	return (size_t)(ack + opt + req);
}
