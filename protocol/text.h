/*
 * Peer text made safe to show: a name, greeting, ERR message or listing
 * from the other end reaches a log or terminal only through text_escape.
 */
#ifndef TEXT_H
#define TEXT_H

#include <stddef.h>

/* Room text_escape needs for len bytes: each may become four ("\ooo"). */
#define TEXT_ESCAPED_LEN(len)	(4 * (len) + 1)

/*
 * Writes src[0..len) into dst[0..size) with control, non-ASCII and
 * backslash bytes escaped C-style (strnvisx); always terminated, cut short
 * when dst is too small.
 */
void	text_escape(char *dst, size_t size, const char *src, size_t len);

#endif
