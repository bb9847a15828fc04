/*
 * Fuzz target: the name rules.  A path path_check accepts has none of
 * what section 5 forbids, checked here by a second, naive reading.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "proto_limits.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t i, start = 0;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (path_check(s, size) == PATH_OK) {
		if (size == 0 || size > PATH_LEN_MAX || s[0] == '/')
			abort();
		for (i = 0; i <= size; i++) {
			if (i < size && (data[i] < 0x20 || data[i] > 0x7e))
				abort();
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
