/*
 * Command arguments as lists of names (see expand.h): patterns matched
 * against a remote listing or by glob(3).  The transfers that take the
 * names are transfers.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expand.h"
#include "listing.h"
#include "local_limits.h"
#include "localfile.h"
#include "path.h"
#include "remote_list.h"

/* What expand_entries gathers, line by line. */
struct entries_ctx {
	struct client *c;
	const char *dir, *pattern;
	struct names *out;
	struct expand_budget *b;
};

static int	entry_line(void *, const char *, size_t);

static int
entry_line(void *ctx, const char *line, size_t len)
{
	struct entries_ctx *ec = ctx;
	char full[PATH_LEN_MAX + 1];
	struct listing_entry e;

	if (listing_parse(line, len, &e) == -1 || (ec->pattern != NULL &&
	    fnmatch(ec->pattern, e.name, FNM_PERIOD) != 0))
		return 0;
	/* Every name counts, so a flood of bad ones is bounded too. */
	if (ec->b->left == 0) {
		ec->b->over = 1;
		errno = E2BIG;
		return -1;
	}
	ec->b->left--;
	/* Only a valid name, never a path, is taken from a server. */
	if (!path_name_valid(e.name) ||
	    names_join(full, sizeof(full), ec->dir, e.name) == -1) {
		ec->b->skipped++;
		(void)command_report(RC_FAILED, "%s: %s/%s: not a valid name; "
		    "skipped", ec->b->what, command_show(ec->c, ec->dir),
		    command_show(ec->c, e.name));
		return 0;
	}
	return names_add(ec->out, full, e.type);
}

int
expand_entries(struct client *c, const char *dir, struct names *out,
    const char *pattern, struct expand_budget *b)
{
	struct entries_ctx ec = { c, dir, pattern, out, b };
	int rc;

	rc = remote_list_lines(&c->remote, dir, entry_line, &ec);
	if (b->over && rc == RC_OK)
		rc = RC_FAILED;
	if (b->over)
		snprintf(c->remote.why, sizeof(c->remote.why), "more than %d "
		    "entries; stopped", LOCAL_ENTRIES_MAX);
	return rc;
}

int
expand_path(struct client *c, const char *cmd, const char *arg, char *path,
    size_t size)
{
	char plain[PATH_LEN_MAX + 1];

	if (pattern_unescape(arg, plain, sizeof(plain)) == -1 ||
	    path_resolve(c->remote.cwd, plain, path, size) != PATH_OK)
		return command_report(RC_FAILED, "%s %s: path too long", cmd,
		    command_show(c, arg));
	return RC_OK;
}

int
expand_split(struct client *c, const char *cmd, const char *arg, char *dir,
    size_t dirsize, const char **pattern)
{
	char head[PATH_LEN_MAX + 1];
	const char *slash = strrchr(arg, '/');

	*pattern = slash != NULL ? slash + 1 : arg;
	snprintf(head, sizeof(head), "%.*s", slash != NULL ? (int)(slash -
	    arg + 1) : 0, arg);
	if (pattern_has_magic(head))
		return command_report(RC_FAILED, "%s %s: a pattern may stand "
		    "in the last component only", cmd, command_show(c, arg));
	if (expand_path(c, cmd, head, dir, dirsize) != RC_OK)
		return RC_FAILED;
	return RC_OK;
}

int
expand_remote(struct client *c, const char *cmd, const char *arg,
    struct names *out)
{
	char path[PATH_LEN_MAX + 1];
	const char *pattern;
	struct expand_budget b = { cmd, LOCAL_ENTRIES_MAX, 0, 0 };
	size_t before = out->n;
	int rc;

	if (!pattern_has_magic(arg)) {
		if (expand_path(c, cmd, arg, path, sizeof(path)) != RC_OK)
			return RC_FAILED;
		if (names_add(out, path, '?') == -1)
			return command_report(RC_FAILED, "%s: out of memory",
			    cmd);
		return RC_OK;
	}
	if ((rc = expand_split(c, cmd, arg, path, sizeof(path), &pattern)) !=
	    RC_OK)
		return rc;
	if ((rc = expand_entries(c, path, out, pattern, &b)) != RC_OK &&
	    b.over) {
		/* Past the bound, none of it: the command does nothing. */
		while (out->n > before)
			free(out->v[--out->n]);
		return command_report(rc, "%s %s: %s", cmd,
		    command_show(c, arg), c->remote.why);
	}
	if (rc != RC_OK)
		return command_report(rc, "%s %s: %s", cmd,
		    command_show(c, arg), c->remote.why);
	if (out->n == before)
		return command_report(RC_FAILED, "%s %s: no match", cmd,
		    command_show(c, arg));
	return RC_OK;
}

int
expand_local(const char *cmd, const char *arg, struct names *out)
{
	char plain[LOCAL_PATH_SIZE];
	glob_t g;
	size_t i;
	int rc = RC_OK;

	if (!pattern_has_magic(arg)) {
		if (pattern_unescape(arg, plain, sizeof(plain)) == -1)
			return command_report(RC_FAILED, "%s %s: path too long",
			    cmd, arg);
		if (names_add(out, plain, '?') == -1)
			return command_report(RC_FAILED, "%s: out of memory",
			    cmd);
		return RC_OK;
	}
	memset(&g, 0, sizeof(g));
	switch (glob(arg, 0, NULL, &g)) {
	case 0:
		break;
	case GLOB_NOMATCH:
		globfree(&g);
		return command_report(RC_FAILED, "%s %s: no match", cmd, arg);
	default:
		globfree(&g);
		return command_report(RC_FAILED, "%s %s: %s", cmd, arg,
		    strerror(errno));
	}
	for (i = 0; i < g.gl_pathc && rc == RC_OK; i++)
		if (names_add(out, g.gl_pathv[i], '?') == -1)
			rc = command_report(RC_FAILED, "%s: out of memory",
			    cmd);
	globfree(&g);
	return rc;
}

int
expand_local_dir(struct client *c, int parentfd, const char *name,
    const struct stat *seen, const char *local, int depth,
    struct names *out)
{
	int dirfd;

	if (depth > TREE_DEPTH_MAX)
		return command_report(-1, "put %s: more than %d levels deep; "
		    "skipped", command_show(c, local), TREE_DEPTH_MAX);
	dirfd = seen == NULL ? openat(parentfd, name, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC) : local_subdir_open(parentfd, name, seen);
	if (dirfd == -1)
		return command_report(-1, "put %s: %s", command_show(c, local),
		    errno == ELOOP ? "not a directory (a link is not "
		    "followed)" : strerror(errno));
	if (local_dir_names(dirfd, out) == -1) {
		close(dirfd);
		return command_report(-1, "put %s: %s", command_show(c, local),
		    errno == ENOMEM ? "out of memory" : strerror(errno));
	}
	return dirfd;
}
