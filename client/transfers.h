/*
 * get and put over several files and trees (interface.md): the arguments
 * expanded (expand.h), then each file moved through the session
 * (remote.h) between local files (localfile.h, local_sink.h), a
 * directory with -r depth first.  The commands' table and flags are commands.c's.
 */
#ifndef TRANSFERS_H
#define TRANSFERS_H

#include "client.h"

/*
 * get REMOTE... [LOCAL], its flags already taken off: args[0..nargs),
 * nargs at least 1.  Reports each failure and goes on; returns RC_OK,
 * or RC_FAILED or RC_LOST when any file failed (the worst of them).
 */
int	transfer_get(struct client *c, const struct transfer_flags *f,
	    int nargs, char **args);

/* put LOCAL... [REMOTE], as transfer_get. */
int	transfer_put(struct client *c, const struct transfer_flags *f,
	    int nargs, char **args);

#endif
