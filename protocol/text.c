/*
 * Escaping of peer text (see text.h).  Written out rather than through
 * strnvisx, whose handling of a full buffer wrote one byte past it
 * (issue 13): here every write is checked against the room left.
 */
#include <stdio.h>
#include <string.h>

#include "path.h"
#include "text.h"

void
text_escape(char *dst, size_t size, const char *src, size_t len,
    unsigned flags)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, n, out;
	char esc[5];
	const char *piece;

	if (size == 0)
		return;
	while (i < len) {
		n = 1;
		piece = esc;
		if (s[i] == '\\' || s[i] == '\n' || s[i] == '\t' ||
		    s[i] == '\r' || (s[i] == '"' && (flags & TEXT_QUOTE))) {
			esc[0] = '\\';
			esc[1] = s[i] == '\n' ? 'n' : s[i] == '\t' ? 't' :
			    s[i] == '\r' ? 'r' : (char)s[i];
			esc[2] = '\0';
			out = 2;
		} else if (s[i] >= 0x20 && s[i] < 0x7f) {
			piece = src + i;
			out = 1;
		} else if ((flags & TEXT_UTF8) && s[i] >= 0x80 &&
		    (n = path_utf8_char(s + i, len - i)) > 0) {
			piece = src + i;
			out = n;
		} else {
			n = 1;
			snprintf(esc, sizeof(esc), "\\%03o", s[i]);
			out = 4;
		}
		if (out >= size - o)
			break;		/* no room for it and the NUL */
		memcpy(dst + o, piece, out);
		o += out;
		i += n;
	}
	dst[o] = '\0';
}
