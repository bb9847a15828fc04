/*
 * Peer text made safe to show: a name, greeting, ERR message or listing
 * from the other end reaches a log or terminal only through text_escape.
 */
#ifndef TEXT_H
#define TEXT_H

#include <stddef.h>

/* Room text_escape needs for len bytes: each may become four ("\ooo"). */
#define TEXT_ESCAPED_LEN(len)	(4 * (len) + 1)

/* Flags of text_escape. */
#define TEXT_UTF8	0x1	/* printable UTF-8 (section 5) shown as is */
#define TEXT_QUOTE	0x2	/* '"' escaped too, for a quoted log field */

/*
 * Writes src[0..len) into dst[0..size), C-style: a backslash as "\\",
 * newline, tab and carriage return as "\n", "\t", "\r", every other byte
 * that is not printable as "\ooo".  Printable ASCII passes; so does
 * printable UTF-8 with TEXT_UTF8, else its bytes are escaped.  Always
 * terminated; when dst is too small the text is cut at a character or
 * escape boundary, never inside one and never past dst[size - 1].
 */
void	text_escape(char *dst, size_t size, const char *src, size_t len,
	    unsigned flags);

#endif
