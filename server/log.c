/*
 * The server's log (see log.h).  Where lines go is decided here only, so
 * call sites never care (style.md section 5).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048

static enum log_level level = LOG_NORMAL;

static void	vlog(const char *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static void	vlog_pid(enum log_level, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

size_t
log_fds(int *fds, size_t max)
{
	(void)fds;
	(void)max;
	return 0;
}

void
log_set_level(enum log_level l)
{
	level = l;
}

static void
vlog(const char *prefix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n, m;
	ssize_t w;

	n = snprintf(line, sizeof(line), "%s", prefix);
	if (n < 0)
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;	/* cut, but keep the newline */
	line[n++] = '\n';
	do
		w = write(STDERR_FILENO, line, (size_t)n);
	while (w == -1 && errno == EINTR);
}

/* "[pid] ..." when the level in force reaches want. */
static void
vlog_pid(enum log_level want, const char *fmt, va_list ap)
{
	char prefix[32];

	if (level < want)
		return;
	snprintf(prefix, sizeof(prefix), "[%ld] ", (long)getpid());
	vlog(prefix, fmt, ap);
}

void
log_event(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_pid(LOG_NORMAL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_pid(LOG_VERBOSE, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("server: ", fmt, ap);
	va_end(ap);
}
