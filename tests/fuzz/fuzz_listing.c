/*
 * Fuzz target: the client's listing parser, fed a server's listing text.
 * Every line it accepts formats to a line that parses to the same entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listing.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[LISTING_LINE_MAX + 1];
	struct listing_entry e, f;
	const char *line;
	size_t pos = 0, len;
	int n;

	while ((line = listing_next_line((const char *)data, size, &pos,
	    &len)) != NULL) {
		if (line < (const char *)data || len > size ||
		    line + len > (const char *)data + size)
			abort();
		if (listing_parse(line, len, &e) == 0) {
			n = listing_format(out, sizeof(out), &e);
			if (n < 1 || listing_parse(out, (size_t)n - 1, &f) != 0 ||
			    f.type != e.type || f.size != e.size ||
			    f.mtime != e.mtime || strcmp(f.name, e.name) != 0)
				abort();
		}
	}
	return 0;
}
