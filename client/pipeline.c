/*
 * Pipelined trees and lists of files (see pipeline.h): the jobs a
 * command makes, run by pipeline_run.c.  get -r makes its tree's local
 * directories, and adds the entries of each listing, as the listings
 * arrive; put -r adds a whole local tree before the run starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "listing.h"
#include "local_limits.h"
#include "path.h"
#include "pattern.h"
#include "pipeline.h"
#include "pipeline_run.h"
#include "remote_list.h"

static const char *shown(const struct run *, const char *);
static int	add_get(struct run *, const char *, const char *, char, int,
		    const struct job *, const char *);
static int	level_line(void *, const char *, size_t);
static int	add_put_entry(struct run *, int, const char *, int,
		    const char *, const char *, int, const char *,
		    const char *);
static int	add_put_tree(struct run *, int, const char *,
		    const struct stat *, const char *, const char *, int,
		    const char *, const char *);
static int	list_level(struct run *, const struct job *);
static void	run_start(struct run *, struct client *, const char *,
		    const struct names *);
static void	run_skipped(const struct run *);

int
pipeline_wanted(const struct remote *r)
{
	return r->use_options;
}

/* A name as commands show it. */
static const char *
shown(const struct run *pr, const char *s)
{
	return command_show(pr->c, s);
}

/*
 * A download: a file, or a tree, whose local directory is made (or
 * entered) now and whose listing is asked for.  In a tree (dir, the
 * job whose listing named it), name is its entry there, and the
 * directory is made beneath the one held, never through a link, while
 * inodes are to spare; else name is local, the user's.
 */
static int
add_get(struct run *pr, const char *remote, const char *local, char type,
    int depth, const struct job *dir, const char *name)
{
	char rel[LOCAL_PATH_SIZE];
	const char *top = dir != NULL ? dir->top : local;
	int parentfd, fd;

	rel[0] = '\0';
	if (dir != NULL && names_join(rel, sizeof(rel), dir->rel, name) == -1)
		return command_report(RC_FAILED, "get %s: local path too long",
		    shown(pr, remote));
	if (type == 'd' && depth > TREE_DEPTH_MAX)
		return command_report(RC_FAILED, "get %s: more than %d "
		    "levels deep; skipped", shown(pr, remote), TREE_DEPTH_MAX);
	if (type == 'd') {
		parentfd = dir != NULL ? local_tree_open(dir->top, dir->rel, 1)
		    : AT_FDCWD;
		if (dir != NULL && parentfd != -1 &&
		    local_dir_room(parentfd) == -1) {
			close(parentfd);
			pr->b.over = 1;
			return command_report(RC_FAILED, "%s: stopped: the "
			    "local file system is nearly full (%s)", pr->what,
			    strerror(errno));
		}
		fd = parentfd == -1 || (mkdirat(parentfd, name, 0777) == -1 &&
		    errno != EEXIST) ? -1 : local_subdir_open(parentfd, name,
		    NULL);
		if (fd == -1) {
			fd = command_report(RC_FAILED, "get %s: %s: %s",
			    shown(pr, remote), shown(pr, local), errno ==
			    ELOOP ? "not a directory (a link is not "
			    "followed)" : strerror(errno));
			if (parentfd >= 0)
				close(parentfd);
			return fd;
		}
		close(fd);
		if (parentfd >= 0)
			close(parentfd);
		/* Entries are made as names arrive: the tree's own
		 * directory counts too, so it makes at most the bound. */
		if (dir == NULL && pr->b.left > 0)
			pr->b.left--;
	}
	if (run_add(pr, type == 'd' ? PKT_DRQ : PKT_RRQ, remote, local,
	    depth) == -1 || ((type == 'd' || dir != NULL) &&
	    run_place(&pr->jobs[pr->n - 1], top, rel) == -1))
		return command_report(RC_FAILED, "get: out of memory");
	return RC_OK;
}

/* What a listing of a tree adds to the run, line by line. */
struct level {
	struct run *pr;
	const struct job *dir;
	int rc;
};

