/*
 * The server's log: one line per event, stamped with the time, on
 * standard error or to syslog, each written with a single system call so
 * that lines from concurrent children never interleave, and never waiting
 * for a slow reader (a line that cannot go at once is dropped and
 * counted).
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
 * At start-up, before any chroot: reads the time zone, and chooses where
 * lines go — standard error, written without ever waiting (log.c says
 * how), or with use_syslog the local syslog socket: syslog_path, or
 * /dev/log when it is NULL.  Returns 0, or -1 with a reason in
 * why[0..whylen) when syslog cannot be reached.
 */
int	log_open(int use_syslog, const char *syslog_path, char *why,
	    size_t whylen);

/*
 * The descriptors the log writes to beyond standard error, into
 * fds[0..max): a child keeps them open.  Returns how many.
 */
size_t	log_fds(int *fds, size_t max);

/*
 * 1 when the lines go to standard error (through it, or through its own
 * descriptor to the same pipe or terminal), 0 with --syslog, where
 * standard error is no part of the log.
 */
int	log_on_stderr(void);

/* "[pid] ..." at LOG_NORMAL: connection, request and ERR-sent lines. */
void	log_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "[pid] ..." at LOG_VERBOSE. */
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "[pid] ..." at LOG_NORMAL: start-up facts (the sandbox in force). */
void	log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "server: ...", always: start-up problems and fatal errors. */
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
