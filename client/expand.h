/*
 * Command arguments as lists of names (interface.md, "Patterns"): a
 * REMOTE argument becomes request paths, its pattern matched against a
 * listing of its directory; a LOCAL one goes through glob(3).  What is
 * done with the names is transfers.c's; what a pattern is, pattern.c's.
 */
#ifndef EXPAND_H
#define EXPAND_H

#include <sys/stat.h>

#include "client.h"
#include "pattern.h"

/*
 * What one command may take from a server's listings: at most left
 * names more (LOCAL_ENTRIES_MAX for the command as a whole), so an
 * endless listing or an endless tree costs a bounded amount of memory.
 * what names the command in its lines ("get -r dir").
 */
struct expand_budget {
	const char *what;
	size_t left;		/* names that may still be taken */
	size_t skipped;		/* names passed over, each reported */
	int over;		/* a listing had more than left */
};

/*
 * Appends the valid entries of the remote directory dir (a request path)
 * whose names match pattern (NULL: all) to out, as full paths with their
 * types, taking them from b's left.  A name that is not a valid protocol
 * name is passed over with one line saying so, and counted in b's
 * skipped.  RC_OK, or as remote_download with the reason in
 * c->remote.why; past the budget RC_FAILED with b's over set.
 */
int	expand_entries(struct client *c, const char *dir, struct names *out,
	    const char *pattern, struct expand_budget *b);

/*
 * A REMOTE argument without a pattern as a request path: its escapes
 * undone, resolved against the remote directory.  RC_OK, or RC_FAILED
 * after reporting why.
 */
int	expand_path(struct client *c, const char *cmd, const char *arg,
	    char *path, size_t size);

/*
 * A REMOTE argument with a pattern, split: the request path of its
 * directory into dir, and the pattern of its last component (the only
 * one that may have one) into *pattern, which points into arg.  RC_OK,
 * or RC_FAILED after reporting why.
 */
int	expand_split(struct client *c, const char *cmd, const char *arg,
	    char *dir, size_t dirsize, const char **pattern);

/*
 * Appends a REMOTE argument of command cmd to out as request paths:
 * itself, type unknown, or what its pattern matches in its directory
 * (the last component only may be one).  RC_OK, or RC_FAILED or RC_LOST
 * after reporting why.
 */
int	expand_remote(struct client *c, const char *cmd, const char *arg,
	    struct names *out);

/*
 * Appends a LOCAL argument of command cmd to out: itself, or what glob(3)
 * makes of it.  RC_OK, or RC_FAILED after reporting why.
 */
int	expand_local(const char *cmd, const char *arg, struct names *out);

/*
 * A local directory put -r reads, depth levels below its top: name in
 * parentfd, the user's as given when seen is NULL, else the entry as
 * lstat saw it, never through a link; its names sorted into out.  local
 * names it in lines.  Deeper than TREE_DEPTH_MAX it is passed over.  The
 * directory's descriptor, or -1 after reporting why.
 */
int	expand_local_dir(struct client *c, int parentfd, const char *name,
	    const struct stat *seen, const char *local, int depth,
	    struct names *out);

#endif
