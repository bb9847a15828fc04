/*
 * get and put over several files and trees (see transfers.h).  Each
 * handler says what failed on one line of standard error, naming the
 * command and its object; a command over several files reports each
 * failure and goes on, and fails as a whole when any file failed
 * (interface.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "expand.h"
#include "listing.h"
#include "local_limits.h"
#include "local_sink.h"
#include "localfile.h"
#include "mirror.h"
#include "path.h"
#include "pipeline.h"
#include "remote_list.h"
#include "transfers.h"

static int	size_line(void *, const char *, size_t);
static int	remote_shorter(struct client *, const char *, uint64_t);
static int	get_file(struct client *, const char *, int, const char *,
		    const char *, const struct transfer_flags *);
static int	get_tree(struct client *, const char *, int, const char *,
		    const char *, const struct transfer_flags *, int,
		    struct expand_budget *);
static int	get_one(struct client *, const char *, char, const char *,
		    const struct transfer_flags *);
static int	put_file(struct client *, int, const char *,
		    const struct stat *, const char *, const char *, int,
		    const struct transfer_flags *);
static int	put_entry(struct client *, int, const char *, const char *,
		    const char *, int, const struct transfer_flags *,
		    struct expand_budget *);
static int	put_tree(struct client *, int, const char *,
		    const struct stat *, const char *, const char *, int,
		    const struct transfer_flags *, struct expand_budget *);
static int	put_top(struct client *, const struct transfer_flags *,
		    const char *, const char *, int, char *, size_t);
static int	put_one(struct client *, const struct transfer_flags *,
		    const char *, const char *, int, struct names *,
		    struct names *);
static int	get_named(struct client *, const struct transfer_flags *,
		    const char *, char, const char *, int, struct names *);
static int	one_batch(struct client *, const char *, const char *, char,
		    int, const struct transfer_flags *);

/* What remote_shorter looks for in a listing, and what it found. */
struct size_probe {
	const char *name;
	uint64_t size;
	int found;
};

static int
size_line(void *ctx, const char *line, size_t len)
{
	struct size_probe *sp = ctx;
	struct listing_entry e;

	if (listing_parse(line, len, &e) == 0 && e.type == 'f' &&
	    strcmp(e.name, sp->name) == 0) {
		sp->size = e.size;
		sp->found = 1;
	}
	return 0;
}

/*
 * Whether the remote file is shorter than offset, as its directory's
 * listing says: the proof a .part is longer than the file, so that an
 * ERR 0 for any other reason never costs the user the .part.
 */
static int
remote_shorter(struct client *c, const char *remote, uint64_t offset)
{
	char parent[PATH_LEN_MAX + 1], why[REMOTE_WHY_SIZE];
	struct size_probe sp = { command_base(remote), 0, 0 };
	int errcode = c->remote.errcode, rc;

	snprintf(parent, sizeof(parent), "%.*s", (int)(sp.name - remote),
	    remote);
	/* The failure's own reason stands for the report. */
	strlcpy(why, c->remote.why, sizeof(why));
	rc = remote_list_lines(&c->remote, parent, size_line, &sp);
	strlcpy(c->remote.why, why, sizeof(c->remote.why));
	c->remote.errcode = errcode;
	return rc == RC_OK && sp.found && sp.size < offset;
}

/*
 * One file; its failure is reported here.  -a keeps LOCAL.part.  In a
 * tree, dirfd is the directory held and name the entry in it; else
 * dirfd is -1 and local is opened as the user gave it.
 */
