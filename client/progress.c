/*
 * The progress bar (see progress.h).  Refreshed at most four times a
 * second, from the transfer loop and, while nothing arrives, from the
 * client's clock; drawn only while we are the terminal's foreground
 * process group, so a backgrounded client stays quiet.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "progress.h"

#define REDRAW_NS	250000000L	/* a quarter of a second */
#define STALL_SECONDS	5

static void	draw(struct progress *, int);
static void	on_start(void *, uint64_t);
static void	on_update(void *, uint64_t);
static void	on_tick(void *);
static double	elapsed(const struct timespec *, const struct timespec *);
static void	format_bytes(char *, size_t, double);

void
progress_init(struct progress *pg, int quiet)
{
	memset(pg, 0, sizeof(*pg));
	pg->enabled = !quiet && isatty(STDOUT_FILENO);
}

static double
elapsed(const struct timespec *from, const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) +
	    (double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

static void
format_bytes(char *buf, size_t size, double v)
{
	static const char units[] = "BKMGTPE";
	size_t u = 0;

	while (v >= 1024 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%.0fB", v);
	else
		snprintf(buf, size, "%.1f%ciB", v, units[u]);
}

static void
draw(struct progress *pg, int final)
{
	char line[512], bytes[32], rate[32], left[32], pct[8];
	struct timespec now;
	struct winsize ws;
	double secs, bps;
	int cols = 80, width, namew;

	if (!pg->enabled || pg->user_off ||
	    tcgetpgrp(STDOUT_FILENO) != getpgrp())
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		cols = ws.ws_col;
	if (cols > (int)sizeof(line) - 1)
		cols = (int)sizeof(line) - 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pg->last_draw = now;
	secs = elapsed(&pg->start, &now);
	bps = secs > 0 ? (double)pg->bytes / secs : 0;
	format_bytes(bytes, sizeof(bytes), (double)pg->bytes);
	format_bytes(rate, sizeof(rate), bps);
	strlcat(rate, "/s", sizeof(rate));
	if (pg->total != SIZE_UNKNOWN && pg->total > 0)
		snprintf(pct, sizeof(pct), "%3d%%",
		    (int)(100 * pg->bytes / pg->total));
	else
		snprintf(pct, sizeof(pct), "%s", pg->total == 0 ? "100%" :
		    "    ");
	if (final)
		snprintf(left, sizeof(left), "%02d:%02d", (int)secs / 60,
		    (int)secs % 60);
	else if (elapsed(&pg->last_move, &now) >= STALL_SECONDS)
		snprintf(left, sizeof(left), "- stalled -");
	else if (pg->total != SIZE_UNKNOWN && bps > 0) {
		double eta = (double)(pg->total - pg->bytes) / bps;

		snprintf(left, sizeof(left), "%02d:%02d ETA", (int)eta / 60,
		    (int)eta % 60);
	} else
		snprintf(left, sizeof(left), "--:-- ETA");
	width = snprintf(NULL, 0, " %s %9s %11s %11s", pct, bytes, rate, left);
	namew = cols - 1 - width;
	if (namew < 1)
		namew = 1;
	snprintf(line, sizeof(line), "%-*.*s %s %9s %11s %11s", namew, namew,
	    pg->name, pct, bytes, rate, left);
	printf("\r%s%s", line, final ? "\n" : "");
	fflush(stdout);
}

static void
on_start(void *ctx, uint64_t size)
{
	struct progress *pg = ctx;

	pg->total = size;
	pg->bytes = 0;
	clock_gettime(CLOCK_MONOTONIC, &pg->start);
	pg->last_move = pg->start;
	draw(pg, 0);
}

static void
on_update(void *ctx, uint64_t bytes)
{
	struct progress *pg = ctx;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (bytes != pg->bytes)
		pg->last_move = now;
	pg->bytes = bytes;
	if (elapsed(&pg->last_draw, &now) * 1e9 >= REDRAW_NS)
		draw(pg, 0);
}

/* The client's clock ticks often; the bar is redrawn a few times a second. */
static void
on_tick(void *ctx)
{
	struct progress *pg = ctx;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (elapsed(&pg->last_draw, &now) * 1e9 >= REDRAW_NS)
		draw(pg, 0);
}

void
progress_watch(struct progress *pg, const char *name, struct watch *w)
{
	strlcpy(pg->name, name, sizeof(pg->name));
	pg->total = SIZE_UNKNOWN;
	pg->bytes = 0;
	memset(&pg->start, 0, sizeof(pg->start));
	w->start = on_start;
	w->update = on_update;
	w->tick = on_tick;
	w->ctx = pg;
}

int
progress_toggle(struct progress *pg)
{
	pg->user_off = !pg->user_off;
	return !pg->user_off;
}

void
progress_stop(struct progress *pg, int ok)
{
	if (!pg->enabled || pg->user_off || pg->start.tv_sec == 0)
		return;
	if (ok)
		draw(pg, 1);
	else if (tcgetpgrp(STDOUT_FILENO) == getpgrp()) {
		printf("\r\033[K");
		fflush(stdout);
	}
	pg->start.tv_sec = 0;
}
