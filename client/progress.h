/*
 * The progress bar (interface.md): on a terminal, for each transfer, the
 * name, percent when the size is known, bytes, rate and time left, or
 * "stalled"; then a summary line.  Three calls as in OpenSSH's
 * progressmeter: start, refresh, stop.  Off a terminal, or quiet, silent.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdint.h>
#include <time.h>

#include "remote.h"

struct progress {
	int enabled;
	int user_off;			/* the progress command */
	char name[64];
	uint64_t total;			/* or SIZE_UNKNOWN */
	uint64_t bytes;
	struct timespec start, last_draw, last_move;
};

/* Whether bars are drawn: stdout is a terminal and not quiet. */
void	progress_init(struct progress *pg, int quiet);

/* A watch for remote transfers, drawing on pg under name. */
void	progress_watch(struct progress *pg, const char *name,
	    struct watch *w);

/* Bars off, or on again (the progress command); 1 when now on. */
int	progress_toggle(struct progress *pg);

/* Ends the bar: the summary line on success, a cleared line otherwise. */
void	progress_stop(struct progress *pg, int ok);

#endif
