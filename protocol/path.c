/*
 * The name rules (protocol.md section 5).  The check is syntax only: it
 * never touches the file system, so it can run before anything is opened.
 */
#include <string.h>

#include "proto_limits.h"
#include "packet.h"
#include "path.h"

enum path_status
path_check(const char *path, size_t len)
{
	size_t start, end;

	if (len == 0)
		return PATH_EMPTY;
	if (len > PATH_LEN_MAX)
		return PATH_TOO_LONG;
	if (!pkt_printable(path, len))
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
		[PATH_NOT_PRINTABLE] = "non-printable byte in name",
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
