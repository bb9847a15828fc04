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
#include <dirent.h>
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
#include "mirror.h"
#include "path.h"
#include "pattern.h"
#include "pipeline.h"
#include "remote_list.h"
#include "signals.h"
#include "text.h"
#include "transfers.h"

/* As get -r and put -r without the extension (commands.c). */
#define TREE_DEPTH_MAX	64

struct outq {
	struct remote *r;
	uint8_t *buf;
	size_t start, end, cap;		/* not yet written: buf[start..end) */
	uint64_t written, queued;	/* bytes written, and ever queued */
};

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
	/* A tree's download: the file as listed; alone: it resumes. */
	int listed, alone;
	uint64_t size, mtime;
	/* An upload's OPT (its attributes), whose OACK comes first. */
	int opt_sent;
	struct xfer_opts asked;
};

struct run {
	struct client *c;
	struct job *jobs;
	size_t n, cap;
	struct outq q;
	const struct transfer_flags *f;	/* -f, -p, -c */
	struct tally tally;		/* the summary line's counts */
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
		    const struct job *, const struct listing_entry *);
static int	add_put_tree(struct run *, int, const char *,
		    const struct stat *, const char *, const char *, int,
		    const char *, const char *, int);
static int	outq_add(struct outq *, const uint8_t *, size_t);
static void	outq_try(struct outq *);
static enum conn_status outq_flush(struct outq *, uint64_t);
static const char *shown(const struct run *, const char *);
static int	worse(int, int);
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

/* A name as commands show it, and the worse of two outcomes. */
static const char *
shown(const struct run *pr, const char *s)
{
	return command_show(pr->c, s);
}

static int
worse(int a, int b)
{
	return transfer_worst(a, b);
}

/* The output queue. */

static int
outq_add(struct outq *q, const uint8_t *b, size_t len)
{
	uint8_t *nb;
	size_t cap;

	if (q->start > 0 && q->end + len > q->cap) {
		memmove(q->buf, q->buf + q->start, q->end - q->start);
		q->end -= q->start;
		q->start = 0;
	}
	if (q->end + len > q->cap) {
		cap = q->cap ? 2 * q->cap : 16384;
		while (cap < q->end + len)
			cap *= 2;
		if ((nb = realloc(q->buf, cap)) == NULL)
			return -1;
		q->buf = nb;
		q->cap = cap;
	}
	memcpy(q->buf + q->end, b, len);
	q->end += len;
	q->queued += len;
	return 0;
}

