/*
 * Command input (see shell.h).  One tokenizer serves both running a line
 * and completing one (OpenSSH sftp's makeargv): words split at blanks,
 * with '' and "" quoting and backslash escapes.
 */
#include <dirent.h>
#include <errno.h>
#include <histedit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "listing.h"
#include "path.h"
#include "shell.h"

#define LINE_MAX_LEN	4096
#define ARGS_MAX	16
#define MATCHES_MAX	1024

struct words {
	int argc;
	char *argv[ARGS_MAX + 1];
	char store[LINE_MAX_LEN + ARGS_MAX];
	int open_last;		/* the line ends inside the last word */
};

struct matches {
	char *v[MATCHES_MAX];
	size_t n;
};

static int	split(const char *, struct words *);
static int	run_line(struct client *, const char *, int *);
static unsigned char complete(EditLine *, int);
static char	*prompt(EditLine *);
static void	add_match(struct matches *, const char *, int);
static void	local_matches(const char *, struct matches *);
static void	remote_matches(struct client *, const char *,
		    struct matches *);
static void	free_matches(struct matches *);

/*
 * Splits line into words.  Returns 0, or -1 when there are too many words
 * or the line is too long.  An unclosed quote ends at the end of the line.
 */
static int
split(const char *line, struct words *w)
{
	char *out = w->store, *end = w->store + sizeof(w->store) - 1;
	const char *p = line;
	char quote;

	w->argc = 0;
	w->open_last = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		if (w->argc == ARGS_MAX)
			return -1;
		w->argv[w->argc++] = out;
		quote = 0;
		while (*p != '\0' && (quote || (*p != ' ' && *p != '\t' &&
		    *p != '\n' && *p != '\r'))) {
			if (out == end)
				return -1;
			if (quote && *p == quote) {
				quote = 0;
				p++;
			} else if (!quote && (*p == '\'' || *p == '"'))
				quote = *p++;
			else if (*p == '\\' && quote != '\'' && p[1] != '\0') {
				*out++ = p[1];
				p += 2;
			} else
				*out++ = *p++;
		}
		*out++ = '\0';
		w->open_last = *p == '\0';
	}
	w->argv[w->argc] = NULL;
	return 0;
}

/*
 * Runs one line.  *ignore is set when it starts with '-': its failure
 * does not count.  Returns the command's status (CMD_QUIT included).
 */
static int
run_line(struct client *c, const char *line, int *ignore)
{
	struct words w = { .argc = 0 };

	while (*line == ' ' || *line == '\t')
		line++;
	*ignore = *line == '-';
	if (*ignore)
		line++;
	if (split(line, &w) == -1) {
		fprintf(stderr, "line too long or too many words\n");
		return RC_FAILED;
	}
	if (w.argc == 0 || w.argv[0][0] == '#')
		return RC_OK;
	return command_run(c, w.argc, w.argv);
}

int
shell_batch(struct client *c, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc, ignore, status = RC_OK;

	while ((len = getline(&line, &cap, f)) != -1) {
		if ((size_t)len > LINE_MAX_LEN) {
			fprintf(stderr, "line too long\n");
			status = RC_FAILED;
			break;
		}
		rc = run_line(c, line, &ignore);
		if (rc == CMD_QUIT)
			break;
		if (rc != RC_OK && !ignore) {
			status = rc;
			break;
		}
		if (remote_interrupted()) {
			status = RC_FAILED;
			break;
		}
	}
	if (len == -1 && ferror(f) && status == RC_OK) {
		fprintf(stderr, "reading commands: %s\n", remote_interrupted() ?
		    "interrupted" : strerror(errno));
		status = RC_FAILED;
	}
	free(line);
	return status;
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

static void
add_match(struct matches *m, const char *name, int dir)
{
	size_t len = strlen(name);

	if (m->n == MATCHES_MAX || (m->v[m->n] = malloc(len + 2)) == NULL)
		return;
	memcpy(m->v[m->n], name, len);
	m->v[m->n][len] = dir ? '/' : '\0';
	m->v[m->n][len + 1] = '\0';
	m->n++;
}

static void
free_matches(struct matches *m)
{
	while (m->n > 0)
		free(m->v[--m->n]);
}

/* Names in the local directory of word that start as its last part. */
static void
local_matches(const char *word, struct matches *m)
{
	char dir[4096];
	const char *base = strrchr(word, '/');
	struct dirent *d;
	struct stat st;
	DIR *dp;

	if (base != NULL) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(base - word + 1),
		    word);
		base++;
	} else {
		strlcpy(dir, ".", sizeof(dir));
		base = word;
	}
	if ((dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0
		    || strncmp(d->d_name, base, strlen(base)) != 0 ||
		    (base[0] != '.' && d->d_name[0] == '.'))
			continue;
		add_match(m, d->d_name, fstatat(dirfd(dp), d->d_name, &st,
		    0) == 0 && S_ISDIR(st.st_mode));
	}
	closedir(dp);
}

/* The same on the server, from a listing of the word's directory. */
static void
remote_matches(struct client *c, const char *word, struct matches *m)
{
	char dir[PATH_LEN_MAX + 1], path[PATH_LEN_MAX + 1];
	const char *base = strrchr(word, '/');
	struct listing_entry e;
	const char *line;
	char *text;
	size_t len, pos = 0, n;

	if (base != NULL) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(base - word + 1),
		    word);
		base++;
	} else {
		dir[0] = '\0';
		base = word;
	}
	if (remote_path(&c->remote, dir, path, sizeof(path)) == -1 ||
	    remote_list(&c->remote, path, &text, &len) != RC_OK)
		return;
	while ((line = listing_next_line(text, len, &pos, &n)) != NULL) {
		/* Only valid names reach the command line. */
		if (listing_parse(line, n, &e) == 0 &&
		    path_name_valid(e.name) &&
		    strncmp(e.name, base, strlen(base)) == 0)
			add_match(m, e.name, e.type == 'd');
	}
	free(text);
}

