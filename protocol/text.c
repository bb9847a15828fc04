/* Escaping of peer text (see text.h), through libbsd's strnvisx. */
#include <vis.h>

#include "text.h"

void
text_escape(char *dst, size_t size, const char *src, size_t len)
{
	if (size == 0)
		return;
	/* Full: strnvisx fails, having written a valid prefix. */
	if (strnvisx(dst, size, src, len, VIS_CSTYLE | VIS_OCTAL | VIS_TAB |
	    VIS_NL) == -1)
		dst[size - 1] = '\0';
}
