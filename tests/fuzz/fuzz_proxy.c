/*
 * Fuzz target: the PROXY header decoder (server/proxy.c).  A header it
 * accepts lies within the bytes and the longest form; every prefix of it
 * is "need more"; and a reader that takes what proxy_want says, or up to
 * a LF, reaches its end exactly, never a byte past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_hdr h, g;
	size_t have = 0, want, k, i;
	enum proxy_status st;

	st = proxy_parse(data, size, &h);
	if (st == PROXY_MORE && size >= PROXY_LEN_MAX)
		abort();
	if (st == PROXY_BAD && h.why == NULL)
		abort();
	if (st != PROXY_OK)
		return 0;
	if (h.len == 0 || h.len > size || h.len > PROXY_LEN_MAX ||
	    (h.version != 1 && h.version != 2) || (h.local && h.has_addr))
		abort();
	if (h.has_addr && h.src.ss_family != AF_INET &&
	    h.src.ss_family != AF_INET6)
		abort();
	for (i = 0; i < h.len; i++)
		if (proxy_parse(data, i, &g) != PROXY_MORE)
			abort();
	while (proxy_parse(data, have, &g) == PROXY_MORE) {
		if ((want = proxy_want(data, have)) == 0) {
			for (k = have; k < size && data[k] != '\n'; k++)
				;
			want = k < size ? k + 1 - have : size - have;
		}
		if (want == 0 || have + want > h.len)
			abort();
		have += want;
	}
	if (have != h.len || proxy_parse(data, have, &g) != PROXY_OK ||
	    g.len != h.len)
		abort();
	return 0;
}
