/*
 * The client's commands (see commands.h).  Each handler says what failed
 * on one line of standard error, naming the command and its object; a
 * command over several files reports each failure and goes on, and fails
 * as a whole when any file failed (interface.md).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "commands.h"
#include "listing.h"
#include "localfile.h"
#include "path.h"
#include "pattern.h"
#include "text.h"

/*
 * How deep -r goes.  The server shows a link to a directory as the
 * directory, so a link to an ancestor makes a remote tree endless; this
 * bounds it (README, "Choices").
 */
#define TREE_DEPTH_MAX	64

/* The per-command flags of get and put (interface.md). */
struct flags {
	int append;		/* -a: resume, keep LOCAL.part */
	int force;		/* -f: get may overwrite */
	int recursive;		/* -r: trees */
};

static int	cmd_get(struct client *, int, char **);
static int	cmd_reget(struct client *, int, char **);
static int	cmd_put(struct client *, int, char **);
static int	cmd_mkdir(struct client *, int, char **);
static int	cmd_lmkdir(struct client *, int, char **);
static int	cmd_ls(struct client *, int, char **);
static int	cmd_cd(struct client *, int, char **);
static int	cmd_pwd(struct client *, int, char **);
static int	cmd_lcd(struct client *, int, char **);
static int	cmd_lpwd(struct client *, int, char **);
static int	cmd_lls(struct client *, int, char **);
static int	cmd_progress(struct client *, int, char **);
static int	cmd_help(struct client *, int, char **);
static int	cmd_quit(struct client *, int, char **);
static int	report(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static const char *show(const struct client *, const char *);
static void	print_entry(const struct client *, const struct listing_entry *);
static const char *last_component(const char *);
static int	by_name(const void *, const void *);
static int	worst(int, int);
static int	parse_flags(const char *, const char *, int *, char ***,
		    struct flags *);
static int	join(char *, size_t, const char *, const char *);
static int	entry_line(void *, const char *, size_t);
static int	remote_entries(struct client *, const char *, struct names *,
		    const char *);
static int	ls_line(void *, const char *, size_t);
static int	no_line(void *, const char *, size_t);
static int	expand_remote(struct client *, const char *, const char *,
		    struct names *);
static int	expand_local(const char *, const char *, struct names *);
static int	get_file(struct client *, const char *, const char *,
		    const struct flags *);
static int	get_tree(struct client *, const char *, const char *,
		    const struct flags *, int);
static int	get_one(struct client *, const char *, char, const char *,
		    const struct flags *);
static int	do_get(struct client *, const struct flags *, int, char **);
static int	put_file(struct client *, const char *, const char *, int);
static int	put_tree(struct client *, const char *, const char *, int);
static int	remote_is_dir(struct client *, const char *);
static void	bar_stop(struct client *, int);
static int	by_string(const void *, const void *);
static int	local_entry(int, const char *, struct listing_entry *);

static const struct command commands[] = {
	{ "get", 1, ARGS_PER_COMMAND, "RL", "get [-afr] REMOTE... [LOCAL]",
	    "download (LOCAL: default the last component; a directory "
	    "receives them)", cmd_get },
	{ "reget", 1, 2, "RL", "reget REMOTE [LOCAL]",
	    "get -a: resume a download kept as LOCAL.part", cmd_reget },
	{ "put", 1, ARGS_PER_COMMAND, "LR", "put [-r] LOCAL... [REMOTE]",
	    "upload (REMOTE: default the last component; a directory "
	    "receives them)", cmd_put },
	{ "mkdir", 1, 1, "R", "mkdir PATH", "make a remote directory",
	    cmd_mkdir },
	{ "lmkdir", 1, 1, "L", "lmkdir PATH", "make a local directory",
	    cmd_lmkdir },
	{ "ls", 0, 1, "R", "ls [PATH]", "list a remote directory", cmd_ls },
	{ "dir", 0, 1, "R", "dir [PATH]", "the same as ls", cmd_ls },
	{ "cd", 0, 1, "R", "cd [PATH]",
	    "change the remote directory (default: the root)", cmd_cd },
	{ "pwd", 0, 0, "", "pwd", "show the remote directory", cmd_pwd },
	{ "lcd", 0, 1, "L", "lcd [PATH]",
	    "change the local directory (default: home)", cmd_lcd },
	{ "lpwd", 0, 0, "", "lpwd", "show the local directory", cmd_lpwd },
	{ "lls", 0, 1, "L", "lls [PATH]", "list a local directory",
	    cmd_lls },
	{ "progress", 0, 0, "", "progress", "turn progress bars off and on",
	    cmd_progress },
	{ "help", 0, 1, "C", "help [COMMAND]", "commands and their use",
	    cmd_help },
	{ "?", 0, 1, "C", "? [COMMAND]", "the same as help", cmd_help },
	{ "quit", 0, 0, "", "quit", "leave", cmd_quit },
	{ "exit", 0, 0, "", "exit", "leave", cmd_quit },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

const struct command *
command_at(size_t i)
{
	return i < NCOMMANDS ? &commands[i] : NULL;
}

static int
report(int status, const char *fmt, ...)
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
static const char *
show(const struct client *c, const char *s)
{
	static char buf[4][TEXT_ESCAPED_LEN(PATH_LEN_MAX)];
	static unsigned next;
	char *b = buf[next++ % 4];

	text_escape(b, sizeof(buf[0]), s, strlen(s), c->cfg->text_flags);
	return b;
}

/* The outcome of several: a lost connection beats a failure. */
static int
worst(int a, int b)
{
	if (a == RC_LOST || b == RC_LOST)
		return RC_LOST;
	return a != RC_OK ? a : b;
}

int
command_check(int argc, char **argv)
{
	const struct command *cmd;
	char name[TEXT_ESCAPED_LEN(32)];

	if ((cmd = command_find(argv[0])) == NULL) {
		text_escape(name, sizeof(name), argv[0], strlen(argv[0]), 0);
		report(RC_FAILED, "unknown command: %s (try help)", name);
		return -1;
	}
	if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
		report(RC_FAILED, "usage: %s", cmd->usage);
		return -1;
	}
	return 0;
}

int
command_run(struct client *c, int argc, char **argv)
{
	const struct command *cmd;

	if (command_check(argc, argv) == -1 ||
	    (cmd = command_find(argv[0])) == NULL)
		return RC_FAILED;
	return cmd->run(c, argc, argv);
}

static const char *
last_component(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/*
 * Takes the leading flags of allowed ("afr") off *argv, past the command
 * name; "--" ends them.  -1 after a usage line for one not allowed.
 */
static int
parse_flags(const char *cmd, const char *allowed, int *argc, char ***argv,
    struct flags *f)
{
	const struct command *row = command_find(cmd);
	const char *p;

	memset(f, 0, sizeof(*f));
	(*argc)--;
	(*argv)++;
	while (*argc > 0 && (*argv)[0][0] == '-' && (*argv)[0][1] != '\0') {
		if (strcmp((*argv)[0], "--") == 0) {
			(*argc)--;
			(*argv)++;
			break;
		}
		for (p = (*argv)[0] + 1; *p != '\0'; p++) {
			if (strchr(allowed, *p) == NULL)
				return report(-1, "%s: unknown flag -%c; usage: "
				    "%s", cmd, *p, row->usage);
			f->append |= *p == 'a';
			f->force |= *p == 'f';
			f->recursive |= *p == 'r';
		}
		(*argc)--;
		(*argv)++;
	}
	if (*argc == 0)
		return report(-1, "usage: %s", row->usage);
	return 0;
}

/* dir/name into out ("" dir: name alone).  -1 when it does not fit. */
static int
join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s%s%s", dir, dir[0] != '\0' ? "/" : "",
	    name);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static void
bar_stop(struct client *c, int ok)
{
	char note[32];

	/* The summary says whether the file was checked, and with what. */
	snprintf(note, sizeof(note), "%s%s", c->remote.verified != DIGEST_NONE
	    ? "verified " : "not verified", c->remote.verified != DIGEST_NONE ?
	    digest_name(c->remote.verified) : "");
	progress_stop(&c->progress, ok, note);
}

/* What remote_entries gathers, line by line. */
struct entries_ctx {
	const char *dir, *pattern;
	struct names *out;
};

static int
entry_line(void *ctx, const char *line, size_t len)
{
	struct entries_ctx *ec = ctx;
	char full[PATH_LEN_MAX + 1];
	struct listing_entry e;

	/* Only a valid name, never a path, is taken from a server. */
	if (listing_parse(line, len, &e) == -1 || !path_name_valid(e.name) ||
	    (ec->pattern != NULL && fnmatch(ec->pattern, e.name, FNM_PERIOD)
	    != 0) || join(full, sizeof(full), ec->dir, e.name) == -1)
		return 0;
	return names_add(ec->out, full, e.type);
}

/*
 * The valid entries of the remote directory dir (a request path) whose
 * names match pattern (NULL: all), as full paths with their types.
 */
static int
remote_entries(struct client *c, const char *dir, struct names *out,
    const char *pattern)
{
	struct entries_ctx ec = { dir, pattern, out };

	return remote_list_lines(&c->remote, dir, entry_line, &ec);
}

/*
 * A REMOTE argument as request paths: itself, type unknown, or what its
 * pattern matches in its directory (the last component only may be one).
 */
static int
expand_remote(struct client *c, const char *cmd, const char *arg,
    struct names *out)
{
	char plain[PATH_LEN_MAX + 1], path[PATH_LEN_MAX + 1];
	char dir[PATH_LEN_MAX + 1];
	const char *slash;
	size_t before = out->n;
	int rc;

	if (!pattern_has_magic(arg)) {
		if (pattern_unescape(arg, plain, sizeof(plain)) == -1 ||
		    remote_path(&c->remote, plain, path, sizeof(path)) == -1)
			return report(RC_FAILED, "%s %s: path too long", cmd,
			    show(c, arg));
		if (names_add(out, path, '?') == -1)
			return report(RC_FAILED, "%s: out of memory", cmd);
		return RC_OK;
	}
	slash = strrchr(arg, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash != NULL ? (int)(slash - arg +
	    1) : 0, arg);
	if (pattern_has_magic(dir))
		return report(RC_FAILED, "%s %s: a pattern may stand in the "
		    "last component only", cmd, show(c, arg));
	if (pattern_unescape(dir, plain, sizeof(plain)) == -1 ||
	    remote_path(&c->remote, plain, path, sizeof(path)) == -1)
		return report(RC_FAILED, "%s %s: path too long", cmd,
		    show(c, arg));
	if ((rc = remote_entries(c, path, out, slash != NULL ? slash + 1 :
	    arg)) != RC_OK)
		return report(rc, "%s %s: %s", cmd, show(c, arg),
		    c->remote.why);
	if (out->n == before)
		return report(RC_FAILED, "%s %s: no match", cmd, show(c, arg));
	return RC_OK;
}

/* A LOCAL argument as paths: itself, or what glob(3) makes of it. */
static int
expand_local(const char *cmd, const char *arg, struct names *out)
{
	char plain[4096];
	glob_t g;
	size_t i;
	int rc = RC_OK;

	if (!pattern_has_magic(arg)) {
		if (pattern_unescape(arg, plain, sizeof(plain)) == -1)
			return report(RC_FAILED, "%s %s: path too long", cmd,
			    arg);
		if (names_add(out, plain, '?') == -1)
			return report(RC_FAILED, "%s: out of memory", cmd);
		return RC_OK;
	}
	memset(&g, 0, sizeof(g));
	switch (glob(arg, 0, NULL, &g)) {
	case 0:
		break;
	case GLOB_NOMATCH:
		globfree(&g);
		return report(RC_FAILED, "%s %s: no match", cmd, arg);
	default:
		globfree(&g);
		return report(RC_FAILED, "%s %s: %s", cmd, arg,
		    strerror(errno));
	}
	for (i = 0; i < g.gl_pathc && rc == RC_OK; i++)
		if (names_add(out, g.gl_pathv[i], '?') == -1)
			rc = report(RC_FAILED, "%s: out of memory", cmd);
	globfree(&g);
	return rc;
}

/* One file; its failure is reported here.  -a keeps LOCAL.part. */
static int
get_file(struct client *c, const char *remote, const char *local,
    const struct flags *f)
{
	char why[4200];
	struct local_sink sink;
	struct remote_sink rs;
	struct watch w;
	int rc, past_end;

	if (local_sink_open(&sink, local, c->cfg->force || f->force,
	    f->append, why, sizeof(why)) == -1)
		return report(RC_FAILED, "get %s: %s", show(c, remote), why);
	rs = (struct remote_sink){ local_sink_write, local_sink_finish, &sink,
	    sink.offset, local_sink_hash_prefix, local_sink_restart,
	    local_sink_expect };
	progress_watch(&c->progress, last_component(remote), &w);
	rc = remote_download(&c->remote, PKT_RRQ, remote, &rs, &w);
	bar_stop(c, rc == RC_OK);
	/*
	 * A .part longer than the remote file (the server's ERR 0 for an
	 * offset past the end, in answer to the request: an ERR 0 mid-transfer
	 * keeps the .part) or whose bytes differ (the SUM) does not
	 * match: removed, never published.
	 */
	past_end = rc == RC_FAILED && sink.offset > 0 && c->remote.refused &&
	    c->remote.errcode == ERR_UNDEFINED;
	local_sink_close(&sink, f->append && !past_end &&
	    !c->remote.integrity_failed);
	if (rc != RC_OK && sink.stopped_full)
		return report(rc, "get %s: stopped: the local file system is "
		    "nearly full", show(c, remote));
	if (rc != RC_OK && f->append && (past_end ||
	    c->remote.integrity_failed))
		return report(rc, "get %s: %s.part does not match the remote "
		    "file; removed (%s)", show(c, remote), show(c, local),
		    c->remote.why);
	if (rc != RC_OK)
		return report(rc, "get %s: %s", show(c, remote), c->remote.why);
	return RC_OK;
}

/* A remote directory, depth first, into the local directory local. */
static int
get_tree(struct client *c, const char *remote, const char *local,
    const struct flags *f, int depth)
{
	char lpath[4096];
	struct names l = { NULL, NULL, 0, 0 };
	struct stat st;
	size_t i;
	int rc, all = RC_OK;

	if (depth > TREE_DEPTH_MAX)
		return report(RC_FAILED, "get %s: more than %d levels deep; "
		    "skipped", show(c, remote), TREE_DEPTH_MAX);
	if (mkdir(local, 0777) == -1 && !(errno == EEXIST &&
	    stat(local, &st) == 0 && S_ISDIR(st.st_mode)))
		return report(RC_FAILED, "get %s: %s: %s", show(c, remote),
		    show(c, local), errno == EEXIST ? "not a directory" :
		    strerror(errno));
	if ((rc = remote_entries(c, remote, &l, NULL)) != RC_OK) {
		names_free(&l);
		return report(rc, "get %s: %s", show(c, remote),
		    c->remote.why);
	}
	for (i = 0; i < l.n && all != RC_LOST; i++) {
		if (join(lpath, sizeof(lpath), local,
		    last_component(l.v[i])) == -1) {
			all = worst(all, report(RC_FAILED, "get %s: local path "
			    "too long", show(c, l.v[i])));
			continue;
		}
		if (l.type[i] == 'd')
			rc = get_tree(c, l.v[i], lpath, f, depth + 1);
		else
			rc = get_file(c, l.v[i], lpath, f);
		all = worst(all, rc);
	}
	names_free(&l);
	return all;
}

/* A remote name of the type known so far, to local. */
static int
get_one(struct client *c, const char *remote, char type, const char *local,
    const struct flags *f)
{
	int rc;

	if (type == '?' && f->recursive) {
		/* A listing tells a directory from a file. */
		if ((rc = remote_is_dir(c, remote)) == RC_LOST)
			return report(rc, "get %s: %s", show(c, remote),
			    c->remote.why);
		type = rc == RC_OK ? 'd' : 'f';
	}
	if (type == 'd' && !f->recursive)
		return report(RC_FAILED, "get %s: is a directory (use get -r)",
		    show(c, remote));
	if (type == 'd')
		return get_tree(c, remote, local, f, 0);
	return get_file(c, remote, local, f);
}

static int
do_get(struct client *c, const struct flags *f, int nargs, char **args)
{
	char local[4096], dest[4096];
	struct names l = { NULL, NULL, 0, 0 };
	const char *name;
	struct stat st;
	size_t i;
	int nsrc = nargs > 1 ? nargs - 1 : 1, into_dir, rc, all = RC_OK;

	dest[0] = '\0';
	if (nargs > 1 && pattern_unescape(args[nargs - 1], dest,
	    sizeof(dest)) == -1)
		return report(RC_FAILED, "get: local path too long");
	for (i = 0; i < (size_t)nsrc; i++)
		if ((rc = expand_remote(c, "get", args[i], &l)) != RC_OK)
			all = worst(all, rc);
	if (all == RC_LOST || l.n == 0) {
		names_free(&l);
		return all;
	}
	into_dir = dest[0] == '\0' || (stat(dest, &st) == 0 &&
	    S_ISDIR(st.st_mode));
	if (!into_dir && l.n > 1) {
		names_free(&l);
		return report(RC_FAILED, "get: %s: not a directory",
		    show(c, dest));
	}
	for (i = 0; i < l.n && all != RC_LOST; i++) {
		name = last_component(l.v[i]);
		if (!into_dir)
			strlcpy(local, dest, sizeof(local));
		else if (!path_name_valid(name)) {
			/* From the user, but checked all the same. */
			all = worst(all, report(RC_FAILED, "get %s: no local "
			    "name; give one", show(c, l.v[i])));
			continue;
		} else if (join(local, sizeof(local), dest, name) == -1) {
			all = worst(all, report(RC_FAILED, "get %s: local "
			    "path too long", show(c, l.v[i])));
			continue;
		}
		all = worst(all, get_one(c, l.v[i], l.type[i], local, f));
	}
	names_free(&l);
	return all;
}

static int
cmd_get(struct client *c, int argc, char **argv)
{
	struct flags f;

	if (parse_flags("get", "afr", &argc, &argv, &f) == -1)
		return RC_FAILED;
	return do_get(c, &f, argc, argv);
}

static int
cmd_reget(struct client *c, int argc, char **argv)
{
	struct flags f;

	if (parse_flags("reget", "", &argc, &argv, &f) == -1)
		return RC_FAILED;
	f.append = 1;
	return do_get(c, &f, argc, argv);
}

/* A listing's lines, unread: it is the listing's success that counts. */
static int
no_line(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	(void)line;
	(void)len;
	return 0;
}

/* RC_OK when path lists as a directory, RC_FAILED when not. */
static int
remote_is_dir(struct client *c, const char *path)
{
	return remote_list_lines(&c->remote, path, no_line, NULL);
}

/*
 * One file to remote.  When may_be_dir (the user named REMOTE) and it
 * exists as a directory, the file goes inside it.
 */
static int
put_file(struct client *c, const char *local, const char *remote,
    int may_be_dir)
{
	char why[4200], inside[PATH_LEN_MAX + 1];
	struct local_source src;
	enum path_status ps;
	struct watch w;
	int rc;

	if ((ps = path_check(remote, strlen(remote))) != PATH_OK)
		return report(RC_FAILED, "put %s: %s is not a valid name: %s",
		    show(c, local), show(c, remote), path_status_str(ps));
	if (local_source_open(&src, local, why, sizeof(why)) == -1)
		return report(RC_FAILED, "put %s: %s", show(c, local), why);
	progress_watch(&c->progress, last_component(remote), &w);
	rc = remote_upload(&c->remote, remote, local_source_read, &src,
	    src.size, &w);
	bar_stop(c, rc == RC_OK);
	local_source_close(&src);
	if (rc == RC_FAILED && may_be_dir &&
	    c->remote.errcode == ERR_EXISTS) {
		/* The upload's reason stands if REMOTE is no directory. */
		strlcpy(why, c->remote.why, sizeof(why));
		if (remote_is_dir(c, remote) == RC_OK &&
		    join(inside, sizeof(inside), remote,
		    last_component(local)) == 0)
			return put_file(c, local, inside, 0);
		return report(rc, "put %s: %s", show(c, local), why);
	}
	if (rc != RC_OK)
		return report(rc, "put %s: %s", show(c, local), c->remote.why);
	return RC_OK;
}

static int
by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A local directory, depth first, into the remote directory remote,
 * which MKD makes or finds.  Only regular files and directories go;
 * links and other kinds are passed over.
 */
static int
put_tree(struct client *c, const char *local, const char *remote, int depth)
{
	char lpath[4096], rpath[PATH_LEN_MAX + 1];
	struct names l = { NULL, NULL, 0, 0 };
	struct dirent *d;
	struct stat st;
	size_t i;
	DIR *dp;
	int rc, all = RC_OK;

	if (depth > TREE_DEPTH_MAX)
		return report(RC_FAILED, "put %s: more than %d levels deep; "
		    "skipped", show(c, local), TREE_DEPTH_MAX);
	rc = remote_mkdir(&c->remote, remote);
	if (rc != RC_OK && !(rc == RC_FAILED &&
	    c->remote.errcode == ERR_EXISTS))
		return report(rc, "put %s: %s", show(c, local), c->remote.why);
	if ((dp = opendir(local)) == NULL)
		return report(RC_FAILED, "put %s: %s", show(c, local),
		    strerror(errno));
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 &&
		    strcmp(d->d_name, "..") != 0 &&
		    names_add(&l, d->d_name, '?') == -1) {
			all = report(RC_FAILED, "put %s: out of memory",
			    show(c, local));
			break;
		}
	closedir(dp);
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(l.v[0]), by_string);
	for (i = 0; i < l.n && all != RC_LOST; i++) {
		if (join(lpath, sizeof(lpath), local, l.v[i]) == -1 ||
		    lstat(lpath, &st) == -1 ||
		    !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
			continue;
		if (!path_name_valid(l.v[i])) {
			all = worst(all, report(RC_FAILED, "put %s: not a "
			    "valid name; not sent", show(c, lpath)));
			continue;
		}
		if (join(rpath, sizeof(rpath), remote, l.v[i]) == -1) {
			all = worst(all, report(RC_FAILED, "put %s: remote "
			    "path too long", show(c, lpath)));
			continue;
		}
		if (S_ISDIR(st.st_mode))
			rc = put_tree(c, lpath, rpath, depth + 1);
		else
			rc = put_file(c, lpath, rpath, 0);
		all = worst(all, rc);
	}
	names_free(&l);
	return all;
}

