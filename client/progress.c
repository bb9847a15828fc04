/*
 * The progress bar (see progress.h).  Refreshed at most four times a
 * second, from the transfer loop and, while nothing arrives, from the
 * client's clock; drawn only while we are the terminal's foreground
 * process group, so a backgrounded client stays quiet.
 */
#include <inttypes.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>
#include <sys/ioctl.h>

#include "progress.h"

#define REDRAW_NS	250000000L	/* a quarter of a second */
#define STALL_SECONDS	5
#define NAME_MIN	5		/* columns of the name kept at 40 */
/*
 * Columns left free at the end of the line: the last (a full line wraps
 * on some terminals) and two for the "^C" the terminal echoes when
 * Ctrl-C ends a transfer, so that the echo never wraps and the line can
 * be cleared whole.
 */
#define COLS_SPARE	3
#define COLS_MAX	400
/* Longer estimates say nothing, and would overflow an int. */
#define TIME_MAX	(100.0 * 3600)

/* The fields after the name, and the order they are given up in. */
enum { F_PCT, F_BYTES, F_RATE, F_LEFT, F_NOTE, NFIELDS };
static const int field_width[NFIELDS] = { 4, 9, 11, 12, 0 };
static const int drop_order[] = { F_RATE, F_BYTES, F_LEFT, F_NOTE };
#define NDROP	(sizeof(drop_order) / sizeof(drop_order[0]))

static volatile sig_atomic_t resized = 1;

static void	on_winch(int);
static int	term_cols(void);
static void	draw(struct progress *, int, const char *);
static int	fields_width(char [NFIELDS][64], const int *, int);
static size_t	fit_name(char *, size_t, const char *, int, int);
static int	text_cols(const char *, size_t, size_t *);
static void	format_time(char *, size_t, double);
static void	note_text(const struct progress *, const char *, char *,
		    size_t);
static void	on_start(void *, uint64_t, uint64_t);
static void	on_update(void *, uint64_t);
static void	on_tick(void *);
static double	elapsed(const struct timespec *, const struct timespec *);
static void	format_bytes(char *, size_t, double);

static void
on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

void
progress_init(struct progress *pg, int quiet)
{
	struct sigaction sa;

	memset(pg, 0, sizeof(*pg));
	pg->allowed = !quiet && isatty(STDOUT_FILENO);
	pg->on = 1;
	pg->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	if (!pg->allowed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGWINCH, &sa, NULL) == -1)
		resized = 1;		/* then every draw asks */
}

int
progress_toggle(struct progress *pg)
{
	pg->on = !pg->on;
	return pg->on;
}

static int
term_cols(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		/* Wider than this, the name has all the room it can use. */
		return ws.ws_col < COLS_MAX ? ws.ws_col : COLS_MAX;
	return 80;
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

/* MM:SS, or H:MM:SS past an hour; "--:--" for what no int can hold. */
static void
format_time(char *buf, size_t size, double secs)
{
	long s;

	if (!(secs >= 0 && secs < TIME_MAX)) {	/* NaN fails both */
		snprintf(buf, size, "--:--");
		return;
	}
	s = (long)secs;
	if (s < 3600)
		snprintf(buf, size, "%02ld:%02ld", s / 60, s % 60);
	else
		snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60,
		    s % 60);
}

/*
 * Measures the start of name (len bytes) by wcwidth: the columns it
 * takes, and in *bytes how many of its bytes fit in max columns (every
 * byte when max is -1).  What is not printable text counts as one column,
 * shown as '?'.
 */
static int
text_cols(const char *name, size_t max_cols, size_t *bytes)
{
	size_t left = strlen(name), n, at = 0;
	mbstate_t ps;
	wchar_t wc;
	int used = 0, w;

	memset(&ps, 0, sizeof(ps));
	while (left > 0) {
		n = mbrtowc(&wc, name + at, left, &ps);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0 ||
		    (w = wcwidth(wc)) < 0) {
			memset(&ps, 0, sizeof(ps));
			w = 1;
			n = n == (size_t)-2 ? left : 1;
		}
		if ((size_t)used + (size_t)w > max_cols)
			break;
		used += w;
		at += n;
		left -= n;
	}
	*bytes = at;
	return used;
}