static int
get_file(struct client *c, const char *remote, int dirfd, const char *name,
    const char *local, const struct transfer_flags *f)
{
	char why[LOCAL_WHY_SIZE];
	struct local_sink sink;
	struct remote_sink rs;
	struct get_plan g;
	struct watch w;
	uint64_t part = 0;
	int rc, past_end, kept, stale;

	if ((dirfd == -1 ? local_sink_open(&sink, local, c->cfg->force ||
	    f->force, f->append, why, sizeof(why)) : local_sink_openat(&sink,
	    dirfd, name, local, c->cfg->force || f->force, f->append, why,
	    sizeof(why))) == -1)
		return command_report(RC_FAILED, "get %s: %s",
		    command_show(c, remote), why);
	get_plan_start(&g, c, &sink, remote, 0, 0, 0, f->preserve);
	rs = (struct remote_sink){ local_sink_write, local_sink_finish, &sink,
	    sink.offset, local_sink_hash_prefix, local_sink_restart,
	    local_sink_expect, get_plan_announced, &g };
	progress_watch(&c->progress, command_base(remote), &w);
	rc = remote_download(&c->remote, PKT_RRQ, remote, &rs, &w);
	command_bar_stop(c, rc == RC_OK);
	if (rc != RC_OK && !f->append) {
		local_sink_close(&sink, 0);
		if (get_plan_mismatch(&g)) {
			get_plan_end(&g);
			command_report(RC_OK, "get %s: the part kept from an "
			    "earlier get does not match the remote file; "
			    "fetching it whole", command_show(c, remote));
			return get_file(c, remote, dirfd, name, local, f);
		}
	}
	get_plan_end(&g);
	/*
	 * A .part longer than the remote file (the server's ERR 0 for an
	 * offset past the end, in answer to the request: an ERR 0 mid-transfer
	 * keeps the .part) or whose bytes differ (the SUM) does not
	 * match: removed, never published.
	 */
	past_end = rc == RC_FAILED && sink.offset > 0 && c->remote.refused &&
	    c->remote.errcode == ERR_UNDEFINED &&
	    remote_shorter(c, remote, sink.offset);
	/* An empty .part holds nothing to resume. */
	kept = f->append && !past_end && !c->remote.integrity_failed &&
	    local_sink_part_size(&sink, &part) == 0 && part > 0;
	/* In place now: a .part of an earlier get -a is stale. */
	if (rc == RC_OK && !f->append &&
	    (stale = local_sink_drop_stale(&sink)) != 0)
		command_report(RC_OK, "get %s: %s %s.part, left by an earlier "
		    "get -a%s%s", command_show(c, remote), stale == 1 ?
		    "removed the stale" : "could not remove the stale",
		    command_show(c, local), stale == 1 ? "" : ": ",
		    stale == 1 ? "" : strerror(errno));
	local_sink_close(&sink, kept);
	if (rc != RC_OK && sink.stopped_full)
		return command_report(rc, "get %s: stopped: the local file "
		    "system is nearly full", command_show(c, remote));
	if (rc != RC_OK && f->append && (past_end ||
	    c->remote.integrity_failed))
		return command_report(rc, "get %s: %s.part does not match the "
		    "remote file; removed (%s)", command_show(c, remote),
		    command_show(c, local), c->remote.why);
	/* Refused as no regular file: say so when it is a directory. */
	if (rc == RC_FAILED && c->remote.refused &&
	    c->remote.errcode == ERR_ACCESS && !f->recursive &&
	    remote_is_dir(&c->remote, remote) == RC_OK)
		return command_report(rc, "get %s: is a directory (use get -r)",
		    command_show(c, remote));
	if (rc != RC_OK && kept)
		return command_report(rc, "get %s: %s; kept %s.part (%llu "
		    "bytes): reget to resume", command_show(c, remote),
		    c->remote.why, command_show(c, local),
		    (unsigned long long)part);
	if (rc != RC_OK)
		return command_report(rc, "get %s: %s", command_show(c, remote),
		    c->remote.why);
	return RC_OK;
}

/*
 * A remote directory, depth first, into the local directory name of
 * parentfd (local names it in lines), every local entry made and opened
 * beneath the directory held, never through a link (README,
 * "Reliability").  b bounds the names the whole tree takes.
 */