static int
cmd_put(struct client *c, int argc, char **argv)
{
	char dest[PATH_LEN_MAX + 1], plain[PATH_LEN_MAX + 1];
	char target[PATH_LEN_MAX + 1];
	struct names l = { NULL, NULL, 0, 0 };
	const char *name;
	struct flags f;
	struct stat st;
	size_t i;
	int nsrc, named, rc, all = RC_OK;

	if (parse_flags("put", "r", &argc, &argv, &f) == -1)
		return RC_FAILED;
	nsrc = argc > 1 ? argc - 1 : 1;
	named = argc > 1;
	if (pattern_unescape(named ? argv[argc - 1] : "", plain,
	    sizeof(plain)) == -1 ||
	    remote_path(&c->remote, plain, dest, sizeof(dest)) == -1)
		return report(RC_FAILED, "put: remote path too long");
	for (i = 0; i < (size_t)nsrc; i++)
		all = worst(all, expand_local("put", argv[i], &l));
	/* Several: REMOTE is the directory that receives them all. */
	if (l.n > 1 || nsrc > 1)
		named = 0;
	for (i = 0; i < l.n && all != RC_LOST; i++) {
		name = last_component(l.v[i]);
		if (stat(l.v[i], &st) == -1) {
			all = worst(all, report(RC_FAILED, "put %s: %s",
			    show(c, l.v[i]), strerror(errno)));
			continue;
		}
		if (!named && join(target, sizeof(target), dest, name) == -1) {
			all = worst(all, report(RC_FAILED, "put %s: remote "
			    "path too long", show(c, l.v[i])));
			continue;
		}
		if (named)
			strlcpy(target, dest, sizeof(target));
		if (!S_ISDIR(st.st_mode)) {
			all = worst(all, put_file(c, l.v[i], target, named));
			continue;
		}
		if (!f.recursive) {
			all = worst(all, report(RC_FAILED, "put %s: is a "
			    "directory (use put -r)", show(c, l.v[i])));
			continue;
		}
		/* A named REMOTE that is a directory receives the tree. */
		if (named && (rc = remote_is_dir(c, dest)) != RC_FAILED) {
			if (rc == RC_LOST)
				return report(rc, "put %s: %s",
				    show(c, l.v[i]), c->remote.why);
			if (!path_name_valid(name) || join(target,
			    sizeof(target), dest, name) == -1) {
				all = worst(all, report(RC_FAILED, "put %s: "
				    "not a valid name", show(c, l.v[i])));
				continue;
			}
		}
		all = worst(all, put_tree(c, l.v[i], target, 0));
	}
	names_free(&l);
	return all;
}

