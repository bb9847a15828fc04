/*
 * The server's log (see log.h).  Where lines go is decided here only, so
 * call sites never care (style.md section 5).
 *
 * Logging never blocks a session (issue 13, finding 7): a reader of
 * standard error that stalls must not hold a child past its idle timeout,
 * nor the listening parent at all.  So every line is written without
 * waiting, and a line that does not fit at once is dropped and counted;
 * the count is logged with the next line that gets through.
 *
 * - A pipe, FIFO or terminal on standard error is opened a second time,
 *   through /proc/self/fd/2 at start-up (before any chroot), as a new
 *   open file description with O_NONBLOCK: the server's writes do not
 *   wait, while the descriptor the server was given, shared with whoever
 *   started it, is left as it was (setting O_NONBLOCK on it would change
 *   a shell's terminal too).  A line is at most LOG_LINE_MAX bytes, under
 *   PIPE_BUF, so a pipe takes it whole or not at all: lines from
 *   concurrent children never interleave.
 * - A socket (journald's stdout) is written with send(MSG_DONTWAIT).
 * - A regular file or /dev/null is written as it is: a write there waits
 *   for no reader.
 * - Where /proc is missing, a pipe is polled for room first; the write
 *   that follows can still wait if other processes fill the pipe in
 *   between, and then a child's 100 ms idle tick interrupts it (the line
 *   is dropped).
 *
 * With --syslog the lines go to the local syslog socket instead, as
 * datagrams sent with MSG_DONTWAIT: syslog(3) would block when the daemon
 * falls behind and reconnects by itself, which the child's system call
 * filter forbids.  The socket is connected at start-up, before any
 * chroot.
 *
 * Each line on standard error starts with the local time in ISO 8601 with
 * its zone (2026-12-02T06:10:00+00:00); the time zone is read at start-up,
 * as a chroot has no /etc/localtime.  Syslog stamps its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "log.h"

#define LOG_LINE_MAX	2048	/* under PIPE_BUF: written whole or not */
#define STAMP_LEN	26	/* "2026-12-02T06:10:00+00:00 " */
#define SYSLOG_PATH	"/dev/log"
#define SYSLOG_DAEMON	(3 << 3)	/* the daemon facility, RFC 5424 */

enum sink { SINK_WRITE, SINK_POLL, SINK_SEND, SINK_SYSLOG };

static enum log_level level = LOG_NORMAL;
static enum sink sink = SINK_WRITE;
static int logfd = STDERR_FILENO;
static unsigned long dropped;		/* lines lost since the last one out */
static pid_t dropped_pid;		/* whose count it is */