static int
level_line(void *ctx, const char *line, size_t len)
{
	struct level *lv = ctx;
	char rpath[PATH_LEN_MAX + 1], lpath[LOCAL_PATH_SIZE];
	struct listing_entry e;

	if (listing_parse(line, len, &e) == -1)
		return 0;
	/* Every name counts, so a flood of bad ones is bounded too; an
	 * endless listing is not read to its end. */
	if (lv->pr->b.left == 0) {
		lv->pr->b.over = 1;
		errno = E2BIG;
		return -1;
	}
	lv->pr->b.left--;
	/* Only a valid name, never a path, is taken from a server. */
	if (!path_name_valid(e.name)) {
		lv->pr->b.skipped++;
		(void)command_report(RC_FAILED, "%s: %s/%s: not a valid name; "
		    "skipped", lv->pr->what, shown(lv->pr, lv->dir->remote),
		    shown(lv->pr, e.name));
		return 0;
	}
	if (names_join(rpath, sizeof(rpath), lv->dir->remote, e.name) == -1 ||
	    names_join(lpath, sizeof(lpath), lv->dir->local, e.name) == -1) {
		lv->rc = command_worst(lv->rc, command_report(RC_FAILED,
		    "get %s/%s: path too long", shown(lv->pr, lv->dir->remote),
		    shown(lv->pr, e.name)));
		return 0;
	}
	lv->rc = command_worst(lv->rc, add_get(lv->pr, rpath, lpath, e.type,
	    lv->dir->depth + 1, lv->dir, e.name));
	return 0;
}

/*
 * An entry name of a local tree's directory dirfd (local, remote: its
 * paths; rel: beneath top) as a job: the files in pass 0, the
 * directories in pass 1, as add_put_tree says.
 */
