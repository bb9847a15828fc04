/*
 * Tab completion (see complete.h).  Names are matched as bytes, and
 * shown and inserted as text of the locale: a name that is not printable
 * text in it is never offered, so whatever is inserted converts to the
 * editor's wide characters and every listed name has a display width.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "commands.h"
#include "complete.h"
#include "listing.h"
#include "path.h"
#include "pattern.h"
#include "remote_list.h"
#include "signals.h"
#include "words.h"

#define MATCHES_MAX	1024
/* A listing for completion is given up after this long, however it
 * trickles in: the -t timeout bounds one wait, not the whole. */
#define LIST_SECONDS	10

struct matches {
	char *v[MATCHES_MAX];
	size_t n;
	int more;		/* some were left out: MATCHES_MAX */
	const char *base;	/* what every name must start with */
};

enum { LIST_OK, LIST_FAILED, LIST_LATE };

static int	printable(const char *);
static void	add_match(struct matches *, const char *, int);
static void	free_matches(struct matches *);
static int	as_ls(const void *, const void *);
static int	split_word(const char *, char *, size_t, const char **);
static void	command_matches(struct matches *);
static void	local_matches(const char *, struct matches *);
static int	remote_matches(struct client *, const char *,
		    struct matches *);
static int	match_line(void *, const char *, size_t);
static size_t	common_prefix(const struct matches *);
static int	text_width(const char *);
static size_t	layout(const struct matches *, size_t *, int *);
static int	screen_rows(void);
static int	display_all(EditLine *, size_t);
static unsigned char show_matches(EditLine *, const struct matches *);
static void	print_columns(const struct matches *);
static int	line_to_cursor(const LineInfoW *, char *, size_t);
static int	insert(EditLine *, const char *);
static int	kind_of(const struct words *);
static int	find_matches(struct client *, int, const char *,
		    struct matches *);

/* Whether s is valid, printable text in the locale's character set. */
static int
printable(const char *s)
{
	mbstate_t ps;
	wchar_t wc;
	size_t n, left = strlen(s);

	memset(&ps, 0, sizeof(ps));
	while (left > 0) {
		n = mbrtowc(&wc, s, left, &ps);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0 ||
		    !iswprint((wint_t)wc))
			return 0;
		s += n;
		left -= n;
	}
	return 1;
}

/* Adds name (a directory gets its '/') when it starts as m->base does;
 * dot-files only when the base starts with a dot, as in a shell. */
