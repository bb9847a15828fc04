/*
 * How a command reports (see client.h): one line on standard error,
 * names escaped for the user's character set, the worse of two outcomes
 * and the summary of a file's bar.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "proto_limits.h"
#include "text.h"

int
command_report(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/*
 * A name made fit to print in the user's character set.  Four buffers in
 * turn, so one report line can show a few names.
 */
const char *
command_show(const struct client *c, const char *s)
{
	static char buf[4][TEXT_ESCAPED_LEN(PATH_LEN_MAX)];
	static unsigned next;
	char *b = buf[next++ % 4];

	text_escape(b, sizeof(buf[0]), s, strlen(s), c->cfg->text_flags);
	return b;
}

int
command_worst(int a, int b)
{
	if (a == RC_LOST || b == RC_LOST)
		return RC_LOST;
	return a != RC_OK ? a : b;
}

const char *
command_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

void
command_bar_stop(struct client *c, int ok)
{
	char note[32];

	/* The summary says whether the file was checked, and with what. */
	snprintf(note, sizeof(note), "%s%s", c->remote.verified != DIGEST_NONE
	    ? "verified " : "not verified", c->remote.verified != DIGEST_NONE ?
	    digest_name(c->remote.verified) : "");
	progress_stop(&c->progress, ok, note);
}
