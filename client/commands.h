/*
 * The client's commands, one table (style.md section 8): each row has the
 * name, argument counts, what completes each argument, the usage, the
 * help line and the whole use, and the handler.  help and tab completion
 * read the same rows.
 */
#ifndef COMMANDS_H
#define COMMANDS_H

#include <stddef.h>

#include "client.h"

/* The most arguments a command takes (get and put: many names). */
#define ARGS_PER_COMMAND	255

/* A handler's result beyond the R_* statuses of remote.h. */
#define CMD_QUIT	(-1)

struct command {
	const char *name;
	int min_args, max_args;
	/* One letter per argument: 'R' remote, 'L' local, 'C' command. */
	const char *complete;
	const char *usage;
	const char *help;		/* its line of help */
	/* help COMMAND: each flag, what the operands default to, an
	 * example; lines ending in a newline. */
	const char *more;
	int	(*run)(struct client *c, int argc, char **argv);
};

/* The row for name, or NULL. */
const struct command *command_find(const char *name);

/* The row at index i, or NULL past the end: for listing and completion. */
const struct command *command_at(size_t i);

/*
 * Runs argv[0] with its arguments.  Prints what the command shows, and on
 * failure one line on standard error.  Returns RC_OK, RC_FAILED, RC_LOST or
 * CMD_QUIT.
 */
int	command_run(struct client *c, int argc, char **argv);

/*
 * Checks argv against the table without running it: 0, or -1 after
 * printing why (unknown command, wrong number of arguments).
 */
int	command_check(int argc, char **argv);

#endif