static void
add_match(struct matches *m, const char *name, int dir)
{
	size_t len = strlen(name);

	if (strncmp(name, m->base, strlen(m->base)) != 0 ||
	    (name[0] == '.' && m->base[0] != '.') || !printable(name))
		return;
	if (m->n == MATCHES_MAX || (m->v[m->n] = malloc(len + 2)) == NULL) {
		m->more = 1;
		return;
	}
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

/*
 * As ls(1) sorts: by the collation of the user's locale, each name
 * without a directory's '/' (or "tk/" would follow "tk-dev/"); bytes
 * break ties.  The collation is looked up for completion alone, so that
 * nothing else the client sorts or matches changes with LC_COLLATE.
 */
static int
as_ls(const void *a, const void *b)
{
	static locale_t collate;
	static int looked;
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	char xs[COMPONENT_LEN_MAX + 2], ys[COMPONENT_LEN_MAX + 2];
	size_t n;
	int r;

	if (!looked) {
		looked = 1;
		collate = newlocale(LC_COLLATE_MASK, "", (locale_t)0);
	}
	strlcpy(xs, x, sizeof(xs));
	strlcpy(ys, y, sizeof(ys));
	if ((n = strlen(xs)) > 1 && xs[n - 1] == '/')
		xs[n - 1] = '\0';
	if ((n = strlen(ys)) > 1 && ys[n - 1] == '/')
		ys[n - 1] = '\0';
	r = collate != (locale_t)0 ? strcoll_l(xs, ys, collate) :
	    strcmp(xs, ys);
	return r != 0 ? r : strcmp(x, y);
}

/* Cuts word at its last '/': dir keeps the slash ("" when none), *base
 * points past it.  -1 when dir does not fit. */
static int
split_word(const char *word, char *dir, size_t size, const char **base)
{
	const char *slash = strrchr(word, '/');
	size_t len = slash != NULL ? (size_t)(slash - word + 1) : 0;

	if (len >= size)
		return -1;
	memcpy(dir, word, len);
	dir[len] = '\0';
	*base = word + len;
	return 0;
}

static void
command_matches(struct matches *m)
{
	const struct command *cmd;
	size_t i;

	for (i = 0; (cmd = command_at(i)) != NULL; i++)
		add_match(m, cmd->name, 0);
}

static void
local_matches(const char *word, struct matches *m)
{
	char dir[WORDS_LINE_MAX + 1];
	struct dirent *d;
	struct stat st;
	DIR *dp;

	if (split_word(word, dir, sizeof(dir), &m->base) == -1 ||
	    (dp = opendir(dir[0] != '\0' ? dir : ".")) == NULL)
		return;
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			add_match(m, d->d_name, fstatat(dirfd(dp), d->d_name,
			    &st, 0) == 0 && S_ISDIR(st.st_mode));
	closedir(dp);
}

/* One line of the listing, as it arrives: nothing kept but matches. */
static int
match_line(void *ctx, const char *line, size_t len)
{
	struct listing_entry e;

	/* Only valid names reach the command line. */
	if (listing_parse(line, len, &e) == 0 && path_name_valid(e.name))
		add_match(ctx, e.name, e.type == 'd');
	return 0;
}

static int
remote_matches(struct client *c, const char *word, struct matches *m)
{
	char dir[PATH_LEN_MAX + 1], path[PATH_LEN_MAX + 1];
	struct sig_intr_timer t;
	int rc;

	if (split_word(word, dir, sizeof(dir), &m->base) == -1 ||
	    path_resolve(c->remote.cwd, dir, path, sizeof(path)) != PATH_OK)
		return LIST_FAILED;
	/* A Ctrl-C from before Tab was for something else. */
	sig_intr_clear();
	/* The listing's own bound, as Ctrl-C: no callback of ours sees a
	 * trickle, as lines reach us only as the engine's batches fill. */
	sig_intr_timer_start(&t, LIST_SECONDS);
	rc = remote_list_lines(&c->remote, path, match_line, m);
	if (sig_intr_timer_stop(&t) && rc != RC_OK)
		return LIST_LATE;
	return rc == RC_OK ? LIST_OK : LIST_FAILED;
}

/* How far the matches agree, cut back to a whole character. */
static size_t
common_prefix(const struct matches *m)
{
	size_t i, k, common = strlen(m->v[0]), at = 0, n;
	mbstate_t ps;

	for (i = 1; i < m->n; i++) {
		for (k = 0; k < common && m->v[i][k] == m->v[0][k]; k++)
			continue;
		common = k;
	}
	memset(&ps, 0, sizeof(ps));
	while (at < common) {
		n = mbrlen(m->v[0] + at, common - at, &ps);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
			break;
		at += n;
	}
	return at;
}

static int
text_width(const char *s)
{
	wchar_t w[COMPONENT_LEN_MAX + 2];
	size_t n;
	int width;

	n = mbstowcs(w, s, sizeof(w) / sizeof(w[0]));
	if (n == (size_t)-1 || n == sizeof(w) / sizeof(w[0]) ||
	    (width = wcswidth(w, n)) < 0)
		return (int)strlen(s);
	return width;
}

/*
 * As ls(1) lays out: down the columns, as many as the terminal holds.
 * Returns the rows, with the columns in *cols and their width in *colw.
 */
static size_t
layout(const struct matches *m, size_t *cols, int *colw)
{
	struct winsize ws;
	size_t i;
	int width = 80, w;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		width = ws.ws_col;
	*colw = 0;
	for (i = 0; i < m->n; i++)
		if ((w = text_width(m->v[i])) > *colw)
			*colw = w;
	*colw += 2;
	/* The last column needs no gap after it. */
	*cols = (size_t)((width + 2) / *colw);
	if (*cols == 0)
		*cols = 1;
	return (m->n + *cols - 1) / *cols;
}

static int
screen_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 24;
}

/*
 * Asks, as readline does, before a list longer than the screen: 1 when
 * the answer is y, Y or a space; any other key (Ctrl-C too) is no.
 */
static int
display_all(EditLine *el, size_t n)
{
	wchar_t key = 0;
	int yes;

	printf("Display all %zu possibilities? (y or n)", n);
	fflush(stdout);
	yes = el_wgetc(el, &key) == 1 && (key == L'y' || key == L'Y' ||
	    key == L' ');
	fputc('\n', stdout);
	fflush(stdout);
	return yes;
}

static void
print_columns(const struct matches *m)
{
	size_t i, rows, cols, r, c;
	int colw;

	rows = layout(m, &cols, &colw);
	for (r = 0; r < rows; r++) {
		for (c = 0; (i = c * rows + r) < m->n; c++) {
			fputs(m->v[i], stdout);
			if (i + rows < m->n)
				printf("%*s", colw - text_width(m->v[i]), "");
		}
		fputc('\n', stdout);
	}
	fflush(stdout);
}

void
complete_leave_line(EditLine *el, const char *suffix)
{
	const LineInfoW *li = el_wline(el);
	const wchar_t *p;
	char mb[MB_LEN_MAX];
	mbstate_t ps;
	size_t n;

	/* The rest is on the screen already: writing it again moves the
	 * cursor over it, to the end of the line, wrapped as it is. */
	memset(&ps, 0, sizeof(ps));
	for (p = li->cursor; p < li->lastchar; p++)
		if ((n = wcrtomb(mb, *p, &ps)) != (size_t)-1)
			fwrite(mb, 1, n, stdout);
	printf("%s\n", suffix);
	fflush(stdout);
}

static int
line_to_cursor(const LineInfoW *li, char *out, size_t size)
{
	const wchar_t *src = li->buffer;
	size_t nwc = (size_t)(li->cursor - li->buffer), n;
	mbstate_t ps;

	memset(&ps, 0, sizeof(ps));
	n = wcsnrtombs(out, &src, nwc, size - 1, &ps);
	if (n == (size_t)-1 || src != li->cursor)
		return -1;
	out[n] = '\0';
	return 0;
}