/* Tab: complete the word under the cursor from the command table. */
static unsigned char
complete(EditLine *el, int ch)
{
	const LineInfo *li = el_line(el);
	char line[LINE_MAX_LEN + 1], ins[2 * LINE_MAX_LEN];
	const struct command *cmd;
	struct client *c;
	struct matches m;
	struct words w = { .argc = 0 };
	const char *word, *kinds, *base, *q;
	size_t i, common, baselen, n = 0;
	unsigned char rc = CC_ERROR;
	int argn;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &c);
	if ((size_t)(li->cursor - li->buffer) > LINE_MAX_LEN)
		return CC_ERROR;
	memcpy(line, li->buffer, (size_t)(li->cursor - li->buffer));
	line[li->cursor - li->buffer] = '\0';
	q = line;
	while (*q == ' ' || *q == '\t')
		q++;
	if (*q == '-')
		q++;
	if (split(q, &w) == -1)
		return CC_ERROR;
	argn = w.open_last ? w.argc - 1 : w.argc;
	word = w.open_last ? w.argv[w.argc - 1] : "";
	m.n = 0;
	if (argn <= 0)
		for (i = 0; (cmd = command_at(i)) != NULL; i++) {
			if (strncmp(cmd->name, word, strlen(word)) == 0)
				add_match(&m, cmd->name, 0);
		}
	else if ((cmd = command_find(w.argv[0])) != NULL) {
		kinds = cmd->complete;
		if ((size_t)argn <= strlen(kinds)) {
			if (kinds[argn - 1] == 'L')
				local_matches(word, &m);
			else if (kinds[argn - 1] == 'R')
				remote_matches(c, word, &m);
			else if (kinds[argn - 1] == 'C')
				for (i = 0; (cmd = command_at(i)) != NULL; i++)
					if (strncmp(cmd->name, word,
					    strlen(word)) == 0)
						add_match(&m, cmd->name, 0);
		}
	}
	if (m.n == 0)
		goto out;
	base = strrchr(word, '/') ? strrchr(word, '/') + 1 : word;
	baselen = strlen(base);
	common = strlen(m.v[0]);
	for (i = 1; i < m.n; i++) {
		size_t k = 0;

		while (k < common && m.v[i][k] == m.v[0][k])
			k++;
		common = k;
	}
	if (common > baselen) {
		/* Insert the rest, escaped for the tokenizer. */
		for (i = baselen; i < common && n + 2 < sizeof(ins); i++) {
			if (strchr(" \t'\"\\", m.v[0][i]) != NULL)
				ins[n++] = '\\';
			ins[n++] = m.v[0][i];
		}
		if (m.n == 1 && m.v[0][common - 1] != '/' && n + 1 <
		    sizeof(ins))
			ins[n++] = ' ';
		ins[n] = '\0';
		rc = el_insertstr(el, ins) == -1 ? CC_ERROR : CC_REFRESH;
	} else if (m.n == 1) {
		rc = el_insertstr(el, m.v[0][common - 1] == '/' ? "" : " ") ==
		    -1 ? CC_ERROR : CC_REFRESH;
	} else {
		fputc('\n', stdout);
		for (i = 0; i < m.n; i++)
			printf("%s%s", m.v[i], i + 1 < m.n ? "  " : "\n");
		fflush(stdout);
		rc = CC_REDISPLAY;
	}
out:
	free_matches(&m);
	return rc;
}

int
shell_interactive(struct client *c)
{
	struct sigaction ign, run;
	HistEvent ev;
	History *hist;
	EditLine *el;
	const char *line;
	int count, rc, ignore;

	if ((el = el_init("client", stdin, stdout, stderr)) == NULL ||
	    (hist = history_init()) == NULL) {
		fprintf(stderr, "client: cannot start line editing\n");
		if (el != NULL)
			el_end(el);
		return RC_FAILED;
	}
	history(hist, &ev, H_SETSIZE, 1000);
	history(hist, &ev, H_SETUNIQUE, 1);
	el_set(el, EL_HIST, history, hist);
	el_set(el, EL_PROMPT, prompt);
	el_set(el, EL_EDITOR, "emacs");
	/* No EL_SIGNAL: libedit's handlers would turn an ignored Ctrl-C
	 * into an interrupted read, as sftp found too. */
	el_set(el, EL_SIGNAL, 0);
	el_set(el, EL_CLIENTDATA, c);
	/* The wide call keeps our static strings; the narrow one copies
	 * them with wcsdup and never frees the copies. */
	el_wset(el, EL_ADDFN, L"fs-complete", L"Complete a command or a name",
	    complete);
	el_set(el, EL_BIND, "^I", "fs-complete", NULL);
	el_source(el, NULL);		/* ~/.editrc: vi keys and the like */

	/* Ctrl-C at the prompt does nothing; during a command it aborts it. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	for (;;) {
		sigaction(SIGINT, &ign, &run);
		errno = 0;
		line = el_gets(el, &count);
		sigaction(SIGINT, &run, NULL);
		if (line == NULL && count == -1 && errno == EINTR)
			continue;
		if (line == NULL || count <= 0) {
			fputc('\n', stdout);
			break;
		}
		if (strspn(line, " \t\n") != strlen(line))
			history(hist, &ev, H_ENTER, line);
		remote_clear_interrupt();
		rc = run_line(c, line, &ignore);
		if (rc == CMD_QUIT)
			break;
	}
	history_end(hist);
	el_end(el);
	return RC_OK;
}
