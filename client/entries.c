/*
 * rm, rmdir and rename (see entries.h).  The server decides what may be
 * removed (a directory is no file for DEL, RMD takes only an empty
 * directory, RNM never replaces); the client only refuses, before
 * anything is sent, where no server could grant them: in plaintext.
 * Each failure is one line naming the command and the remote path.
 */
#include <stdlib.h>
#include <string.h>

#include "entries.h"
#include "expand.h"
#include "pattern.h"

static int	users_only(const struct client *, const char *);
static int	entry(struct client *, const char *, enum pkt_op,
		    const char *, const char *);

/*
 * The requests exist only over TLS, for users (a plaintext server
 * closes on them as on any unknown opcode): refused here, nothing sent.
 */
static int
users_only(const struct client *c, const char *cmd)
{
	if (c->cfg->tls)
		return RC_OK;
	return command_report(RC_FAILED, "%s: only over TLS, as a user with "
	    "the delete right (client --tls; server --tls --users)", cmd);
}

/*
 * One request, and its line when it fails.  The client connects first,
 * so that a connection lost after that may have lost the answer, not
 * the request: then whether the change was made is not known, and the
 * line says so, never that it failed.
 */
static int
entry(struct client *c, const char *cmd, enum pkt_op op, const char *path,
    const char *to)
{
	int rc;

	if ((rc = remote_connect(&c->remote, 0)) != RC_OK)
		return command_report(rc, "%s %s: %s", cmd,
		    command_show(c, path), c->remote.why);
	if ((rc = remote_entry(&c->remote, op, path, to)) == RC_LOST)
		return command_report(rc, "%s %s: %s; whether it was done is "
		    "not known", cmd, command_show(c, path), c->remote.why);
	if (rc != RC_OK)
		return command_report(rc, "%s %s: %s", cmd,
		    command_show(c, path), c->remote.why);
	return RC_OK;
}

int
entries_rm(struct client *c, int argc, char **argv)
{
	struct names paths = { NULL, NULL, 0, 0 };
	int i, rc = RC_OK, one;
	size_t k;

	if (users_only(c, "rm") != RC_OK)
		return RC_FAILED;
	/* Every pattern expanded first: a listing, then the removals. */
	for (i = 1; i < argc && rc != RC_LOST; i++)
		rc = command_worst(rc, expand_remote(c, "rm", argv[i],
		    &paths));
	/*
	 * A match listed as a directory goes too: the server refuses a
	 * directory, and removes a link to one (the listing shows a link as
	 * what it points to).
	 */
	for (k = 0; k < paths.n && rc != RC_LOST; k++) {
		one = entry(c, "rm", PKT_DEL, paths.v[k], NULL);
		rc = command_worst(rc, one);
		/* ERR 4: this server knows no DEL, for the next name either. */
		if (one != RC_OK && c->remote.errcode == ERR_ILLEGAL)
			break;
	}
	names_free(&paths);
	return rc;
}

int
entries_rmdir(struct client *c, int argc, char **argv)
{
	char path[PATH_LEN_MAX + 1];

	(void)argc;
	if (users_only(c, "rmdir") != RC_OK ||
	    expand_path(c, "rmdir", argv[1], path, sizeof(path)) != RC_OK)
		return RC_FAILED;
	return entry(c, "rmdir", PKT_RMD, path, NULL);
}

int
entries_rename(struct client *c, int argc, char **argv)
{
	char from[PATH_LEN_MAX + 1], to[PATH_LEN_MAX + 1];

	(void)argc;
	if (users_only(c, "rename") != RC_OK ||
	    expand_path(c, "rename", argv[1], from, sizeof(from)) != RC_OK ||
	    expand_path(c, "rename", argv[2], to, sizeof(to)) != RC_OK)
		return RC_FAILED;
	return entry(c, "rename", PKT_RNM, from, to);
}