static int
insert(EditLine *el, const char *text)
{
	wchar_t w[4 * (COMPONENT_LEN_MAX + 4)];
	size_t n = mbstowcs(w, text, sizeof(w) / sizeof(w[0]));

	if (n == (size_t)-1 || n == sizeof(w) / sizeof(w[0]))
		return -1;
	return el_winsertstr(el, w);
}

/*
 * What the last word completes to: 'C' a command, 'L' or 'R' a local or
 * remote name (the command table's letters), 0 nothing.  Options before
 * the first operand ("-r") are not counted.
 */
static int
kind_of(const struct words *w)
{
	const struct command *cmd;
	int i, operands = 0, argn = w->open_last ? w->argc - 1 : w->argc;

	if (argn <= 0)
		return 'C';
	if ((cmd = command_find(w->argv[0])) == NULL)
		return 0;
	for (i = 1; i < argn; i++)
		if (operands > 0 || w->argv[i][0] != '-')
			operands++;
	if (w->open_last && operands == 0 && w->argv[argn][0] == '-')
		return 0;
	return (size_t)operands < strlen(cmd->complete) ?
	    cmd->complete[operands] : 0;
}

/*
 * Several names: shown in columns below the line, after asking when
 * they would fill more than a screen (its rows less the prompt's).
 */
static unsigned char
show_matches(EditLine *el, const struct matches *m)
{
	size_t cols;
	int colw;

	complete_leave_line(el, "");
	if (layout(m, &cols, &colw) < (size_t)screen_rows() ||
	    display_all(el, m->n)) {
		print_columns(m);
		if (m->more)
			printf("(%d names shown; more match)\n", MATCHES_MAX);
		fflush(stdout);
	}
	return CC_REDISPLAY;
}

/* The names word may complete to, as an argument of the kind given. */
static int
find_matches(struct client *c, int kind, const char *word,
    struct matches *m)
{
	m->n = 0;
	m->more = 0;
	m->base = word;
	if (kind == 'C')
		command_matches(m);
	else if (kind == 'L')
		local_matches(word, m);
	else if (kind == 'R')
		return remote_matches(c, word, m);
	return LIST_OK;
}

unsigned char
complete_key(EditLine *el, int ch)
{
	char line[WORDS_LINE_MAX + 1], word[WORDS_LINE_MAX + 1];
	char rest[COMPONENT_LEN_MAX + 4], ins[4 * (COMPONENT_LEN_MAX + 4)];
	struct client *c;
	struct matches m;
	struct words w;
	const char *q;
	size_t common, baselen, len, n;
	unsigned char rc = CC_ERROR;
	int list, kind;
	char quote;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &c);
	if (line_to_cursor(el_wline(el), line, sizeof(line)) == -1)
		return CC_ERROR;
	q = line + strspn(line, " \t");
	if (*q == '!')
		return CC_ERROR;	/* a local command: not ours */
	if (*q == '-')
		q++;
	if (words_split(q, &w) == -1 || (kind = kind_of(&w)) == 0)
		return CC_ERROR;
	if (pattern_unescape(w.open_last ? w.argv[w.argc - 1] : "", word,
	    sizeof(word)) == -1)
		return CC_ERROR;
	quote = w.open_last ? w.quote : 0;
	list = find_matches(c, kind, word, &m);
	if (list != LIST_OK || m.n == 0) {
		free_matches(&m);
		if (list == LIST_LATE) {
			complete_leave_line(el, "");
			printf("completion: the listing took over %d s\n",
			    LIST_SECONDS);
			return CC_REDISPLAY;
		}
		/* After Ctrl-C the flag stays up: the shell's next key. */
		return sig_intr_pending() ? CC_NORM : CC_ERROR;
	}
	qsort(m.v, m.n, sizeof(m.v[0]), as_ls);
	common = common_prefix(&m);
	baselen = strlen(m.base);
	/* With names left out, what the rest agree on proves nothing. */
	if (!m.more && (common > baselen || m.n == 1)) {
		/* A name that starts the word with '-' would be read as a
		 * flag: "./-name" is the same name and is not. */
		n = kind != 'C' && word[0] == '\0' && m.v[0][0] == '-' ? 2 : 0;
		memcpy(rest, "./", n);
		len = common - baselen;
		memcpy(rest + n, m.v[0] + baselen, len);
		rest[n + len] = '\0';
		if (words_quote(ins, sizeof(ins) - 3, rest, quote) != -1) {
			/* One name, not a directory: the word is done. */
			if (m.n == 1 && m.v[0][common - 1] != '/') {
				len = strlen(ins);
				if (quote != 0)
					ins[len++] = quote;
				ins[len++] = ' ';
				ins[len] = '\0';
			}
			rc = insert(el, ins) == -1 ? CC_ERROR : CC_REFRESH;
		}
	} else
		rc = show_matches(el, &m);
	free_matches(&m);
	return rc;
}
