/*
 * A pipeline run (pipeline.h), for pipeline.c: a list of jobs, one
 * request each, that grows as listings arrive (get -r) or is made whole
 * before it starts (put), and what runs it.  What jobs a command makes
 * is pipeline.c's; sending them ahead and reading their answers,
 * pipeline_run.c's.
 */
#ifndef PIPELINE_RUN_H
#define PIPELINE_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "client.h"
#include "expand.h"
#include "local_sink.h"
#include "localfile.h"
#include "mirror.h"
#include "outq.h"
#include "options.h"
#include "packet.h"

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
	const struct transfer_flags *f;	/* -f, -p */
	struct tally tally;		/* the summary line's counts */
	int uploads;			/* put: small answers; Ctrl-C waits */
	size_t files, stored;		/* file jobs, and those done */
	int stopped;			/* Ctrl-C */
	char what[LOCAL_WHY_SIZE];	/* "get -r tree", "put -r tree" */
	struct expand_budget b;		/* as transfers.c's trees */
	/*
	 * A tree's listing (a DRQ job's answer) read into new jobs: the
	 * planner's, so that the run knows nothing of trees.  The jobs may
	 * move meanwhile.
	 */
	int	(*list)(struct run *pr, const struct job *j);
};

/* Adds a job for remote and local.  0, or -1 out of memory. */
int	run_add(struct run *pr, enum pkt_op op, const char *remote,
	    const char *local, int depth);

/* The job j lies in the tree top at rel.  0, or -1 out of memory. */
int	run_place(struct job *j, const char *top, const char *rel);

/*
 * Runs the jobs, in order, with the extension where the server echoes
 * it and one at a time where not; Ctrl-C stops it.  Every failure is
 * reported on its own line; returns the worst status.
 */
int	run_all(struct run *pr);

void	run_free(struct run *pr);

#endif
