/*
 * The name rules (protocol.md section 5), and resolving a path against a
 * directory.  Both are syntax only: they never touch the file system, so
 * they can run before anything is opened.
 */
#include <stdint.h>
#include <string.h>

#include "proto_limits.h"
#include "path.h"

/* A continuation byte: 10xxxxxx. */
#define CONT(b)	(((b) & 0xc0) == 0x80)

/*
 * Code points that are valid UTF-8 but may not stand in a name: they
 * control a terminal or can hide or disguise text (section 5).
 */
static int
forbidden(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    cp == 0x2028 || cp == 0x2029 ||		/* separators */
	    cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) ||		/* bidi embeddings */
	    (cp >= 0x2066 && cp <= 0x2069);		/* bidi isolates */
}

size_t
path_utf8_char(const unsigned char *s, size_t len)
{
	uint32_t cp, min;
	size_t n, i;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		n = 1;
		cp = s[0];
		min = 0;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;	/* a continuation byte, or 0xf8-0xff */
	if (len < n)
		return 0;	/* truncated */
	for (i = 1; i < n; i++) {
		if (!CONT(s[i]))
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    forbidden(cp))
		return 0;	/* overlong, too large, surrogate, control */
	return n;
}

int
path_text_printable(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if ((n = path_utf8_char(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

enum path_status
path_check(const char *path, size_t len)
{
	size_t start, end;

	if (len == 0)
		return PATH_EMPTY;
	if (len > PATH_LEN_MAX)
		return PATH_TOO_LONG;
	if (!path_text_printable(path, len))
		return PATH_NOT_PRINTABLE;
	if (path[0] == '/')
		return PATH_ABSOLUTE;
	for (start = 0; start <= len; start = end + 1) {
		end = start;
		while (end < len && path[end] != '/')
			end++;
		if (end == start)
			return PATH_EMPTY_COMPONENT;
		if (end - start > COMPONENT_LEN_MAX)
			return PATH_COMPONENT_TOO_LONG;
		if (path[start] == '.' && (end - start == 1 ||
		    (end - start == 2 && path[start + 1] == '.')))
			return PATH_DOT_COMPONENT;
	}
	return PATH_OK;
}

const char *
path_status_str(enum path_status st)
{
	static const char *const text[] = {
		[PATH_OK] = "valid name",
		[PATH_EMPTY] = "empty file name",
		[PATH_ABSOLUTE] = "absolute path",
		[PATH_EMPTY_COMPONENT] = "empty path component",
		[PATH_DOT_COMPONENT] = "'.' or '..' in path",
		[PATH_NOT_PRINTABLE] = "not printable UTF-8 text",
		[PATH_COMPONENT_TOO_LONG] = "path component over 255 bytes",
		[PATH_TOO_LONG] = "path over 1024 bytes",
	};

	if ((size_t)st >= sizeof(text) / sizeof(text[0]))
		return "bad file name";
	return text[st];
}

int
path_name_valid(const char *name)
{
	size_t len = strnlen(name, COMPONENT_LEN_MAX + 1);

	return len <= COMPONENT_LEN_MAX && memchr(name, '/', len) == NULL &&
	    path_check(name, len) == PATH_OK;
}

void
path_split(const char *path, char *parent, const char **name)
{
	const char *slash = strrchr(path, '/');
	size_t plen = slash != NULL ? (size_t)(slash - path) : 0;

	if (plen > PATH_LEN_MAX)
		plen = PATH_LEN_MAX;
	memcpy(parent, path, plen);
	parent[plen] = '\0';
	*name = slash != NULL ? slash + 1 : path;
}

enum path_status
path_resolve(const char *cwd, const char *arg, char *out, size_t size)
{
	char work[2 * PATH_LEN_MAX + 2];
	size_t len = 0, clen;
	const char *c, *end;

	if (size == 0)
		return PATH_TOO_LONG;
	if (arg[0] == '/')
		work[0] = '\0';
	else if (strlcpy(work, cwd, sizeof(work)) >= sizeof(work))
		return PATH_TOO_LONG;
	if (work[0] != '\0' && strlcat(work, "/", sizeof(work)) >=
	    sizeof(work))
		return PATH_TOO_LONG;
	if (strlcat(work, arg, sizeof(work)) >= sizeof(work))
		return PATH_TOO_LONG;
	out[0] = '\0';
	for (c = work; *c != '\0'; c = *end ? end + 1 : end) {
		end = strchr(c, '/');
		if (end == NULL)
			end = c + strlen(c);
		clen = (size_t)(end - c);
		if (clen == 0 || (clen == 1 && c[0] == '.'))
			continue;
		if (clen == 2 && c[0] == '.' && c[1] == '.') {
			/* Climb, but never above the root. */
			while (len > 0 && out[len - 1] != '/')
				len--;
			len = len > 0 ? len - 1 : 0;
			out[len] = '\0';
			continue;
		}
		if (len + (len ? 1 : 0) + clen + 1 > size ||
		    len + (len ? 1 : 0) + clen > PATH_LEN_MAX)
			return PATH_TOO_LONG;
		if (len)
			out[len++] = '/';
		memcpy(out + len, c, clen);
		len += clen;
		out[len] = '\0';
	}
	return PATH_OK;
}