static int
cmd_mkdir(struct client *c, int argc, char **argv)
{
	char path[PATH_LEN_MAX + 1], plain[PATH_LEN_MAX + 1];
	int rc;

	(void)argc;
	if (pattern_unescape(argv[1], plain, sizeof(plain)) == -1 ||
	    remote_path(&c->remote, plain, path, sizeof(path)) == -1)
		return report(RC_FAILED, "mkdir %s: path too long",
		    show(c, argv[1]));
	if ((rc = remote_mkdir(&c->remote, path)) != RC_OK)
		return report(rc, "mkdir %s: %s", show(c, argv[1]),
		    c->remote.why);
	return RC_OK;
}

static int
cmd_lmkdir(struct client *c, int argc, char **argv)
{
	char plain[4096];

	(void)argc;
	if (pattern_unescape(argv[1], plain, sizeof(plain)) == -1)
		return report(RC_FAILED, "lmkdir %s: path too long",
		    show(c, argv[1]));
	if (mkdir(plain, 0777) == -1)
		return report(RC_FAILED, "lmkdir %s: %s", show(c, argv[1]),
		    strerror(errno));
	return RC_OK;
}

static void
print_entry(const struct client *c, const struct listing_entry *e)
{
	char name[TEXT_ESCAPED_LEN(COMPONENT_LEN_MAX)], date[32];
	time_t t = (time_t)e->mtime;
	struct tm tm;

	text_escape(name, sizeof(name), e->name, strlen(e->name),
	    c->cfg->text_flags);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm) == 0)
		strlcpy(date, "?", sizeof(date));
	printf("%c %12llu %s %s\n", e->type, (unsigned long long)e->size,
	    date, name);
}