/* Writes what the socket takes now; a failure shows at the next flush. */
static void
outq_try(struct outq *q)
{
	ssize_t n;

	while (q->start < q->end) {
		n = send(q->r->fd, q->buf + q->start, q->end - q->start,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			return;
		q->start += (size_t)n;
		q->written += (uint64_t)n;
	}
}

/*
 * Writes the queue up to the byte count upto, waiting if need be: only
 * for a request whose answer is read next, or at the end of a run, when
 * the server is reading.
 */
static enum conn_status
outq_flush(struct outq *q, uint64_t upto)
{
	enum conn_status cs;
	size_t len;

	outq_try(q);
	if (q->written >= upto)
		return CONN_OK;
	len = (size_t)(upto - q->written);
	if ((cs = conn_send(&q->r->conn, q->buf + q->start, len)) != CONN_OK)
		return cs;
	q->start += len;
	q->written += len;
	return CONN_OK;
}

enum conn_status
outq_ack(struct outq *q, uint16_t block)
{
	uint8_t ack[PKT_OPCODE_LEN + 2];
	ssize_t len = pkt_encode_ack(ack, sizeof(ack), block);

	if (len == -1 || outq_add(q, ack, (size_t)len) == -1) {
		q->r->conn.err = ENOMEM;
		return CONN_IO;
	}
	outq_try(q);
	return CONN_OK;
}

int
outq_stop(struct remote *r)
{
	(void)conn_send_err_nowait(&r->conn, ERR_UNDEFINED,
	    "Transfer interrupted");
	(void)shutdown(r->fd, SHUT_WR);
	snprintf(r->why, sizeof(r->why), "interrupted; not stored");
	return RC_FAILED;
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
 * A tree's file already in place beside its listing: the same size and
 * modification time (mirror.h).  1 when it is, counted.
 */
static int
in_place(struct run *pr, const struct job *dir, const struct listing_entry *e)
{
	int fd, same;

	if ((fd = local_tree_open(dir->top, dir->rel, 1)) == -1)
		return 0;
	same = mirror_in_place(fd, e->name, e->size, e->mtime);
	close(fd);
	if (same)
		pr->tally.uptodate++;
	return same;
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
    int depth, const struct job *dir, const struct listing_entry *e)
{
	char rel[LOCAL_PATH_SIZE];
	const char *top = dir != NULL ? dir->top : local;
	const char *name = e != NULL ? e->name : local;
	struct job *j;
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
	if (type == 'f' && dir != NULL && in_place(pr, dir, e))
		return RC_OK;
	if (add_job(pr, type == 'd' ? PKT_DRQ : PKT_RRQ, remote, local,
	    depth) == -1 || ((type == 'd' || dir != NULL) &&
	    job_place(&pr->jobs[pr->n - 1], top, rel) == -1))
		return command_report(RC_FAILED, "get: out of memory");
	j = &pr->jobs[pr->n - 1];
	if (type == 'f' && e != NULL) {
		j->listed = 1;
		j->size = e->size;
		j->mtime = e->mtime;
		j->alone = get_plan_has_part(pr->c, remote, e->size, e->mtime);
	}
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
		lv->rc = worse(lv->rc, command_report(RC_FAILED, "get %s/%s: "
		    "path too long", shown(lv->pr, lv->dir->remote),
		    shown(lv->pr, e.name)));
		return 0;
	}
	lv->rc = worse(lv->rc, add_get(lv->pr, rpath, lpath, e.type,
	    lv->dir->depth + 1, lv->dir, &e));
	return 0;
}

static int
by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
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
    int depth, const char *top, const char *rel, int may_exist)
{
	char lpath[LOCAL_PATH_SIZE], rpath[PATH_LEN_MAX + 1];
	char sub[LOCAL_PATH_SIZE];
	struct names l = { NULL, NULL, 0, 0 };
	struct remote_files there;
	const struct remote_file *rf;
	struct dirent *d;
	struct stat st;
	struct job *j;
	size_t i;
	DIR *dp;
	int pass, dirfd, listfd, all = RC_OK;

	if (depth > TREE_DEPTH_MAX)
		return command_report(RC_FAILED, "put %s: more than %d "
		    "levels deep; skipped", shown(pr, local), TREE_DEPTH_MAX);
	dirfd = seen == NULL ? openat(parentfd, name, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC) : local_subdir_open(parentfd, name, seen);
	if (dirfd == -1)
		return command_report(RC_FAILED, "put %s: %s", shown(pr, local),
		    errno == ELOOP ? "not a directory (a link is not "
		    "followed)" : strerror(errno));
	if ((listfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    (dp = fdopendir(listfd)) == NULL) {
		all = command_report(RC_FAILED, "put %s: %s", shown(pr, local),
		    strerror(errno));
		if (listfd != -1)
			close(listfd);
		close(dirfd);
		return all;
	}
	if (add_job(pr, PKT_MKD, remote, local, depth) == -1)
		all = command_report(RC_FAILED, "put: out of memory");
	/* What is there already: a file in place is not sent again. */
	memset(&there, 0, sizeof(there));
	if (all == RC_OK && may_exist &&
	    (all = remote_files_list(pr->c, remote, &there)) != RC_OK)
		all = command_report(all, "put %s: %s", shown(pr, local),
		    pr->c->remote.why);
	while (all == RC_OK && (d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 &&
		    strcmp(d->d_name, "..") != 0 &&
		    names_add(&l, d->d_name, '?') == -1)
			all = command_report(RC_FAILED, "put %s: out of memory",
			    shown(pr, local));
	closedir(dp);
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(l.v[0]), by_string);
	/* Files first, so a level's uploads go before the levels below. */
	for (pass = 0; pass < 2 && all != RC_LOST; pass++)
		for (i = 0; i < l.n; i++) {
			if (names_join(lpath, sizeof(lpath), local, l.v[i]) ==
			    -1 || fstatat(dirfd, l.v[i], &st,
			    AT_SYMLINK_NOFOLLOW) == -1)
				continue;
			if (!(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
				if (pass == 0) {
					pr->b.skipped++;
					(void)command_report(RC_OK, "%s: %s: "
					    "not a regular file; skipped",
					    pr->what, shown(pr, lpath));
				}
				continue;
			}
			if ((S_ISDIR(st.st_mode) != 0) != (pass == 1))
				continue;
			if (!path_name_valid(l.v[i])) {
				all = worse(all, command_report(RC_FAILED,
				    "put %s: not a valid name; not sent",
				    shown(pr, lpath)));
				continue;
			}
			if (names_join(rpath, sizeof(rpath), remote, l.v[i]) ==
			    -1 || names_join(sub, sizeof(sub), rel, l.v[i]) ==
			    -1) {
				all = worse(all, command_report(RC_FAILED,
				    "put %s: remote path too long",
				    shown(pr, lpath)));
				continue;
			}
			rf = remote_files_find(&there, l.v[i]);
			if (pass == 1) {
				all = worse(all, add_put_tree(pr, dirfd,
				    l.v[i], &st, lpath, rpath, depth + 1, top,
				    sub, rf != NULL && rf->type == 'd'));
				continue;
			}
			if (rf != NULL && rf->type == 'f' &&
			    rf->size == (uint64_t)st.st_size && st.st_mtime >= 0 &&
			    rf->mtime == (uint64_t)st.st_mtime) {
				pr->tally.uptodate++;
				continue;
			}
			if (add_job(pr, PKT_WRQ, rpath, lpath, depth) == -1 ||
			    job_place(&pr->jobs[pr->n - 1], top, sub) == -1) {
				all = command_report(RC_FAILED,
				    "put: out of memory");
				continue;
			}
			j = &pr->jobs[pr->n - 1];
			j->dev = st.st_dev;
			j->ino = st.st_ino;
		}
	names_free(&l);
	remote_files_free(&there);
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
	int force = pr->c->cfg->force || pr->f->force, parentfd, rc;
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
	progress_watch(&pr->c->progress, transfer_base(j->remote), &w);
	/* Its time always, its mode with -p ("File attributes"). */
	r->next_attrs = OPT_MTIME | (pr->f->preserve ? OPT_MODE : 0);
	r->next_mtime = src.mtime;
	r->next_mode = src.mode;
	rc = remote_upload(r, j->remote, local_source_read, &src, src.size,
	    &w);
	transfer_bar_stop(pr->c, rc == RC_OK);
	local_source_close(&src);
	if (rc != RC_OK)
		return command_report(rc, "put %s: %s", shown(pr, j->local),
		    r->why);
	j->final_block = r->final_block;
	j->opt_sent = r->opt_sent;
	j->asked = r->asked;
	j->size = src.size;
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
	struct get_plan plan;
	struct watch w;
	int rc;

	if (!j->sink_open && (pr->b.over || sink_open(pr, j) == -1))
		return RC_FAILED;
	/* Sent ahead, its request had no offset: a part begins anew. */
	get_plan_start(&plan, pr->c, &j->sink, j->remote, (j->listed ?
	    GET_PLAN_LISTED : 0) | (r->ahead != NULL ? GET_PLAN_FRESH : 0),
	    j->size, j->mtime, pr->f->preserve);
	rs = (struct remote_sink){ local_sink_write, local_sink_finish,
	    &j->sink, j->sink.offset, local_sink_hash_prefix,
	    local_sink_restart, local_sink_expect, get_plan_announced, &plan };
	progress_watch(&pr->c->progress, transfer_base(j->remote), &w);
	rc = remote_download(r, PKT_RRQ, j->remote, &rs, &w);
	transfer_bar_stop(pr->c, rc == RC_OK);
	local_sink_close(&j->sink, 0);
	j->sink_open = 0;
	if (rc == RC_OK)
		pr->tally.bytes += r->announced.size;
	if (rc != RC_OK && get_plan_mismatch(&plan)) {
		get_plan_end(&plan);
		return command_report(rc, "get %s: the part kept from an "
		    "earlier get does not match the remote file; removed: "
		    "get it again", shown(pr, j->remote));
	}
	get_plan_end(&plan);
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
		return worse(lv.rc, command_report(rc == RC_OK ? RC_FAILED :
		    rc, "%s: more than %d entries; stopped", pr->what,
		    LOCAL_ENTRIES_MAX));
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
		if ((rc = remote_upload_answer(r, j->final_block, j->opt_sent ?
		    &j->asked : NULL)) != RC_OK)
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
	if (j->op != PKT_RRQ && j->op != PKT_WRQ)
		return;
	if (rc == RC_OK) {
		pr->stored++;
		pr->tally.files++;
		if (j->op == PKT_WRQ)
			pr->tally.bytes += j->size;
	} else
		pr->tally.failed++;
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

	pr->q.r = r;
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
			pr->q.start = pr->q.end = 0;
			pr->q.written = pr->q.queued;
		}
		if (!in_force(r) && pr->jobs[done].state == JOB_ENDED) {
			next = ++done;	/* failed before sending: reported */
			continue;
		}
		if (!in_force(r) || (done == next && pr->jobs[done].alone)) {
			/* One at a time; the first may negotiate it, and a
			 * resumed download asks for its offset. */
			rc = job_alone(pr, &pr->jobs[done]);
			count(pr, &pr->jobs[done], rc);
			all = worse(all, rc);
			next = ++done;
			if (rc == RC_LOST || sig_intr_pending())
				break;
			continue;
		}
		r->ahead = &pr->q;
		r->hold_int = 0;
		while (!pr->stopped && next < pr->n &&
		    next - done < r->opts.pipeline && r->fd != -1 &&
		    !sig_intr_pending() && !pr->jobs[next].alone) {
			if ((sent = send_job(pr, &pr->jobs[next])) == 1)
				all = worse(all, RC_FAILED);
			next++;
			if (sent == -1)
				break;
		}
		if (done == next)
			continue;	/* the next goes alone */
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
		all = worse(all, rc);
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
		all = worse(all, command_report(RC_FAILED, "%s: interrupted: "
		    "%zu of %zu files done", pr->uploads ? "put" : "get",
		    pr->stored, pr->files));
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
	free(pr->q.buf);
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
	tally_start(&pr->tally);
	pr->b = (struct expand_budget){ pr->what, LOCAL_ENTRIES_MAX, 0, 0 };
	snprintf(pr->what, sizeof(pr->what), "%s", cmd);
	for (i = 0; i < named->n; i++)
		if (named->type[i] == 'd')
			snprintf(pr->what, sizeof(pr->what), "%s %s", cmd,
			    command_show(c, named->v[i]));
}

/* The run's one summary line. */
static void
run_summary(struct run *pr)
{
	pr->tally.skipped = pr->b.skipped;
	tally_print(&pr->tally, pr->what);
}

int
pipeline_get(struct client *c, const struct names *remote,
    const struct names *local, const struct transfer_flags *f)
{
	struct run pr;
	size_t i;
	int all = RC_OK;

	run_start(&pr, c, "get -r", remote);
	pr.f = f;
	for (i = 0; i < remote->n; i++)
		all = worse(all, add_get(&pr, remote->v[i], local->v[i],
		    remote->type[i], 0, NULL, NULL));
	all = worse(all, run_all(&pr));
	run_summary(&pr);
	run_free(&pr);
	return all;
}

int
pipeline_put(struct client *c, const struct names *remote,
    const struct names *local, const struct transfer_flags *f)
{
	struct run pr;
	size_t i;
	int all = RC_OK;

	run_start(&pr, c, "put -r", local);
	pr.f = f;
	pr.uploads = 1;
	for (i = 0; i < remote->n && all != RC_LOST; i++) {
		if (remote->type[i] == 'd')
			all = worse(all, add_put_tree(&pr, AT_FDCWD,
			    local->v[i], NULL, local->v[i], remote->v[i], 0,
			    local->v[i], "", 1));
		else if (add_job(&pr, PKT_WRQ, remote->v[i], local->v[i], 0) ==
		    -1)
			all = command_report(RC_FAILED, "put: out of memory");
	}
	all = worse(all, run_all(&pr));
	run_summary(&pr);
	run_free(&pr);
	return all;
}