static int
get_tree(struct client *c, const char *remote, int parentfd,
    const char *name, const char *local, const struct transfer_flags *f,
    int depth, struct expand_budget *b)
{
	char lpath[LOCAL_PATH_SIZE];
	struct names l = { NULL, NULL, 0, 0 };
	const char *entry;
	size_t i;
	int dirfd, rc, all = RC_OK;

	if (depth > TREE_DEPTH_MAX)
		return command_report(RC_FAILED, "get %s: more than %d levels "
		    "deep; skipped", command_show(c, remote), TREE_DEPTH_MAX);
	if ((mkdirat(parentfd, name, 0777) == -1 && errno != EEXIST) ||
	    (dirfd = local_subdir_open(parentfd, name, NULL)) == -1)
		return command_report(RC_FAILED, "get %s: %s: %s",
		    command_show(c, remote), command_show(c, local),
		    errno == ELOOP ? "not a directory (a link is not "
		    "followed)" : strerror(errno));
	if ((rc = expand_entries(c, remote, &l, NULL, b)) != RC_OK) {
		names_free(&l);
		close(dirfd);
		if (b->over)
			return command_report(rc, "%s: %s", b->what,
			    c->remote.why);
		return command_report(rc, "get %s: %s", command_show(c, remote),
		    c->remote.why);
	}
	for (i = 0; i < l.n && all != RC_LOST && !b->over; i++) {
		entry = command_base(l.v[i]);
		if (names_join(lpath, sizeof(lpath), local, entry) == -1) {
			all = command_worst(all, command_report(RC_FAILED,
			    "get %s: local path too long",
			    command_show(c, l.v[i])));
			continue;
		}
		/* Inodes are kept as bytes are: nothing more fits, it ends. */
		if (local_dir_room(dirfd) == -1) {
			b->over = 1;
			rc = command_report(RC_FAILED, "%s: stopped: the local "
			    "file system is nearly full (%s)", b->what,
			    strerror(errno));
		} else if (l.type[i] == 'd')
			rc = get_tree(c, l.v[i], dirfd, entry, lpath, f,
			    depth + 1, b);
		else
			rc = get_file(c, l.v[i], dirfd, entry, lpath, f);
		all = command_worst(all, rc);
	}
	names_free(&l);
	close(dirfd);
	return all;
}

/*
 * One name as a pipeline (pipeline.c): a file, or a tree for 'd'; a
 * download when get, else an upload.
 */
static int
one_batch(struct client *c, const char *remote, const char *local,
    char type, int get, const struct transfer_flags *f)
{
	struct names r = { NULL, NULL, 0, 0 }, l = { NULL, NULL, 0, 0 };
	int rc;

	if (names_add(&r, remote, type) == -1 ||
	    names_add(&l, local, type) == -1)
		rc = command_report(RC_FAILED, "%s: out of memory",
		    get ? "get" : "put");
	else if (get)
		rc = pipeline_get(c, &r, &l, f);
	else
		rc = pipeline_put(c, &r, &l, f);
	names_free(&r);
	names_free(&l);
	return rc;
}

/* A remote name of the type known so far, to local. */
static int
get_one(struct client *c, const char *remote, char type, const char *local,
    const struct transfer_flags *f)
{
	char what[REMOTE_WHY_SIZE];
	struct expand_budget b = { what, LOCAL_ENTRIES_MAX, 0, 0 };
	int rc;

	if (type == '?' && f->recursive) {
		/* A listing tells a directory from a file. */
		if ((rc = remote_is_dir(&c->remote, remote)) == RC_LOST)
			return command_report(rc, "get %s: %s",
			    command_show(c, remote), c->remote.why);
		type = rc == RC_OK ? 'd' : 'f';
	}
	if (type == 'd' && !f->recursive)
		return command_report(RC_FAILED, "get %s: is a directory (use "
		    "get -r)", command_show(c, remote));
	if (type == 'd' && !f->append && pipeline_wanted(&c->remote))
		return one_batch(c, remote, local, type, 1, f);
	if (type == 'd') {
		snprintf(what, sizeof(what), "get -r %s", command_show(c,
		    remote));
		rc = get_tree(c, remote, AT_FDCWD, local, local, f, 0, &b);
		if (b.skipped > 0)
			fprintf(stderr, "%s: %zu skipped\n", what, b.skipped);
		return rc;
	}
	return get_file(c, remote, -1, NULL, local, f);
}

/*
 * One request path get's REMOTE arguments gave (remote, its type as far
 * as known), to dest, or into it under its name when into_dir.  A file
 * goes into the batch (bs[0] remote, bs[1] local) when files go
 * together, after the trees.
 */
static int
get_named(struct client *c, const struct transfer_flags *f,
    const char *remote, char type, const char *dest, int into_dir,
    struct names *bs)
{
	char local[LOCAL_PATH_SIZE];
	const char *name = command_base(remote);