/* One line of ls, printed as it arrives. */
static int
ls_line(void *ctx, const char *line, size_t len)
{
	char esc[TEXT_ESCAPED_LEN(LISTING_LINE_MAX)];
	const struct client *c = ctx;
	struct listing_entry e;

	if (listing_parse(line, len, &e) == 0)
		print_entry(c, &e);
	else {
		/* Not ours to judge, but never raw to a terminal. */
		text_escape(esc, sizeof(esc), line, len, c->cfg->text_flags);
		printf("%s\n", esc);
	}
	return 0;
}

static int
cmd_ls(struct client *c, int argc, char **argv)
{
	char path[PATH_LEN_MAX + 1];
	const char *arg = argc > 1 ? argv[1] : "";
	int rc;

	if (remote_path(&c->remote, arg, path, sizeof(path)) == -1)
		return report(RC_FAILED, "ls %s: path too long", show(c, arg));
	if ((rc = remote_list_lines(&c->remote, path, ls_line, c)) != RC_OK)
		return report(rc, "ls /%s: %s", show(c, path), c->remote.why);
	return RC_OK;
}

static int
cmd_cd(struct client *c, int argc, char **argv)
{
	char path[PATH_LEN_MAX + 1];
	int rc;

	if (remote_path(&c->remote, argc > 1 ? argv[1] : "/", path,
	    sizeof(path)) == -1)
		return report(RC_FAILED, "cd %s: path too long",
		    show(c, argv[1]));
	/* The listing proves it is a directory we may enter. */
	if ((rc = remote_is_dir(c, path)) != RC_OK)
		return report(rc, "cd /%s: %s", show(c, path), c->remote.why);
	strlcpy(c->remote.cwd, path, sizeof(c->remote.cwd));
	return RC_OK;
}

