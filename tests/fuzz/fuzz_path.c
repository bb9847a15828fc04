/*
 * Fuzz target: the name rules.  path_text_printable must agree, both
 * ways, with a second, naive reading of section 5 written from Unicode's
 * table of well-formed byte sequences (Table 3-7) rather than from bit
 * arithmetic; a path path_check accepts must have none of what section 5
 * forbids.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "proto_limits.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Table 3-7: each row is a sequence's allowed range, byte by byte. */
static const struct {
	int n;
	uint8_t lo[4], hi[4];
} wellformed[] = {
	{ 1, { 0x00 }, { 0x7f } },
	{ 2, { 0xc2, 0x80 }, { 0xdf, 0xbf } },
	{ 3, { 0xe0, 0xa0, 0x80 }, { 0xe0, 0xbf, 0xbf } },
	{ 3, { 0xe1, 0x80, 0x80 }, { 0xec, 0xbf, 0xbf } },
	{ 3, { 0xed, 0x80, 0x80 }, { 0xed, 0x9f, 0xbf } },
	{ 3, { 0xee, 0x80, 0x80 }, { 0xef, 0xbf, 0xbf } },
	{ 4, { 0xf0, 0x90, 0x80, 0x80 }, { 0xf0, 0xbf, 0xbf, 0xbf } },
	{ 4, { 0xf1, 0x80, 0x80, 0x80 }, { 0xf3, 0xbf, 0xbf, 0xbf } },
	{ 4, { 0xf4, 0x80, 0x80, 0x80 }, { 0xf4, 0x8f, 0xbf, 0xbf } },
};

/* Section 5's forbidden code points, as closed ranges. */
static const uint32_t banned[][2] = {
	{ 0x0000, 0x001f }, { 0x007f, 0x009f }, { 0x061c, 0x061c },
	{ 0x200e, 0x200f }, { 0x2028, 0x2029 }, { 0x202a, 0x202e },
	{ 0x2066, 0x2069 },
};

static int
naive_printable(const uint8_t *s, size_t len)
{
	size_t i = 0, r, k;
	uint32_t cp;
	int n;

	while (i < len) {
		for (r = 0; r < sizeof(wellformed) / sizeof(wellformed[0]);
		    r++) {
			n = wellformed[r].n;
			if ((size_t)n > len - i)
				continue;
			for (k = 0; k < (size_t)n; k++)
				if (s[i + k] < wellformed[r].lo[k] ||
				    s[i + k] > wellformed[r].hi[k])
					break;
			if (k == (size_t)n)
				break;
		}
		if (r == sizeof(wellformed) / sizeof(wellformed[0]))
			return 0;
		n = wellformed[r].n;
		cp = n == 1 ? s[i] : (uint32_t)(s[i] & (0x7f >> n));
		for (k = 1; k < (size_t)n; k++)
			cp = cp * 64 + (s[i + k] & 0x3f);
		for (k = 0; k < sizeof(banned) / sizeof(banned[0]); k++)
			if (cp >= banned[k][0] && cp <= banned[k][1])
				return 0;
		i += (size_t)n;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t i, start = 0;

	if (path_text_printable((const char *)data, size) !=
	    naive_printable(data, size))
		abort();
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (path_check(s, size) == PATH_OK) {
		if (size == 0 || size > PATH_LEN_MAX || s[0] == '/' ||
		    !naive_printable(data, size))
			abort();
		for (i = 0; i <= size; i++) {
			if (i == size || s[i] == '/') {
				if (i == start || i - start > COMPONENT_LEN_MAX ||
				    (i - start == 1 && s[start] == '.') ||
				    (i - start == 2 && s[start] == '.' &&
				    s[start + 1] == '.'))
					abort();
				start = i + 1;
			}
		}
	}
	if (path_name_valid(s) && (strchr(s, '/') != NULL ||
	    path_check(s, strlen(s)) != PATH_OK))
		abort();
	free(s);
	return 0;
}