/*
 * Writes name into out[0..size) in cols columns, measured by wcwidth
 * and padded with spaces; a longer one is cut between characters and
 * ends in an ellipsis ("…" in UTF-8, else "...").  What is not printable
 * text shows as '?'.  Returns its length in bytes.
 */
static size_t
fit_name(char *out, size_t size, const char *name, int cols, int utf8)
{
	const char *dots = utf8 ? "\u2026" : "...";
	int dotw = utf8 ? 1 : 3, used;
	size_t len = 0, keep, n, left;
	mbstate_t ps;
	wchar_t wc;

	if (cols <= 0 || size == 0) {
		if (size > 0)
			out[0] = '\0';
		return 0;
	}
	if (text_cols(name, (size_t)-1, &keep) > cols && cols > dotw)
		(void)text_cols(name, (size_t)(cols - dotw), &keep);
	else {
		dots = "";
		(void)text_cols(name, (size_t)cols, &keep);
	}
	memset(&ps, 0, sizeof(ps));
	for (left = keep; left > 0 && len + 1 < size; name += n, left -= n) {
		n = mbrtowc(&wc, name, left, &ps);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0 ||
		    wcwidth(wc) < 0) {
			memset(&ps, 0, sizeof(ps));
			n = n == (size_t)-2 ? left : 1;
			out[len++] = '?';
		} else if (len + n < size) {
			memcpy(out + len, name, n);
			len += n;
		} else
			break;
	}
	out[len] = '\0';
	if (len + strlen(dots) < size) {
		memcpy(out + len, dots, strlen(dots) + 1);
		len += strlen(dots);
	}
	used = text_cols(out, (size_t)-1, &n);
	while (used++ < cols && len + 1 < size)
		out[len++] = ' ';
	out[len] = '\0';
	return len;
}

/* Columns the shown fields take, each with its leading space; padded to
 * their usual widths, or (pad 0) as narrow as their text. */
static int
fields_width(char text[NFIELDS][64], const int *shown, int pad)
{
	int f, w, width = 0;

	for (f = 0; f < NFIELDS; f++)
		if (shown[f]) {
			w = (int)strlen(text[f]);
			width += 1 + (pad && field_width[f] > w ?
			    field_width[f] : w);
		}
	return width;
}

/*
 * One frame, never wider than the terminal less a column (a full line
 * would wrap on some terminals): the fields are given up, rate first,
 * until the name has NAME_MIN columns; what still does not fit is cut.
 */
