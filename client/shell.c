/*
 * Command input (see shell.h): batches read line by line, and the
 * interactive shell on libedit's wide-character interface, so that text
 * of any locale is typed, recalled and completed whole.  Lines are split
 * by words.c and completed by complete.c; this file owns the loop, the
 * history file, Ctrl-C at the prompt and "!" commands.
 */
#include <errno.h>
#include <histedit.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>
#include <sys/stat.h>

#include "complete.h"
#include "local_run.h"
#include "shell.h"
#include "signals.h"
#include "words.h"

#define HISTORY_MAX	1000
/* Ctrl-C reaches the editor as this key, bound to discard_key. */
#define KEY_INTR	L'\003'

static int	run_line(struct client *, const char *, int *);
static int	run_local(char *);
static int	history_path(char *, size_t, int);
static void	history_load(HistoryW *);
static void	history_save(HistoryW *);
static int	wait_key(void);
static int	read_key(EditLine *, wchar_t *);
static unsigned char discard_key(EditLine *, int);
static char	*prompt(EditLine *);

/*
 * Runs one line, its newline (if any) not part of it.  *ignore is set
 * when it starts with '-': its failure does not count.  Returns the
 * command's status (CMD_QUIT included).
 */
static int
run_line(struct client *c, const char *line, int *ignore)
{
	char buf[WORDS_LINE_MAX + 1], *p;
	struct words w;
	size_t len = strlen(line);

	*ignore = 0;
	/* Inside an unclosed quote the newline would join the word. */
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len > WORDS_LINE_MAX) {
		fprintf(stderr, "line too long\n");
		return RC_FAILED;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	p = buf + strspn(buf, " \t");
	*ignore = *p == '-';
	if (*ignore)
		p++;
	if (*p == '!')
		return run_local(p + 1);
	if (words_split(p, &w) == -1) {
		fprintf(stderr, "line too long or too many words\n");
		return RC_FAILED;
	}
	if (w.argc == 0 || w.argv[0][0] == '#')
		return RC_OK;
	if (w.quote != 0) {
		fprintf(stderr, "unterminated %c: the line was not run\n",
		    w.quote);
		return RC_FAILED;
	}
	return command_run(c, w.argc, w.argv);
}

/*
 * "!COMMAND" through /bin/sh -c, the rest of the line verbatim; "!"
 * alone runs $SHELL (local_run.h).
 */
static int
run_local(char *cmd)
{
	static char sh[] = "/bin/sh", sh_name[] = "sh", dash_c[] = "-c";
	char *argv[4], *shell, what[WORDS_LINE_MAX + 2];

	snprintf(what, sizeof(what), "!%s", cmd);
	if (cmd[strspn(cmd, " \t")] == '\0') {
		shell = getenv("SHELL");
		argv[0] = shell != NULL && shell[0] != '\0' ? shell : sh;
		argv[1] = NULL;
		return local_run(what, argv[0], argv);
	}
	argv[0] = sh_name;
	argv[1] = dash_c;
	argv[2] = cmd;
	argv[3] = NULL;
	return local_run(what, sh, argv);
}

int
shell_batch(struct client *c, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc, ignore, status = RC_OK;

	while ((len = getline(&line, &cap, f)) != -1) {
		rc = run_line(c, line, &ignore);
		if (rc == CMD_QUIT)
			break;
		if (rc != RC_OK && !ignore) {
			status = rc;
			break;
		}
		if (sig_intr_pending() || sig_term_pending()) {
			status = RC_FAILED;
			break;
		}
	}
	if (len == -1 && ferror(f) && status == RC_OK) {
		fprintf(stderr, "reading commands: %s\n", sig_intr_pending() ?
		    "interrupted" : strerror(errno));
		status = RC_FAILED;
	}
	free(line);
	return status;
}

/*
 * $XDG_STATE_HOME/fileserver/history, else ~/.local/state/fileserver/
 * history (interface.md), into path.  With make, missing directories on
 * the way are made, 0700.  -1 when there is no such place.
 */