static int
add_put_entry(struct run *pr, int dirfd, const char *name, int pass,
    const char *local, const char *remote, int depth, const char *top,
    const char *rel)
{
	char lpath[LOCAL_PATH_SIZE], rpath[PATH_LEN_MAX + 1];
	char sub[LOCAL_PATH_SIZE];
	struct stat st;
	struct job *j;

	if (names_join(lpath, sizeof(lpath), local, name) == -1 ||
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return RC_OK;
	if (!(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
		if (pass == 0) {
			pr->b.skipped++;
			(void)command_report(RC_OK, "%s: %s: not a regular "
			    "file; skipped", pr->what, shown(pr, lpath));
		}
		return RC_OK;
	}
	if ((S_ISDIR(st.st_mode) != 0) != (pass == 1))
		return RC_OK;
	if (!path_name_valid(name))
		return command_report(RC_FAILED, "put %s: not a valid name; "
		    "not sent", shown(pr, lpath));
	if (names_join(rpath, sizeof(rpath), remote, name) == -1 ||
	    names_join(sub, sizeof(sub), rel, name) == -1)
		return command_report(RC_FAILED, "put %s: remote path too "
		    "long", shown(pr, lpath));
	if (pass == 1)
		return add_put_tree(pr, dirfd, name, &st, lpath, rpath,
		    depth + 1, top, sub);
	if (run_add(pr, PKT_WRQ, rpath, lpath, depth) == -1 ||
	    run_place(&pr->jobs[pr->n - 1], top, sub) == -1)
		return command_report(RC_FAILED, "put: out of memory");
	j = &pr->jobs[pr->n - 1];
	j->dev = st.st_dev;
	j->ino = st.st_ino;
	return RC_OK;
}

/*
 * A local tree: MKD of the directory, its files, then its directories,
 * all as jobs before the run starts.  The directory is name in parentfd
 * as lstat saw it (seen; NULL: the user's, as given), held while its
 * entries are lstat'ed beneath it; each upload is later opened beneath
 * its top, never through a link, and must be the file seen.  Only
 * regular files and directories go; links and other kinds are passed
 * over, each said and counted.
 */
static int
add_put_tree(struct run *pr, int parentfd, const char *name,
    const struct stat *seen, const char *local, const char *remote,
    int depth, const char *top, const char *rel)
{
	struct names l = { NULL, NULL, 0, 0 };
	size_t i;
	int pass, dirfd, all = RC_OK;

	if ((dirfd = expand_local_dir(pr->c, parentfd, name, seen, local,
	    depth, &l)) == -1)
		return RC_FAILED;
	if (run_add(pr, PKT_MKD, remote, local, depth) == -1)
		all = command_report(RC_FAILED, "put: out of memory");
	/* Files first, so a level's uploads go before the levels below. */
	for (pass = 0; pass < 2 && all != RC_LOST; pass++)
		for (i = 0; i < l.n; i++)
			all = command_worst(all, add_put_entry(pr, dirfd,
			    l.v[i], pass, local, remote, depth, top, rel));
	names_free(&l);
	close(dirfd);
	return all;
}

/*
 * A tree's listing: each entry joins the run.  The jobs may move as
 * they grow: what the listing needs of its own job is copied first.
 */
static int
list_level(struct run *pr, const struct job *j)
{
	struct job dir = *j;
	struct level lv = { pr, &dir, RC_OK };
	struct remote *r = &pr->c->remote;
	int rc;

	rc = remote_list_lines(r, dir.remote, level_line, &lv);
	if (pr->b.over)
		return command_worst(lv.rc, command_report(rc == RC_OK ?
		    RC_FAILED : rc, "%s: more than %d entries; stopped",
		    pr->what, LOCAL_ENTRIES_MAX));
	if (rc != RC_OK)
		return command_report(rc, "get %s: %s",
		    shown(pr, dir.remote), r->why);
	return lv.rc;
}

/*
 * A run of one command; its tree (one is a run's only 'd', as
 * transfers.c gives them) names its lines, and its bounds are
 * transfers.c's.
 */
static void
run_start(struct run *pr, struct client *c, const char *cmd,
    const struct names *named)
{
	size_t i;

	memset(pr, 0, sizeof(*pr));
	pr->c = c;
	pr->list = list_level;
	pr->b = (struct expand_budget){ pr->what, LOCAL_ENTRIES_MAX, 0, 0 };
	snprintf(pr->what, sizeof(pr->what), "%s", cmd);
	for (i = 0; i < named->n; i++)
		if (named->type[i] == 'd')
			snprintf(pr->what, sizeof(pr->what), "%s %s", cmd,
			    command_show(c, named->v[i]));
}

/* The entries passed over, counted as transfers.c counts them. */
static void
run_skipped(const struct run *pr)
{
	if (pr->b.skipped > 0)
		fprintf(stderr, "%s: %zu skipped\n", pr->what, pr->b.skipped);
}

int
pipeline_get(struct client *c, const struct names *remote,
    const struct names *local, int force)
{
	struct run pr;
	size_t i;
	int all = RC_OK;

	run_start(&pr, c, "get -r", remote);
	pr.force = force;
	for (i = 0; i < remote->n; i++)
		all = command_worst(all, add_get(&pr, remote->v[i], local->v[i],
		    remote->type[i], 0, NULL, local->v[i]));
	all = command_worst(all, run_all(&pr));
	run_skipped(&pr);
	run_free(&pr);
	return all;
}

int
pipeline_put(struct client *c, const struct names *remote,
    const struct names *local)
{
	struct run pr;
	size_t i;
	int all = RC_OK;

	run_start(&pr, c, "put -r", local);
	pr.uploads = 1;
	for (i = 0; i < remote->n && all != RC_LOST; i++) {
		if (remote->type[i] == 'd')
			all = command_worst(all, add_put_tree(&pr, AT_FDCWD,
			    local->v[i], NULL, local->v[i], remote->v[i], 0,
			    local->v[i], ""));
		else if (run_add(&pr, PKT_WRQ, remote->v[i], local->v[i], 0) ==
		    -1)
			all = command_report(RC_FAILED, "put: out of memory");
	}
	all = command_worst(all, run_all(&pr));
	run_skipped(&pr);
	run_free(&pr);
	return all;
}