static void
draw(struct progress *pg, int final, const char *note)
{
	char line[1024], text[NFIELDS][64];
	struct timespec now;
	double secs, bps, pct;
	int f, shown[NFIELDS], namew, pad;
	size_t len, d;

	if (!pg->allowed || !pg->on || tcgetpgrp(STDOUT_FILENO) != getpgrp())
		return;
	if (resized || pg->cols == 0) {
		resized = 0;
		pg->cols = term_cols();
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	pg->last_draw = now;
	secs = elapsed(&pg->start, &now);
	/* The rate is this transfer's: a resumed one's offset came free. */
	bps = secs > 0 ? (double)(pg->bytes - pg->offset) / secs : 0;
	format_bytes(text[F_BYTES], sizeof(text[F_BYTES]), (double)pg->bytes);
	format_bytes(text[F_RATE], sizeof(text[F_RATE]), bps);
	strlcat(text[F_RATE], "/s", sizeof(text[F_RATE]));
	if (pg->total == SIZE_UNKNOWN)
		text[F_PCT][0] = '\0';
	else {
		pct = pg->total == 0 ? 100 : 100.0 * (double)pg->bytes /
		    (double)pg->total;
		snprintf(text[F_PCT], sizeof(text[F_PCT]), "%d%%",
		    (int)(pct > 100 ? 100 : pct));
	}
	if (final)
		format_time(text[F_LEFT], sizeof(text[F_LEFT]), secs);
	else if (elapsed(&pg->last_move, &now) >= STALL_SECONDS)
		strlcpy(text[F_LEFT], "- stalled -", sizeof(text[F_LEFT]));
	else {
		format_time(text[F_LEFT], sizeof(text[F_LEFT]) - 4,
		    pg->total != SIZE_UNKNOWN && pg->total >= pg->bytes &&
		    bps > 0 ?
		    (double)(pg->total - pg->bytes) / bps : -1);
		strlcat(text[F_LEFT], " ETA", sizeof(text[F_LEFT]));
	}
	note_text(pg, note, text[F_NOTE], sizeof(text[F_NOTE]));
	for (f = 0; f < NFIELDS; f++)
		shown[f] = text[f][0] != '\0';	/* no size: no percent */
	/* The padding goes first, then the fields, rate first. */
	for (d = 0, pad = 1; (namew = pg->cols - COLS_SPARE -
	    fields_width(text, shown, pad)) < NAME_MIN;)
		if (pad)
			pad = 0;
		else if (d < NDROP)
			shown[drop_order[d++]] = 0;
		else
			break;
	len = fit_name(line, sizeof(line), pg->name, namew, pg->utf8);
	for (f = 0; f < NFIELDS; f++)
		if (shown[f]) {
			snprintf(line + len, sizeof(line) - len, " %*s",
			    pad ? field_width[f] : 0, text[f]);
			len += strlen(line + len);
		}
	/* Only the fields can be left over here, and they are ASCII. */
	if (pg->cols > COLS_SPARE && len > (size_t)(pg->cols - COLS_SPARE) &&
	    namew <= 0)
		line[pg->cols - COLS_SPARE] = '\0';
	printf("\r%s\033[K%s", line, final ? "\n" : "");
	fflush(stdout);
}

/* The last field: "resumed at N" for a resumed get, then note. */
static void
note_text(const struct progress *pg, const char *note, char *out,
    size_t size)
{
	char held[32];

	if (pg->offset == 0) {
		snprintf(out, size, "%s", note != NULL ? note : "");
		return;
	}
	format_bytes(held, sizeof(held), (double)pg->offset);
	snprintf(out, size, "resumed at %s%s%s", held, note != NULL ? ", " :
	    "", note != NULL ? note : "");
}

static void
on_start(void *ctx, uint64_t offset, uint64_t size)
{
	struct progress *pg = ctx;

	pg->offset = offset;
	pg->total = size == SIZE_UNKNOWN ? SIZE_UNKNOWN : offset + size;
	pg->bytes = offset;
	clock_gettime(CLOCK_MONOTONIC, &pg->start);
	pg->last_move = pg->start;
	pg->started = 1;
	draw(pg, 0, NULL);
}
static void
on_update(void *ctx, uint64_t bytes)
{
	struct progress *pg = ctx;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (pg->offset + bytes != pg->bytes)
		pg->last_move = now;
	pg->bytes = pg->offset + bytes;
	if (elapsed(&pg->last_draw, &now) * 1e9 >= REDRAW_NS)
		draw(pg, 0, NULL);
}

/* The client's clock ticks often; the bar is redrawn a few times a second. */
static void
on_tick(void *ctx)
{
	struct progress *pg = ctx;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (elapsed(&pg->last_draw, &now) * 1e9 >= REDRAW_NS)
		draw(pg, 0, NULL);
}

void
progress_watch(struct progress *pg, const char *name, struct watch *w)
{
	strlcpy(pg->name, name, sizeof(pg->name));
	pg->total = SIZE_UNKNOWN;
	pg->bytes = 0;
	pg->offset = 0;
	pg->started = 0;
	w->start = on_start;
	w->update = on_update;
	w->tick = on_tick;
	w->ctx = pg;
}

void
progress_stop(struct progress *pg, int ok, const char *note)
{
	if (!pg->allowed || !pg->on || !pg->started)
		return;
	if (ok)
		draw(pg, 1, note);
	else if (tcgetpgrp(STDOUT_FILENO) == getpgrp()) {
		printf("\r\033[K");
		fflush(stdout);
	}
	pg->started = 0;
}
