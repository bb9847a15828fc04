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
	const char *line = (const char *)data, *end = line + size, *nl;
	int n;

	while (line < end) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if (listing_parse(line, (size_t)(nl - line), &e) == 0) {
			n = listing_format(out, sizeof(out), &e);
			if (n < 1 || listing_parse(out, (size_t)n - 1, &f) != 0 ||
			    f.type != e.type || f.size != e.size ||
			    f.mtime != e.mtime || strcmp(f.name, e.name) != 0)
				abort();
		}
		line = nl + 1;
	}
	return 0;
}
