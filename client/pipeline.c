/*
 * Pipelined trees and lists of files (see pipeline.h).
 *
 * A run is a list of jobs, one request each, that grows as listings
 * arrive (get -r) or is made whole before it starts (put).  Requests are
 * sent ahead, up to the window the server echoed, and the answers read in
 * order.  A request other than an upload is small: it goes to an output
 * queue written without waiting, so that the client never waits on a
 * write while the server waits on one; only the request whose answer is
 * read next is written waiting, when every answer before it has been
 * read (protocol.md, "Neither side waits").  An upload is written whole
 * as it is sent: the answers that may pile up meanwhile are small.
 *
 * The per-request work goes through remote.c as for one file: with
 * r->ahead set, a request there only reads its answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "client.h"
#include "expand.h"
#include "local_limits.h"
#include "listing.h"
#include "localfile.h"
#include "outq.h"
#include "path.h"
#include "pattern.h"
#include "pipeline.h"
#include "remote_list.h"
#include "signals.h"
#include "text.h"

/* As get -r and put -r without the extension (commands.c). */
#define TREE_DEPTH_MAX	64

enum job_state {
	JOB_NEW,			/* nothing sent */
	JOB_SENT,			/* its answer is due */
	JOB_ENDED,			/* answered, or failed before sending */
};

struct job {
	enum pkt_op op;
	char *remote, *local;
	/* In a tree: the user's directory, and the entry's path below it,
	 * opened component by component, never through a link. */
	char *top, *rel;
	dev_t dev;			/* an upload's file, as listed */
	ino_t ino;
	int depth;
	enum job_state state;
	uint64_t end;			/* outq.queued once its request was */
	uint16_t final_block;		/* an upload's, once sent */
	int sink_open;
	struct local_sink sink;		/* a download's, opened when sent */
};

struct run {
	struct client *c;
	struct job *jobs;
	size_t n, cap;
	struct outq q;
	int force;			/* get -f */
	int uploads;			/* put: small answers; Ctrl-C waits */
	size_t files, stored;		/* file jobs, and those done */
	int stopped;			/* Ctrl-C */
	char what[LOCAL_WHY_SIZE];	/* "get -r tree", "put -r tree" */
	struct expand_budget b;		/* as transfers.c's trees */
};

static int	add_job(struct run *, enum pkt_op, const char *, const char *,
		    int);
static int	job_place(struct job *, const char *, const char *);
static int	add_get(struct run *, const char *, const char *, char, int,
		    const struct job *, const char *);
static int	add_put_tree(struct run *, int, const char *,
		    const struct stat *, const char *, const char *, int,
		    const char *, const char *);
static int	add_put_entry(struct run *, int, const char *, int,
		    const char *, const char *, int, const char *,
		    const char *);
static const char *shown(const struct run *, const char *);
static int	in_force(const struct remote *);
static int	send_job(struct run *, struct job *);
static int	list_level(struct run *, const struct job *);
static int	answer_job(struct run *, struct job *);
static int	job_alone(struct run *, struct job *);
static int	answer_soon(const struct remote *);
static int	run_all(struct run *);
static void	run_free(struct run *);

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

/* Jobs. */

static int
add_job(struct run *pr, enum pkt_op op, const char *remote,
    const char *local, int depth)
{
	struct job *nj, *j;
	size_t cap;

	if (pr->n == pr->cap) {
		cap = pr->cap ? 2 * pr->cap : 64;
		if ((nj = reallocarray(pr->jobs, cap, sizeof(*nj))) == NULL)
			return -1;
		pr->jobs = nj;
		pr->cap = cap;
	}
	j = &pr->jobs[pr->n];
	memset(j, 0, sizeof(*j));
	j->op = op;
	j->depth = depth;
	j->remote = strdup(remote);
	j->local = strdup(local);
	if (j->remote == NULL || j->local == NULL) {
		free(j->remote);
		free(j->local);
		return -1;
	}
	pr->n++;
	if (op == PKT_RRQ || op == PKT_WRQ)
		pr->files++;
	return 0;
}

