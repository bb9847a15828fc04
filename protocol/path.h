/*
 * The name rules of protocol.md section 5, as pure functions: what a path
 * or a single name may look like.  Where a valid path leads is the server's
 * jail's business.
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
	PATH_NOT_PRINTABLE,	/* a byte outside 0x20-0x7e */
	PATH_COMPONENT_TOO_LONG,/* a component over 255 bytes */
	PATH_TOO_LONG,		/* over 1024 bytes: malformed, not a bad name */
};

/*
 * Checks path[0..len) against section 5.  An empty path is PATH_EMPTY;
 * callers that serve a listing of the root accept it.  Every failure but
 * PATH_TOO_LONG is answered with ERR 7.
 */
enum path_status path_check(const char *path, size_t len);

/* A short English description of a status, for ERR messages. */
const char *path_status_str(enum path_status st);

/*
 * 1 when name is usable as one component: non-empty, printable, at most
 * 255 bytes, no '/', not "." or "..".  Dot-files are valid.
 */
int path_name_valid(const char *name);

#endif