	if (!into_dir)
		strlcpy(local, dest, sizeof(local));
	else if (name[0] == '\0' && !f->recursive)
		return command_report(RC_FAILED, "get /: is a directory (use "
		    "get -r)");
	else if (name[0] == '\0')
		/* The root has no name: into the local directory. */
		strlcpy(local, dest[0] != '\0' ? dest : ".", sizeof(local));
	else if (!path_name_valid(name))
		/* From the user, but checked all the same. */
		return command_report(RC_FAILED, "get %s: no local name; give "
		    "one", command_show(c, remote));
	else if (names_join(local, sizeof(local), dest, name) == -1)
		return command_report(RC_FAILED, "get %s: local path too long",
		    command_show(c, remote));
	/* Files go together, as one pipeline, after the trees. */
	if (bs != NULL && (type == 'f' || (type == '?' && !f->recursive))) {
		if (names_add(&bs[0], remote, 'f') == -1 ||
		    names_add(&bs[1], local, 'f') == -1)
			return command_report(RC_FAILED, "get: out of memory");
		return RC_OK;
	}
	return get_one(c, remote, type, local, f);
}

int
transfer_get(struct client *c, const struct transfer_flags *f, int nargs,
    char **args)
{
	char dest[LOCAL_PATH_SIZE];
	struct names l = { NULL, NULL, 0, 0 };
	struct names bs[2] = { { NULL, NULL, 0, 0 }, { NULL, NULL, 0, 0 } };
	struct stat st;
	size_t i;
	int nsrc = nargs > 1 ? nargs - 1 : 1, into_dir, rc, all = RC_OK;
	int batch;

	dest[0] = '\0';
	if (nargs > 1 && pattern_unescape(args[nargs - 1], dest,
	    sizeof(dest)) == -1)
		return command_report(RC_FAILED, "get: local path too long");
	for (i = 0; i < (size_t)nsrc; i++)
		if ((rc = expand_remote(c, "get", args[i], &l)) != RC_OK)
			all = command_worst(all, rc);
	if (all == RC_LOST || l.n == 0) {
		names_free(&l);
		return all;
	}
	/* A lone file goes alone: get_file says all a failure means. */
	batch = !f->append && l.n > 1 && pipeline_wanted(&c->remote);
	into_dir = dest[0] == '\0' || (stat(dest, &st) == 0 &&
	    S_ISDIR(st.st_mode));
	if (!into_dir && l.n > 1) {
		names_free(&l);
		return command_report(RC_FAILED, "get: %s: not a directory",
		    command_show(c, dest));
	}
	for (i = 0; i < l.n && all != RC_LOST; i++)
		all = command_worst(all, get_named(c, f, l.v[i], l.type[i],
		    dest, into_dir, batch ? bs : NULL));
	if (bs[0].n > 0 && all != RC_LOST)
		all = command_worst(all, pipeline_get(c, &bs[0], &bs[1], f));
	names_free(&bs[0]);
	names_free(&bs[1]);
	names_free(&l);
	return all;
}

/*
 * One file to remote.  When may_be_dir (the user named REMOTE) and it
 * exists as a directory, the file goes inside it.  In a tree the file is
 * name in dirfd as seen by lstat; else dirfd is AT_FDCWD, name local
 * and seen NULL.  With append (put -a) it goes on from what the server
 * kept of an interrupted upload of it (docs/protocol.md, "Resumable
 * uploads").
 */
