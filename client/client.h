/*
 * The whole client as its commands see it (the configuration, the
 * session with the server, the progress bar, the flags of get and put),
 * and how a command reports: what every command module (commands.c,
 * transfers.c, expand.c, the pipeline) shares, kept apart from the
 * command table so that none of them includes another's header.  The
 * reporting lives in report.c.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include "args.h"
#include "progress.h"
#include "remote.h"

/* The whole client, as commands see it. */
struct client {
	const struct client_config *cfg;
	struct remote remote;
	struct progress progress;
};

/*
 * The per-command flags of get and put (interface.md): commands.c parses
 * them, transfers.c and the pipeline (pipeline.c, pipeline_run.c) follow
 * them.
 */
struct transfer_flags {
	int append;		/* -a: resume, keep LOCAL.part */
	int force;		/* -f: get may overwrite */
	int recursive;		/* -r: trees */
	int preserve;		/* -p: modes too (times always) */
	int checksum;		/* -c: a file in place needs the same digest */
};

/*
 * A command's failure: the line fmt makes on standard error, standard
 * output flushed first so that the two interleave as they happened.
 * Returns status, for "return command_report(RC_FAILED, ...)".
 */
int	command_report(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * A name made fit to print in the user's character set (text_escape with
 * the client's flags).  Four static buffers in turn, so one report line
 * can show a few names; not reentrant.
 */
const char *command_show(const struct client *c, const char *s);

/* The outcome of several: a lost connection beats a failure. */
int	command_worst(int a, int b);

/* The last component of a path: a file's name for its bar. */
const char *command_base(const char *path);

/* Ends a file's progress bar, its summary saying how it was checked. */
void	command_bar_stop(struct client *c, int ok);

#endif