static int
history_path(char *path, size_t size, int make)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *s;
	int n;

	/* The XDG base directory rules ignore a relative path. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(path, size, "%s/fileserver/history", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(path, size, "%s/.local/state/fileserver/history",
		    home);
	else
		return -1;
	if (n < 0 || (size_t)n >= size)
		return -1;
	for (s = strchr(path + 1, '/'); make && s != NULL;
	    s = strchr(s + 1, '/')) {
		*s = '\0';
		/* An existing directory is EEXIST; other failures show
		 * when the file cannot be written. */
		(void)mkdir(path, 0700);
		*s = '/';
	}
	return 0;
}

/* A missing or unreadable history is an empty one: no message. */
static void
history_load(HistoryW *hist)
{
	char path[PATH_MAX];
	HistEventW ev;

	if (history_path(path, sizeof(path), 0) == 0)
		(void)history_w(hist, &ev, H_LOAD, path);
}

/*
 * After every line, so that a session killed with its terminal loses
 * nothing: into a new file (mkstemp: 0600) renamed over the old, so that
 * two sessions saving at once leave one whole history, never a mix.  A
 * failure is told once per session.
 */
static void
history_save(HistoryW *hist)
{
	static int warned;
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	HistEventW ev;
	FILE *f = NULL;
	int fd, e;

	if (history_path(path, sizeof(path), 1) == -1 ||
	    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return;
	if ((fd = mkstemp(tmp)) == -1)
		goto fail;
	if ((f = fdopen(fd, "w")) == NULL) {
		e = errno;
		close(fd);
		goto unlink;
	}
	if (history_w(hist, &ev, H_SAVE_FP, f) == -1) {
		e = EIO;
		fclose(f);
		goto unlink;
	}
	if (fclose(f) != 0 || rename(tmp, path) == -1) {
		e = errno;
		goto unlink;
	}
	return;
unlink:
	unlink(tmp);
	errno = e;
fail:
	if (!warned) {
		warned = 1;
		fprintf(stderr, "client: history not saved: %s: %s\n", path,
		    strerror(errno));
	}
}

/*
 * Waits until the terminal has input: 1, or 0 when Ctrl-C was pressed
 * (the flag is cleared), or -1 on error.  SIGINT is blocked from the
 * look at the flag until ppoll unblocks it, so a Ctrl-C in between still
 * ends the wait; and the flag is looked at again once the mask is back,
 * as ppoll prefers input typed after Ctrl-C to the signal pending.
 */
static int
wait_key(void)
{
	struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
	sigset_t intr, old, during;
	int rc = 0, e = 0;

	sigemptyset(&intr);
	sigaddset(&intr, SIGINT);
	for (;;) {
		if (sigprocmask(SIG_BLOCK, &intr, &old) == -1)
			return -1;
		if (!sig_intr_pending()) {
			during = old;
			sigdelset(&during, SIGINT);
			rc = ppoll(&pfd, 1, NULL, &during);
			e = errno;
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (sig_term_pending()) {
			errno = EINTR;	/* the end: no more lines */
			return -1;
		}
		if (sig_intr_pending()) {
			sig_intr_clear();
			return 0;
		}
		if (rc > 0)
			return 1;
		if (rc == -1 && e != EINTR) {
			errno = e;
			return -1;
		}
	}
}

/*
 * The editor's input (EL_GETCFN): one character of the locale, or
 * KEY_INTR for Ctrl-C.  libedit's own reader retries a read that a
 * signal interrupts, so a Ctrl-C at the prompt would go unseen; here the
 * handler's flag becomes a key.  1, 0 at end of input, -1 on error.
 */
static int
read_key(EditLine *el, wchar_t *wc)
{
	char buf[MB_LEN_MAX];
	size_t len = 0, n;
	mbstate_t ps;
	ssize_t got;
	int rc;

	(void)el;
	for (;;) {
		if ((rc = wait_key()) == -1)
			return -1;
		if (rc == 0) {
			*wc = KEY_INTR;
			return 1;
		}
		if ((got = read(STDIN_FILENO, buf + len, 1)) == -1 &&
		    errno == EINTR)
			continue;
		if (got <= 0)
			return (int)got;
		len++;
		memset(&ps, 0, sizeof(ps));
		n = mbrtowc(wc, buf, len, &ps);
		if (n == (size_t)-2 && len < sizeof(buf))
			continue;
		if (n == (size_t)-1 || n == (size_t)-2) {
			len = 0;	/* not text: dropped, as libedit does */
			continue;
		}
		return 1;
	}
}

/* Ctrl-C: the line stays in view with "^C" after it; a new one starts. */
static unsigned char
discard_key(EditLine *el, int ch)
{
	const LineInfoW *li = el_wline(el);
	int len = (int)(li->lastchar - li->buffer);

	(void)ch;
	complete_leave_line(el, "^C");
	el_cursor(el, len);
	el_wdeletestr(el, len);
	return CC_REDISPLAY;
}

static char *
prompt(EditLine *el)
{
	static char buf[PATH_LEN_MAX + 16];
	struct client *c;

	el_get(el, EL_CLIENTDATA, &c);
	snprintf(buf, sizeof(buf), "fs:/%s> ", c->remote.cwd);
	return buf;
}

int
shell_interactive(struct client *c)
{
	char line[WORDS_LINE_MAX + 1];
	const wchar_t *wline, *src;
	mbstate_t ps;
	HistEventW ev;
	HistoryW *hist;
	EditLine *el;
	size_t len;
	int count, rc, ignore;

	if ((el = el_init("client", stdin, stdout, stderr)) == NULL ||
	    (hist = history_winit()) == NULL) {
		fprintf(stderr, "client: cannot start line editing\n");
		if (el != NULL)
			el_end(el);
		return RC_FAILED;
	}
	history_w(hist, &ev, H_SETSIZE, HISTORY_MAX);
	history_w(hist, &ev, H_SETUNIQUE, 1);
	history_load(hist);
	el_wset(el, EL_HIST, history_w, hist);
	el_set(el, EL_PROMPT, prompt);
	el_set(el, EL_EDITOR, "emacs");
	/* No EL_SIGNAL: read_key waits for keys and Ctrl-C itself. */
	el_set(el, EL_SIGNAL, 0);
	el_set(el, EL_CLIENTDATA, c);
	el_wset(el, EL_GETCFN, read_key);
	/* The wide call keeps our static strings; the narrow one copies
	 * them with wcsdup and never frees the copies. */
	el_wset(el, EL_ADDFN, L"fs-complete", L"Complete a command or a name",
	    complete_key);
	el_wset(el, EL_ADDFN, L"fs-discard", L"Discard the line",
	    discard_key);
	el_source(el, NULL);		/* ~/.editrc: vi keys and the like */
	/* After it, as "bind -v" there starts the key maps afresh. */
	el_set(el, EL_BIND, "^I", "fs-complete", NULL);
	el_set(el, EL_BIND, "^C", "fs-discard", NULL);

	for (;;) {
		/* A Ctrl-C during the last command was for that command. */
		sig_intr_clear();
		if ((wline = el_wgets(el, &count)) == NULL || count <= 0) {
			fputc('\n', stdout);
			break;
		}
		memset(&ps, 0, sizeof(ps));
		src = wline;
		len = wcsrtombs(line, &src, sizeof(line), &ps);
		if (len == (size_t)-1 || src != NULL) {
			fprintf(stderr, "line too long\n");
			continue;
		}
		if (strspn(line, " \t\n") != len) {
			history_w(hist, &ev, H_ENTER, wline);
			history_save(hist);
		}
		rc = run_line(c, line, &ignore);
		if (rc == CMD_QUIT || sig_term_pending())
			break;
	}
	history_wend(hist);
	el_end(el);
	return RC_OK;
}