static int
put_file(struct client *c, int dirfd, const char *name,
    const struct stat *seen, const char *local, const char *remote,
    int may_be_dir, const struct transfer_flags *f)
{
	char why[LOCAL_WHY_SIZE], inside[PATH_LEN_MAX + 1];
	struct local_source src;
	enum path_status ps;
	struct watch w;
	int rc;

	if ((ps = path_check(remote, strlen(remote))) != PATH_OK)
		return command_report(RC_FAILED, "put %s: %s is not a valid "
		    "name: %s", command_show(c, local), command_show(c, remote),
		    path_status_str(ps));
	if (local_source_openat(&src, dirfd, name, seen, local, why,
	    sizeof(why)) == -1)
		return command_report(RC_FAILED, "put %s: %s",
		    command_show(c, local), why);
	progress_watch(&c->progress, command_base(remote), &w);
	/* Its time always, its mode with -p ("File attributes"). */
	c->remote.next_attrs = OPT_MTIME | (f->preserve ? OPT_MODE : 0);
	c->remote.next_mtime = src.mtime;
	c->remote.next_mode = src.mode;
	if (f->append)
		rc = remote_upload_resume(&c->remote, remote,
		    local_source_read, local_source_skip, &src, src.size, &w);
	else
		rc = remote_upload(&c->remote, remote, local_source_read, &src,
		    src.size, &w);
	command_bar_stop(c, rc == RC_OK);
	local_source_close(&src);
	if (rc == RC_FAILED && may_be_dir &&
	    c->remote.errcode == ERR_EXISTS) {
		/* The upload's reason stands if REMOTE is no directory. */
		strlcpy(why, c->remote.why, sizeof(why));
		if (remote_is_dir(&c->remote, remote) == RC_OK &&
		    names_join(inside, sizeof(inside), remote,
		    command_base(local)) == 0)
			return put_file(c, dirfd, name, seen, local, inside,
			    0, f);
		return command_report(rc, "put %s: /%s: %s",
		    command_show(c, local), command_show(c, remote), why);
	}
	/* Refused by the server: the remote path is what it refused. */
	if (rc != RC_OK && c->remote.refused)
		return command_report(rc, "put %s: /%s: %s",
		    command_show(c, local), command_show(c, remote),
		    c->remote.why);
	if (rc != RC_OK)
		return command_report(rc, "put %s: %s", command_show(c, local),
		    c->remote.why);
	return RC_OK;
}

/*
 * An entry name of the local directory dirfd (local names it in lines)
 * into the remote directory remote, as put_tree says.
 */
static int
put_entry(struct client *c, int dirfd, const char *name, const char *local,
    const char *remote, int depth, const struct transfer_flags *f,
    struct expand_budget *b)
{
	char lpath[LOCAL_PATH_SIZE], rpath[PATH_LEN_MAX + 1];
	struct stat st;

