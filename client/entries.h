/*
 * rm, rmdir and rename (interface.md): the users extension's requests
 * DEL, RMD and RNM (docs/protocol.md, "Delete and rename"), which a
 * server grants only over TLS to a user with the delete right.  The
 * command table (commands.c) names these handlers.
 */
#ifndef ENTRIES_H
#define ENTRIES_H

#include "client.h"

/* rm PATH...: each a name or a pattern, each match removed (DEL). */
int	entries_rm(struct client *c, int argc, char **argv);

/* rmdir PATH: one empty directory (RMD). */
int	entries_rmdir(struct client *c, int argc, char **argv);

/* rename FROM TO: never replacing (RNM). */
int	entries_rename(struct client *c, int argc, char **argv);

#endif