static void	vlog(int, const char *, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static void	vlog_pid(enum log_level, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static int	emit(const char *, size_t);
static int	open_syslog(const char *, char *, size_t);
static size_t	head(char *, size_t, int, pid_t);

void
log_set_level(enum log_level l)
{
	level = l;
}

static int
open_syslog(const char *path, char *why, size_t whylen)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(why, whylen, "syslog socket %s: name too long", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == -1) {
		snprintf(why, whylen, "syslog socket %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

int
log_open(int use_syslog, const char *path, char *why, size_t whylen)
{
	struct stat st;
	int fd;

	tzset();
	if (use_syslog) {
		if ((fd = open_syslog(path ? path : SYSLOG_PATH, why,
		    whylen)) == -1)
			return -1;
		logfd = fd;
		sink = SINK_SYSLOG;
		return 0;
	}
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;	/* no standard error: writes fail, harmlessly */
	if (S_ISSOCK(st.st_mode)) {
		sink = SINK_SEND;
	} else if (S_ISFIFO(st.st_mode) || isatty(STDERR_FILENO)) {
		fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK |
		    O_APPEND | O_NOCTTY | O_CLOEXEC);
		if (fd != -1)
			logfd = fd;
		else
			sink = SINK_POLL;
	}
	return 0;
}

int
log_on_stderr(void)
{
	return sink != SINK_SYSLOG;
}

size_t
log_fds(int *fds, size_t max)
{
	if (logfd == STDERR_FILENO || max == 0)
		return 0;
	fds[0] = logfd;
	return 1;
}

/*
 * The start of a line into buf: "2026-12-02T06:10:00+00:00 " on standard
 * error, "<pri>server[pid]: " for syslog.  Its length, or 0.
 */
static size_t
head(char *buf, size_t size, int pri, pid_t pid)
{
	struct timespec ts;
	struct tm tm;
	size_t n;
	int m;

	if (sink == SINK_SYSLOG) {
		m = snprintf(buf, size, "<%d>server[%ld]: ", SYSLOG_DAEMON | pri,
		    (long)pid);
		return m > 0 && (size_t)m < size ? (size_t)m : 0;
	}
	if (size < STAMP_LEN + 1 || clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    localtime_r(&ts.tv_sec, &tm) == NULL ||
	    (n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z ", &tm)) !=
	    STAMP_LEN - 1)
		return 0;
	/* strftime's zone is +0000; ISO 8601's extended form is +00:00. */
	memmove(buf + n - 2, buf + n - 3, 4);
	buf[n - 3] = ':';
	return STAMP_LEN;
}

/* Writes line[0..len) without waiting; 0, or -1 when it was dropped. */
static int
emit(const char *line, size_t len)
{
	struct pollfd pfd = { logfd, POLLOUT, 0 };
	ssize_t w;

	do {
		if (sink == SINK_SEND || sink == SINK_SYSLOG)
			w = send(logfd, line, len, MSG_DONTWAIT |
			    MSG_NOSIGNAL);
		else if (sink == SINK_POLL && poll(&pfd, 1, 0) != 1)
			return -1;	/* no room: never wait */
		else
			w = write(logfd, line, len);
	} while (w == -1 && errno == EINTR && sink != SINK_POLL);
	return w == (ssize_t)len ? 0 : -1;
}

/*
 * One line: [stamp] prefix text, cut to LOG_LINE_MAX with its newline
 * kept.  pri is the syslog severity.
 */
static void
vlog(int pri, const char *prefix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX], note[128];
	size_t n = 0;
	int m, saved = errno;
	pid_t pid = getpid();

	n = head(line, sizeof(line), pri, pid);
	m = snprintf(line + n, sizeof(line) - n, "%s", prefix);
	if (m < 0)
		goto out;
	n += (size_t)m;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0)
		goto out;
	n += (size_t)m;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;	/* cut, but keep the newline */
	line[n++] = '\n';

	/* A child starts with its parent's count, which is not its own. */
	if (dropped_pid != pid) {
		dropped_pid = pid;
		dropped = 0;
	}
	if (dropped > 0) {
		size_t h = head(note, sizeof(note), 4, pid);	/* warning */

		m = snprintf(note + h, sizeof(note) - h, "[%ld] %lu log lines "
		    "dropped: the log's reader fell behind\n", (long)pid,
		    dropped);
		if (m > 0 && (size_t)m < sizeof(note) - h &&
		    emit(note, h + (size_t)m) == 0)
			dropped = 0;
	}
	if (emit(line, n) == -1)
		dropped++;
out:
	errno = saved;
}

/* "[pid] ..." when the level in force reaches want. */
static void
vlog_pid(enum log_level want, int pri, const char *fmt, va_list ap)
{
	char prefix[32];

	if (level < want)
		return;
	snprintf(prefix, sizeof(prefix), "[%ld] ", (long)getpid());
	vlog(pri, prefix, fmt, ap);
}

void
log_event(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_pid(LOG_NORMAL, 6, fmt, ap);	/* info */
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_pid(LOG_VERBOSE, 7, fmt, ap);	/* debug */
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(3, "server: ", fmt, ap);		/* err */
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_pid(LOG_NORMAL, 5, fmt, ap);	/* notice */
	va_end(ap);
}