	if (names_join(lpath, sizeof(lpath), local, name) == -1 ||
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return RC_OK;
	if (!(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
		b->skipped++;
		return command_report(RC_OK, "%s: %s: not a regular file; "
		    "skipped", b->what, command_show(c, lpath));
	}
	if (!path_name_valid(name))
		return command_report(RC_FAILED, "put %s: not a valid name; "
		    "not sent", command_show(c, lpath));
	if (names_join(rpath, sizeof(rpath), remote, name) == -1)
		return command_report(RC_FAILED, "put %s: remote path too "
		    "long", command_show(c, lpath));
	if (S_ISDIR(st.st_mode))
		return put_tree(c, dirfd, name, &st, lpath, rpath, depth + 1,
		    f, b);
	return put_file(c, dirfd, name, &st, lpath, rpath, 0, f);
}

/*
 * A local directory, name in parentfd as seen by lstat (NULL: the
 * user's, as given), depth first, into the remote directory remote,
 * which MKD makes or finds.  Each entry is lstat'ed and opened beneath
 * the directory held, and what is opened must be what was seen: a link
 * swapped in meanwhile is refused.  Only regular files and directories
 * go; links and other kinds are passed over, each said and counted in
 * b's skipped.  With append (put -r -a) the files go one at a time, each
 * resumed: resuming is never pipelined.
 */
static int
put_tree(struct client *c, int parentfd, const char *name,
    const struct stat *seen, const char *local, const char *remote,
    int depth, const struct transfer_flags *f, struct expand_budget *b)
{
	struct names l = { NULL, NULL, 0, 0 };
	size_t i;
	int dirfd, rc, all = RC_OK;

	if (depth == 0 && !f->append && pipeline_wanted(&c->remote))
		return one_batch(c, remote, local, 'd', 0, f);
	if ((dirfd = expand_local_dir(c, parentfd, name, seen, local, depth,
	    &l)) == -1)
		return RC_FAILED;
	rc = remote_mkdir(&c->remote, remote);
	if (rc != RC_OK && !(rc == RC_FAILED &&
	    c->remote.errcode == ERR_EXISTS)) {
		names_free(&l);
		close(dirfd);
		return command_report(rc, "put %s: %s", command_show(c, local),
		    c->remote.why);
	}
	for (i = 0; i < l.n && all != RC_LOST; i++)
		all = command_worst(all, put_entry(c, dirfd, l.v[i], local,
		    remote, depth, f, b));
	names_free(&l);
	close(dirfd);
	return all;
}

/*
 * put -r of the local directory path into target; a named REMOTE
 * (named) that is a directory receives it, as dest/name.
 */
static int
put_top(struct client *c, const struct transfer_flags *f, const char *path,
    const char *dest, int named, char *target, size_t targetlen)
{
	char what[LOCAL_WHY_SIZE];
	struct expand_budget b;
	const char *name = command_base(path);
	int rc;

	if (named && (rc = remote_is_dir(&c->remote, dest)) != RC_FAILED) {
		if (rc == RC_LOST)
			return command_report(rc, "put %s: %s",
			    command_show(c, path), c->remote.why);
		if (!path_name_valid(name) ||
		    names_join(target, targetlen, dest, name) == -1)
			return command_report(RC_FAILED, "put %s: not a valid "
			    "name", command_show(c, path));
	}
	snprintf(what, sizeof(what), "put -r %s", command_show(c, path));
	b = (struct expand_budget){ what, LOCAL_ENTRIES_MAX, 0, 0 };
	rc = put_tree(c, AT_FDCWD, path, NULL, path, target, 0, f, &b);
	if (b.skipped > 0)
		fprintf(stderr, "%s: %zu skipped\n", what, b.skipped);
	return rc;
}

/*
 * One name a LOCAL argument gave put, to dest (named: the REMOTE the
 * user gave, which the name may become) or inside it: a file now, or
 * into the batch br, bl when files go together; a tree with -r.
 */
static int
put_one(struct client *c, const struct transfer_flags *f, const char *path,
    const char *dest, int named, struct names *br, struct names *bl)
{
	char target[PATH_LEN_MAX + 1];
	struct stat st;

	if (stat(path, &st) == -1)
		return command_report(RC_FAILED, "put %s: %s",
		    command_show(c, path), strerror(errno));
	if (!named && names_join(target, sizeof(target), dest,
	    command_base(path)) == -1)
		return command_report(RC_FAILED, "put %s: remote path too "
		    "long", command_show(c, path));
	if (named)
		strlcpy(target, dest, sizeof(target));
	/* Several files go together, as one pipeline, at the end. */
	if (!S_ISDIR(st.st_mode) && !named && !f->append &&
	    pipeline_wanted(&c->remote)) {
		if (names_add(br, target, 'f') == -1 ||
		    names_add(bl, path, 'f') == -1)
			return command_report(RC_FAILED, "put: out of memory");
		return RC_OK;
	}
	if (!S_ISDIR(st.st_mode))
		return put_file(c, AT_FDCWD, path, NULL, path, target, named,
		    f);
	if (!f->recursive)
		return command_report(RC_FAILED, "put %s: is a directory (use "
		    "put -r)", command_show(c, path));
	return put_top(c, f, path, dest, named, target, sizeof(target));
}

int
transfer_put(struct client *c, const struct transfer_flags *f, int nargs,
    char **args)
{
	char dest[PATH_LEN_MAX + 1], plain[PATH_LEN_MAX + 1];
	struct names l = { NULL, NULL, 0, 0 };
	struct names br = { NULL, NULL, 0, 0 }, bl = { NULL, NULL, 0, 0 };
	size_t i;
	int nsrc, named, all = RC_OK;

	nsrc = nargs > 1 ? nargs - 1 : 1;
	named = nargs > 1;
	if (pattern_unescape(named ? args[nargs - 1] : "", plain,
	    sizeof(plain)) == -1 ||
	    path_resolve(c->remote.cwd, plain, dest, sizeof(dest)) != PATH_OK)
		return command_report(RC_FAILED, "put: remote path too long");
	for (i = 0; i < (size_t)nsrc; i++)
		all = command_worst(all, expand_local("put", args[i], &l));
	/* Several: REMOTE is the directory that receives them all. */
	if (l.n > 1 || nsrc > 1)
		named = 0;
	for (i = 0; i < l.n && all != RC_LOST; i++)
		all = command_worst(all, put_one(c, f, l.v[i], dest, named, &br,
		    &bl));
	if (br.n > 0 && all != RC_LOST)
		all = command_worst(all, pipeline_put(c, &br, &bl, f));
	names_free(&br);
	names_free(&bl);
	names_free(&l);
	return all;
}