/* The last job added lies in the tree top at rel.  0, or -1. */
static int
job_place(struct job *j, const char *top, const char *rel)
{
	if ((j->top = strdup(top)) == NULL || (j->rel = strdup(rel)) == NULL)
		return -1;
	return 0;
}

/*
 * The directory holding a tree job's entry, opened beneath its top
 * never through a link, and the entry's name in it.  -1 with errno.
 */
static int
job_parent(const struct job *j, int top_nofollow, const char **name)
{
	char parent[LOCAL_PATH_SIZE];
	const char *slash = strrchr(j->rel, '/');

	*name = slash != NULL ? slash + 1 : j->rel;
	snprintf(parent, sizeof(parent), "%.*s", (int)(*name - j->rel -
	    (slash != NULL)), j->rel);
	return local_tree_open(j->top, parent, top_nofollow);
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
	if (add_job(pr, type == 'd' ? PKT_DRQ : PKT_RRQ, remote, local,
	    depth) == -1 || ((type == 'd' || dir != NULL) &&
	    job_place(&pr->jobs[pr->n - 1], top, rel) == -1))
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
	if (add_job(pr, PKT_WRQ, rpath, lpath, depth) == -1 ||
	    job_place(&pr->jobs[pr->n - 1], top, sub) == -1)
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

	if (depth > TREE_DEPTH_MAX)
		return command_report(RC_FAILED, "put %s: more than %d "
		    "levels deep; skipped", shown(pr, local), TREE_DEPTH_MAX);
	dirfd = seen == NULL ? openat(parentfd, name, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC) : local_subdir_open(parentfd, name, seen);
	if (dirfd == -1)
		return command_report(RC_FAILED, "put %s: %s", shown(pr, local),
		    errno == ELOOP ? "not a directory (a link is not "
		    "followed)" : strerror(errno));
	if (local_dir_names(dirfd, &l) == -1) {
		close(dirfd);
		return command_report(RC_FAILED, "put %s: %s", shown(pr, local),
		    errno == ENOMEM ? "out of memory" : strerror(errno));
	}
	if (add_job(pr, PKT_MKD, remote, local, depth) == -1)
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

/* The extension is in force on this connection. */
static int
in_force(const struct remote *r)
{
	return r->fd != -1 && r->negotiated && r->asked_pipeline &&
	    r->opts.pipeline > 0;
}

/*
 * An upload's file: in a tree, opened beneath its top never through a
 * link, and only when it is the file listed.  0, or -1 with why.
 */
static int
source_open(const struct job *j, struct local_source *src, char *why,
    size_t whylen)
{
	struct stat seen;
	const char *name;
	int parentfd, rc;

	if (j->top == NULL)
		return local_source_open(src, j->local, why, whylen);
	if ((parentfd = job_parent(j, 0, &name)) == -1) {
		snprintf(why, whylen, "%s: %s", j->local, errno == ELOOP ?
		    "not a directory (a link is not followed)" :
		    strerror(errno));
		return -1;
	}
	memset(&seen, 0, sizeof(seen));
	seen.st_dev = j->dev;
	seen.st_ino = j->ino;
	rc = local_source_openat(src, parentfd, name, &seen, j->local, why,
	    whylen);
	close(parentfd);
	return rc;
}

/*
 * A download's file: in a tree, made beneath the directory held, never
 * through a link, while inodes are to spare.  0, or -1 reported.
 */
static int
sink_open(struct run *pr, struct job *j)
{
	char why[LOCAL_WHY_SIZE];
	int force = pr->c->cfg->force || pr->force, parentfd, rc;
	const char *name;

	if (j->top == NULL)
		rc = local_sink_open(&j->sink, j->local, force, 0, why,
		    sizeof(why));
	else if ((parentfd = job_parent(j, 1, &name)) == -1) {
		snprintf(why, sizeof(why), "%s: %s", j->local, errno == ELOOP ?
		    "not a directory (a link is not followed)" :
		    strerror(errno));
		rc = -1;
	} else if (local_dir_room(parentfd) == -1) {
		pr->b.over = 1;
		command_report(RC_FAILED, "%s: stopped: the local file system "
		    "is nearly full (%s)", pr->what, strerror(errno));
		close(parentfd);
		return -1;
	} else {
		rc = local_sink_openat(&j->sink, parentfd, name, j->local,
		    force, 0, why, sizeof(why));
		close(parentfd);
	}
	if (rc == -1) {
		command_report(RC_FAILED, "get %s: %s", shown(pr, j->remote),
		    why);
		return -1;
	}
	j->sink_open = 1;
	return 0;
}

/*
 * Sends an upload whole: WRQ, its DATs and its SUM.  Alone (not in a
 * run), its answer is read too.  RC_OK, or a failure reported.
 */
static int
upload(struct run *pr, struct job *j)
{
	struct remote *r = &pr->c->remote;
	struct local_source src;
	enum path_status ps;
	char why[LOCAL_WHY_SIZE];
	struct watch w;
	int rc;

	if ((ps = path_check(j->remote, strlen(j->remote))) != PATH_OK)
		return command_report(RC_FAILED, "put %s: %s is not a valid "
		    "name: %s", shown(pr, j->local), shown(pr, j->remote),
		    path_status_str(ps));
	if (source_open(j, &src, why, sizeof(why)) == -1)
		return command_report(RC_FAILED, "put %s: %s",
		    shown(pr, j->local), why);
	progress_watch(&pr->c->progress, command_base(j->remote), &w);
	rc = remote_upload(r, j->remote, local_source_read, &src, src.size,
	    &w);
	command_bar_stop(pr->c, rc == RC_OK);
	local_source_close(&src);
	if (rc != RC_OK)
		return command_report(rc, "put %s: %s", shown(pr, j->local),
		    r->why);
	j->final_block = r->final_block;
	return RC_OK;
}

/*
 * Puts a job's request on its way.  0 when sent (its answer is due),
 * 1 when it ended here (failed locally, reported), -1 when the
 * connection failed.
 */
static int
send_job(struct run *pr, struct job *j)
{
	struct remote *r = &pr->c->remote;
	uint8_t buf[PKT_OPCODE_LEN + PATH_LEN_MAX + 1];
	ssize_t len;

	j->state = JOB_ENDED;
	if (j->op == PKT_WRQ) {
		if (outq_flush(&pr->q, pr->q.queued) != CONN_OK)
			return -1;
		if (upload(pr, j) != RC_OK)
			return r->fd == -1 ? -1 : 1;
		j->state = JOB_SENT;
		return 0;
	}
	/* A tree stopped at its bound: what is left is not asked for. */
	if (pr->b.over)
		return 1;
	if (j->op == PKT_RRQ && sink_open(pr, j) == -1)
		return 1;
	len = pkt_encode_req(buf, sizeof(buf), j->op, j->remote);
	if (len == -1 || outq_add(&pr->q, buf, (size_t)len) == -1) {
		command_report(RC_FAILED, "%s %s: out of memory",
		    j->op == PKT_MKD ? "put" : "get", shown(pr, j->remote));
		return 1;
	}
	j->end = pr->q.queued;
	j->state = JOB_SENT;
	outq_try(&pr->q);
	return 0;
}

/* A download's answer (or, alone, the whole exchange) into its sink. */
static int
download(struct run *pr, struct job *j)
{
	struct remote *r = &pr->c->remote;
	struct remote_sink rs;
	struct watch w;
	int rc;

	if (!j->sink_open && (pr->b.over || sink_open(pr, j) == -1))
		return RC_FAILED;
	rs = (struct remote_sink){ local_sink_write, local_sink_finish,
	    &j->sink, 0, local_sink_hash_prefix, local_sink_restart,
	    local_sink_expect };
	progress_watch(&pr->c->progress, command_base(j->remote), &w);
	rc = remote_download(r, PKT_RRQ, j->remote, &rs, &w);
	command_bar_stop(pr->c, rc == RC_OK);
	local_sink_close(&j->sink, 0);
	j->sink_open = 0;
	if (rc != RC_OK && j->sink.stopped_full)
		return command_report(rc, "get %s: stopped: the local file "
		    "system is nearly full", shown(pr, j->remote));
	if (rc != RC_OK)
		return command_report(rc, "get %s: %s", shown(pr, j->remote),
		    r->why);
	return RC_OK;
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

/* Reads a job's answer; RC_OK, or the failure reported. */
static int
answer_job(struct run *pr, struct job *j)
{
	struct remote *r = &pr->c->remote;
	int rc;

	j->state = JOB_ENDED;
	switch (j->op) {
	case PKT_RRQ:
		return download(pr, j);
	case PKT_WRQ:
		if (r->ahead == NULL)
			return upload(pr, j);
		/* Sent whole, it may be stored though its answer is lost. */
		if ((rc = remote_upload_answer(r, j->final_block)) != RC_OK)
			return command_report(rc, "put %s: %s%s",
			    shown(pr, j->local), r->why, rc == RC_LOST ?
			    "; whether it was stored is not known" : "");
		return RC_OK;
	case PKT_MKD:
		/* A directory that exists is entered. */
		rc = remote_mkdir(r, j->remote);
		if (rc != RC_OK && !(rc == RC_FAILED &&
		    r->errcode == ERR_EXISTS))
			return command_report(rc, "put %s: %s",
			    shown(pr, j->local), r->why);
		return RC_OK;
	default:
		return pr->b.over ? RC_FAILED : list_level(pr, j);
	}
}

/* One job the plain way: its request, then its answer. */
static int
job_alone(struct run *pr, struct job *j)
{
	struct remote *r = &pr->c->remote;

	r->ahead = NULL;
	r->hold_int = 0;
	return answer_job(pr, j);
}

/*
 * After Ctrl-C, how long an upload's answer is waited for: those the
 * server has written come at once, and a link that still carries the
 * uploads written ahead is not waited for.
 */
#define STOP_GRACE_MS	200

static int
answer_soon(const struct remote *r)
{
	struct pollfd pfd = { r->fd, POLLIN, 0 };

	return conn_packet_ready(&r->conn) || poll(&pfd, 1, STOP_GRACE_MS) ==
	    1;
}

static void
count(struct run *pr, const struct job *j, int rc)
{
	if (rc == RC_OK && (j->op == PKT_RRQ || j->op == PKT_WRQ))
		pr->stored++;
}

/*
 * The requests in flight when the connection ended, unanswered: an
 * upload's fate is unknown only when the connection was lost (a closing
 * ERR came before it, and the server serves in order); each is reported
 * and made new again, to go on a new connection, unless lost or stopped.
 */
static void
unanswered(struct run *pr, size_t from, size_t to, int lost)
{
	struct job *j;
	size_t i;

	for (i = from; i < to; i++) {
		j = &pr->jobs[i];
		if (j->state != JOB_SENT)
			continue;
		if (j->sink_open) {
			local_sink_close(&j->sink, 0);
			j->sink_open = 0;
		}
		if ((lost || pr->stopped) && j->op == PKT_WRQ)
			command_report(RC_LOST, "put %s: %s; whether it was "
			    "stored is not known", shown(pr, j->local), lost ?
			    "connection lost" : "interrupted");
		j->state = lost || pr->stopped ? JOB_ENDED : JOB_NEW;
	}
}

static int
run_all(struct run *pr)
{
	struct remote *r = &pr->c->remote;
	size_t next = 0, done = 0;
	int rc, all = RC_OK, sent;

	pr->q.conn = &r->conn;
	pr->q.fd = &r->fd;
	r->want_pipeline = 1;
	while (done < pr->n) {
		if (sig_intr_pending() && !pr->stopped) {
			pr->stopped = 1;
			/* An upload's answer still tells its fate. */
			if (pr->uploads) {
				sig_intr_clear();
				r->hold_int = 1;
			}
		}
		if (pr->stopped && (!pr->uploads || done == next))
			break;
		if (!in_force(r) || done == next) {
			/* Nothing in flight: the queue is empty too. */
			outq_clear(&pr->q);
		}
		if (!in_force(r) && pr->jobs[done].state == JOB_ENDED) {
			next = ++done;	/* failed before sending: reported */
			continue;
		}
		if (!in_force(r)) {
			/* One at a time; the first may negotiate it. */
			rc = job_alone(pr, &pr->jobs[done]);
			count(pr, &pr->jobs[done], rc);
			all = command_worst(all, rc);
			next = ++done;
			if (rc == RC_LOST || sig_intr_pending())
				break;
			continue;
		}
		r->ahead = &pr->q;
		r->hold_int = 0;
		while (!pr->stopped && next < pr->n &&
		    next - done < r->opts.pipeline && r->fd != -1 &&
		    !sig_intr_pending()) {
			if ((sent = send_job(pr, &pr->jobs[next])) == 1)
				all = command_worst(all, RC_FAILED);
			next++;
			if (sent == -1)
				break;
		}
		if (pr->jobs[done].state != JOB_SENT) {
			done++;		/* failed before sending: reported */
			continue;
		}
		/* Stopped: the answers that come at once, not what a slow
		 * link still carries. */
		if (pr->stopped && !answer_soon(r))
			break;
		if (r->fd != -1 && outq_flush(&pr->q, pr->jobs[done].end) !=
		    CONN_OK)
			remote_disconnect(r);
		/* Once sent, an upload's answer is read whatever the user. */
		r->hold_int = pr->uploads;
		if (r->fd == -1)
			rc = command_report(RC_LOST, "%s %s: connection lost",
			    pr->uploads ? "put" : "get",
			    shown(pr, pr->jobs[done].remote));
		else
			rc = answer_job(pr, &pr->jobs[done]);
		count(pr, &pr->jobs[done], rc);
		all = command_worst(all, rc);
		done++;
		if (sig_intr_pending() && !pr->uploads)
			pr->stopped = 1;
		if (r->fd == -1) {
			unanswered(pr, done, next, rc == RC_LOST);
			if (rc == RC_LOST || pr->stopped)
				break;
			next = done;	/* the rest go on a new connection */
		}
	}
	/* Stopped, what was sent ahead is not waited for: closed. */
	if (pr->stopped && r->fd != -1)
		remote_disconnect(r);
	if (r->fd != -1 && pr->q.written < pr->q.queued &&
	    outq_flush(&pr->q, pr->q.queued) != CONN_OK)
		remote_disconnect(r);
	unanswered(pr, done, next, 0);
	r->ahead = NULL;
	r->hold_int = 0;
	r->want_pipeline = 0;
	if (pr->stopped) {
		all = command_worst(all, command_report(RC_FAILED,
		    "%s: interrupted: %zu of %zu files done", pr->uploads ?
		    "put" : "get", pr->stored, pr->files));
	}
	return all;
}

static void
run_free(struct run *pr)
{
	size_t i;

	for (i = 0; i < pr->n; i++) {
		if (pr->jobs[i].sink_open)
			local_sink_close(&pr->jobs[i].sink, 0);
		free(pr->jobs[i].remote);
		free(pr->jobs[i].local);
		free(pr->jobs[i].top);
		free(pr->jobs[i].rel);
	}
	free(pr->jobs);
	outq_free(&pr->q);
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
		else if (add_job(&pr, PKT_WRQ, remote->v[i], local->v[i], 0) ==
		    -1)
			all = command_report(RC_FAILED, "put: out of memory");
	}
	all = command_worst(all, run_all(&pr));
	run_skipped(&pr);
	run_free(&pr);
	return all;
}
