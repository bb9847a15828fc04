/*
 * Remote listings for the client's commands: taken line by line as they
 * arrive, so that a directory of a million entries costs one line of
 * memory; and a listing's success as the proof that a path is a
 * directory.  Built on remote_download (remote.h).
 */
#ifndef REMOTE_LIST_H
#define REMOTE_LIST_H

#include <stddef.h>

#include "remote.h"

/*
 * Lists path line by line as it arrives: fn gets each line without its
 * newline (one longer than a listing line may be comes cut to that
 * length), and returns 0, or -1 with errno to stop.  As remote_download.
 */
typedef int	(*remote_line_fn)(void *ctx, const char *line, size_t len);
int	remote_list_lines(struct remote *r, const char *path,
	    remote_line_fn fn, void *ctx);

/* RC_OK when path lists as a directory, RC_FAILED when not, RC_LOST. */
int	remote_is_dir(struct remote *r, const char *path);

#endif
