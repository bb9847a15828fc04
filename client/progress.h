/*
 * The progress bar (interface.md): on a terminal, for each transfer, the
 * name, percent when the size is known, bytes, rate and time left, or
 * "stalled"; then a summary line.  Three calls as in OpenSSH's
 * progressmeter: start, refresh, stop.  Off a terminal, or quiet, silent.
 * A resumed download shows the whole file's progress, from its offset,
 * and says "resumed at N".
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdint.h>
#include <time.h>

#include "proto_limits.h"
#include "remote.h"

struct progress {
	int allowed;			/* stdout is a terminal, not -q */
	int on;				/* the progress command's switch */
	int started;			/* a bar is on the screen */
	int cols;			/* the terminal's width, 0: unknown */
	int utf8;			/* the locale's: "…", else "..." */
	char name[COMPONENT_LEN_MAX + 1];
	uint64_t total;			/* the whole file, or SIZE_UNKNOWN */
	uint64_t bytes;			/* of the whole file, offset first */
	uint64_t offset;		/* held before: a resumed get */
	struct timespec start, last_draw, last_move;
};

/*
 * Bars are drawn when stdout is a terminal and not quiet, and then the
 * width is followed: a SIGWINCH handler (SA_RESTART) says to read it
 * again before the next draw.
 */
void	progress_init(struct progress *pg, int quiet);

/*
 * The progress command: turns bars off, or on again.  Returns 1 when
 * they are now on; they are still drawn only where progress_init allows.
 */
int	progress_toggle(struct progress *pg);

/*
 * A watch for remote transfers, drawing on pg under name.  Its start
 * takes the offset the transfer resumes at (0: from the beginning).
 */
void	progress_watch(struct progress *pg, const char *name,
	    struct watch *w);

/*
 * Ends the bar: the summary line on success, with note (NULL, or a short
 * text such as "verified xxh128") at its end; a cleared line otherwise.
 */
void	progress_stop(struct progress *pg, int ok, const char *note);

#endif