static int
cmd_pwd(struct client *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("/%s\n", show(c, c->remote.cwd));
	return RC_OK;
}

static int
cmd_lcd(struct client *c, int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("HOME");

	if (dir == NULL)
		return report(RC_FAILED, "lcd: no home directory");
	if (chdir(dir) == -1)
		return report(RC_FAILED, "lcd %s: %s", show(c, dir),
		    strerror(errno));
	return RC_OK;
}

static int
cmd_lpwd(struct client *c, int argc, char **argv)
{
	char buf[4096];

	(void)argc;
	(void)argv;
	if (getcwd(buf, sizeof(buf)) == NULL)
		return report(RC_FAILED, "lpwd: %s", strerror(errno));
	printf("%s\n", show(c, buf));
	return RC_OK;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct listing_entry *)a)->name,
	    ((const struct listing_entry *)b)->name);
}

/* Fills e for a local file or directory; 0, or -1 to pass it over. */
static int
local_entry(int dfd, const char *name, struct listing_entry *e)
{
	struct stat st;

	if (strlen(name) > COMPONENT_LEN_MAX ||
	    fstatat(dfd, name, &st, 0) == -1 ||
	    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return -1;
	e->type = S_ISDIR(st.st_mode) ? 'd' : 'f';
	e->size = S_ISDIR(st.st_mode) ? 0 : (uint64_t)st.st_size;
	e->mtime = st.st_mtime < 0 ? 0 : (uint64_t)st.st_mtime;
	strlcpy(e->name, name, sizeof(e->name));
	return 0;
}

static int
cmd_lls(struct client *c, int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	struct listing_entry *v = NULL, *nv, one;
	size_t n = 0, cap = 0, i;
	struct dirent *d;
	struct stat st;
	DIR *dp;

	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		/* A file: its one line, as ls -l would. */
		if (local_entry(AT_FDCWD, dir, &one) == -1)
			return report(RC_FAILED, "lls %s: not a regular file",
			    show(c, dir));
		print_entry(c, &one);
		return RC_OK;
	}
	if ((dp = opendir(dir)) == NULL)
		return report(RC_FAILED, "lls %s: %s", show(c, dir),
		    strerror(errno));
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				free(v);
				closedir(dp);
				return report(RC_FAILED, "lls %s: %s",
				    show(c, dir), strerror(errno));
			}
			v = nv;
		}
		if (local_entry(dirfd(dp), d->d_name, &v[n]) == 0)
			n++;
	}
	closedir(dp);
	if (n > 0)
		qsort(v, n, sizeof(*v), by_name);
	for (i = 0; i < n; i++)
		print_entry(c, &v[i]);
	free(v);
	return RC_OK;
}

static int
cmd_progress(struct client *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("progress bars %s\n", progress_toggle(&c->progress) ? "on" :
	    "off");
	return RC_OK;
}

static int
cmd_help(struct client *c, int argc, char **argv)
{
	const struct command *cmd;
	size_t i;

	if (argc > 1) {
		if ((cmd = command_find(argv[1])) == NULL)
			return report(RC_FAILED, "help %s: unknown command",
			    show(c, argv[1]));
		printf("%-28s %s\n", cmd->usage, cmd->help);
		return RC_OK;
	}
	for (i = 0; i < NCOMMANDS; i++)
		printf("%-28s %s\n", commands[i].usage, commands[i].help);
	printf("%-28s %s\n", "!COMMAND, !", "run a local command, or a shell");
	printf("%-28s %s\n", "-COMMAND", "in a batch: go on if it fails");
	printf("%-28s %s\n", "get -- -NAME, put -- -NAME",
	    "-- ends the flags: a name may start with -");
	return RC_OK;
}

static int
cmd_quit(struct client *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return CMD_QUIT;
}
