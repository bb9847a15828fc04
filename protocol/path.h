/*
 * The name rules of protocol.md section 5, as pure functions: what a path
 * or a single name may look like, and what a path typed against a
 * directory resolves to.  Where a valid path leads is the server's jail's
 * business.
 */
#ifndef PATH_H
#define PATH_H

#include <stddef.h>

enum path_status {
	PATH_OK = 0,
	PATH_EMPTY,		/* "" (a listing of the root may allow it) */
	PATH_ABSOLUTE,		/* starts with '/' */
	PATH_EMPTY_COMPONENT,	/* "a//b", trailing '/' */
	PATH_DOT_COMPONENT,	/* "." or ".." as a component */
	PATH_NOT_PRINTABLE,	/* not printable UTF-8 text */
	PATH_COMPONENT_TOO_LONG,/* a component over 255 bytes */
	PATH_TOO_LONG,		/* over 1024 bytes: malformed, not a bad name */
};

/*
 * The length in bytes of the character at s[0..len) when it is printable
 * UTF-8 (section 5): a well-formed RFC 3629 sequence, neither overlong nor
 * a surrogate nor above U+10FFFF, that is not a control character
 * (U+0000-U+001F, U+007F-U+009F), a line or paragraph separator, or a
 * bidirectional formatting character.  0 when it is not, or len is 0.
 * The one reading of the rule: names, listings and escaping all use it.
 */
size_t	path_utf8_char(const unsigned char *s, size_t len);

/* 1 when all of s[0..len) is printable UTF-8 text. */
int	path_text_printable(const char *s, size_t len);

/*
 * Checks path[0..len) against section 5.  An empty path is PATH_EMPTY;
 * callers that serve a listing of the root accept it.  Every failure but
 * PATH_TOO_LONG is answered with ERR 7.
 */
enum path_status path_check(const char *path, size_t len);

/* A short English description of a status, for ERR messages. */
const char *path_status_str(enum path_status st);

/*
 * 1 when name is usable as one component: non-empty, printable UTF-8, at
 * most 255 bytes, no '/', not "." or "..".  Dot-files are valid.
 */
int	path_name_valid(const char *name);

/*
 * Splits a valid path into its parent ("" for the root) and its last
 * component, which points into path.  parent has PATH_LEN_MAX + 1 bytes.
 */
void	path_split(const char *path, char *parent, const char **name);

/*
 * Resolves arg against the directory cwd (a path as requests carry it,
 * "" for the root) the way a shell would: a leading '/' starts from the
 * root, "." and empty components go, ".." climbs but never above the
 * root.  Writes the path a request would carry ("" for the root) into
 * out[0..size).  Returns PATH_OK, or PATH_TOO_LONG when cwd and arg
 * together or the result would be longer than PATH_LEN_MAX or size
 * allows (out is then not a result).  The components are not checked:
 * path_check and the server do that.
 */
enum path_status path_resolve(const char *cwd, const char *arg, char *out,
	    size_t size);

#endif
