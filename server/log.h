/*
 * The server's log: one line per event on standard error, written with a
 * single write(2) so lines from concurrent children never interleave.
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

#include "text.h"

enum log_level {
	LOG_QUIET = 0,		/* -q: start-up and fatal errors only */
	LOG_NORMAL = 1,		/* connections, requests, ERRs sent */
	LOG_VERBOSE = 2,	/* -v: also options and session ends */
};

void	log_set_level(enum log_level level);

/*
 * The descriptors the log writes to beyond standard error, into
 * fds[0..max): a child keeps them open.  Returns how many.
 */
size_t	log_fds(int *fds, size_t max);

/* "[pid] ..." at LOG_NORMAL: connection, request and ERR-sent lines. */
void	log_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "[pid] ..." at LOG_VERBOSE. */
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "server: ...", always: start-up problems and fatal errors. */
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
