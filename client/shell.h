/*
 * The ways commands reach the client: one line at a time from a batch
 * file or standard input, or an interactive shell with libedit's line
 * editing, history and tab completion (interface.md, "client").
 */
#ifndef SHELL_H
#define SHELL_H

#include <stdio.h>

#include "commands.h"

/*
 * Runs the commands of f, one a line, and returns the exit status: the
 * first failure stops it, unless its line starts with '-'.
 */
int	shell_batch(struct client *c, FILE *f);

/* The interactive shell on the terminal; returns the exit status. */
int	shell_interactive(struct client *c);

#endif
