/*
 * Running a pipeline (see pipeline_run.h).
 *
 * Requests are sent ahead, up to the window the server echoed, and the
 * answers read in order.  A request other than an upload is small: it
 * goes to the write-ahead queue (outq.h), written without waiting, so
 * that the client never waits on a write while the server waits on one;
 * only the request whose answer is read next is written waiting, when
 * every answer before it has been read (protocol.md, "Neither side
 * waits").  An upload is written whole as it is sent: the answers that
 * may pile up meanwhile are small.
 *
 * The per-request work goes through remote.h as for one file: with
 * r->ahead set, a request there only reads its answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "path.h"
#include "pipeline_run.h"
#include "signals.h"

static const char *shown(const struct run *, const char *);
static int	job_parent(const struct job *, int, const char **);
static int	in_force(const struct remote *);
static int	source_open(const struct job *, struct local_source *, char *,
		    size_t);
static int	sink_open(struct run *, struct job *);
static int	upload(struct run *, struct job *);
static int	send_job(struct run *, struct job *);
static int	download(struct run *, struct job *);
static int	answer_job(struct run *, struct job *);
static int	job_alone(struct run *, struct job *);
static int	answer_soon(const struct remote *);
static void	count(struct run *, const struct job *, int);
static void	unanswered(struct run *, size_t, size_t, int);
static void	note_intr(struct run *);
static int	alone_step(struct run *, size_t, int *);
static void	send_ahead(struct run *, size_t, size_t *, int *);
static int	answer_next(struct run *, size_t, int *);
static int	run_end(struct run *, size_t, size_t, int);

/* A name as commands show it. */
static const char *
shown(const struct run *pr, const char *s)
{
	return command_show(pr->c, s);
}

int
run_add(struct run *pr, enum pkt_op op, const char *remote,
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

int
run_place(struct job *j, const char *top, const char *rel)
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
	progress_watch(&pr->c->progress, command_base(j->remote), &w);
	/* Its time always, its mode with -p ("File attributes"). */
	r->next_attrs = OPT_MTIME | (pr->f->preserve ? OPT_MODE : 0);
	r->next_mtime = src.mtime;
	r->next_mode = src.mode;
	rc = remote_upload(r, j->remote, local_source_read, &src, src.size,
	    &w);
	command_bar_stop(pr->c, rc == RC_OK);
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
	progress_watch(&pr->c->progress, command_base(j->remote), &w);
	rc = remote_download(r, PKT_RRQ, j->remote, &rs, &w);
	command_bar_stop(pr->c, rc == RC_OK);
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
		return pr->b.over ? RC_FAILED : pr->list(pr, j);
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

void
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

/* Ctrl-C stops the run; an upload's answer still tells its fate. */
static void
note_intr(struct run *pr)
{
	if (sig_intr_pending() && !pr->stopped) {
		pr->stopped = 1;
		if (pr->uploads) {
			sig_intr_clear();
			pr->c->remote.hold_int = 1;
		}
	}
}

/*
 * The job at done the plain way, the extension not in force or the job
 * a resumed download (its offset needs an OPT of its own), unless it
 * failed before sending (reported).  1 when the run is to stop.
 */
static int
alone_step(struct run *pr, size_t done, int *all)
{
	int rc;

	if (pr->jobs[done].state == JOB_ENDED)
		return 0;
	/* One at a time; the first may negotiate it. */
	rc = job_alone(pr, &pr->jobs[done]);
	count(pr, &pr->jobs[done], rc);
	*all = command_worst(*all, rc);
	return rc == RC_LOST || sig_intr_pending();
}

/* Sends the jobs from *next on, while the server's window has room. */
static void
send_ahead(struct run *pr, size_t done, size_t *next, int *all)
{
	struct remote *r = &pr->c->remote;
	int sent;

	r->ahead = &pr->q;
	r->hold_int = 0;
	while (!pr->stopped && *next < pr->n &&
	    *next - done < r->opts.pipeline && r->fd != -1 &&
	    !sig_intr_pending() && !pr->jobs[*next].alone) {
		if ((sent = send_job(pr, &pr->jobs[*next])) == 1)
			*all = command_worst(*all, RC_FAILED);
		(*next)++;
		if (sent == -1)
			break;
	}
}

/*
 * The answer to the job at done, the oldest in flight, once the queue
 * is written up to its request.  The jobs may move meanwhile.
 */
static int
answer_next(struct run *pr, size_t done, int *all)
{
	struct remote *r = &pr->c->remote;
	int rc;

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
	*all = command_worst(*all, rc);
	return rc;
}

/* After the loop: what is left unsent or unanswered, and the summary. */
static int
run_end(struct run *pr, size_t done, size_t next, int all)
{
	struct remote *r = &pr->c->remote;

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

int
run_all(struct run *pr)
{
	struct remote *r = &pr->c->remote;
	size_t next = 0, done = 0;
	int rc, stop, all = RC_OK;

	pr->q.conn = &r->conn;
	pr->q.fd = &r->fd;
	r->want_pipeline = 1;
	while (done < pr->n) {
		note_intr(pr);
		if (pr->stopped && (!pr->uploads || done == next))
			break;
		/* Nothing in flight: the queue is empty too. */
		if (!in_force(r) || done == next)
			outq_clear(&pr->q);
		if (!in_force(r) || (done == next && pr->jobs[done].alone)) {
			stop = alone_step(pr, done, &all);
			next = ++done;
			if (stop) {
				/* A Ctrl-C after a whole file is said too. */
				note_intr(pr);
				break;
			}
			continue;
		}
		send_ahead(pr, done, &next, &all);
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
		rc = answer_next(pr, done, &all);
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
	return run_end(pr, done, next, all);
}
