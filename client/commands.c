/*
 * The client's commands (see commands.h): the table, how a command
 * reports, and the commands of one object each.  get and put over many
 * files are transfers.c's.  Each handler says what failed on one line of
 * standard error, naming the command and its object (interface.md).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "commands.h"
#include "entries.h"
#include "expand.h"
#include "listing.h"
#include "local_limits.h"
#include "local_run.h"
#include "path.h"
#include "pattern.h"
#include "remote_list.h"
#include "text.h"
#include "transfers.h"

struct ls_ctx;

static int	cmd_get(struct client *, int, char **);
static int	cmd_reget(struct client *, int, char **);
static int	cmd_put(struct client *, int, char **);
static int	cmd_reput(struct client *, int, char **);
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
static void	print_entry(const struct client *,
		    const struct listing_entry *, int);
static int	parse_flags(const char *, const char *, int, int *, char ***,
		    unsigned *);
static int	transfer_flags_parse(const char *, const char *, int *,
		    char ***, struct transfer_flags *);
static int	ls_line(void *, const char *, size_t);
static int	ls_file(struct client *, const char *, struct ls_ctx *);
static int	ls_one(struct client *, const char *, int);

/* ls -l shows the year for a date further away than this, as ls does. */
#define HALF_YEAR	(365 * 24 * 3600 / 2)

static const struct command commands[] = {
	{ "get", 1, ARGS_PER_COMMAND, "RL", "get [-afpr] REMOTE... [LOCAL]",
	    "download (LOCAL: default the last component; a directory "
	    "receives them)",
	    "  -a  append: resume LOCAL.part, kept when a download stops\n"
	    "  -f  force: replace an existing LOCAL\n"
	    "  -p  preserve: the remote mode too (the time is always kept)\n"
	    "  -r  recursive: a directory and all beneath it\n"
	    "  --  ends the flags: a name may start with -\n"
	    "REMOTE may end in a pattern (*, ?, [...]).  LOCAL defaults to "
	    "REMOTE's last\ncomponent in the local directory; with several "
	    "REMOTEs it is the directory\nthat receives them.  get -r . takes "
	    "the remote directory's name (the root's\nfiles come into the "
	    "local directory).\n"
	    "example: get -r docs backup\n", cmd_get },
	{ "reget", 1, 2, "RL", "reget REMOTE [LOCAL]",
	    "get -a: resume a download kept as LOCAL.part",
	    "The bytes of LOCAL.part are checked and kept; the rest comes.  "
	    "LOCAL defaults\nto REMOTE's last component.\n"
	    "example: reget big.iso\n", cmd_reget },
	{ "put", 1, ARGS_PER_COMMAND, "LR", "put [-apr] LOCAL... [REMOTE]",
	    "upload (REMOTE: default the last component; a directory "
	    "receives them)",
	    "  -a  append: go on from what the server kept of an interrupted "
	    "upload\n"
	    "  -p  preserve: the local mode too (the time is always sent)\n"
	    "  -r  recursive: a directory and all beneath it\n"
	    "  --  ends the flags: a name may start with -\n"
	    "LOCAL may be a pattern (glob(3)).  REMOTE defaults to LOCAL's "
	    "last component in\nthe remote directory; an existing remote "
	    "directory receives the files.\n"
	    "example: put -r site www\n", cmd_put },
	{ "reput", 1, 2, "LR", "reput LOCAL [REMOTE]",
	    "put -a: go on with an interrupted upload",
	    "The server keeps what arrived of an upload cut short, for a "
	    "while, for the\nsame client; the rest goes, and the whole is "
	    "checked before it appears.\nREMOTE defaults to LOCAL's last "
	    "component.\n"
	    "example: reput big.iso\n", cmd_reput },
	{ "mkdir", 1, 1, "R", "mkdir PATH", "make a remote directory",
	    "Its parent must exist.\nexample: mkdir photos\n", cmd_mkdir },
	{ "rm", 1, ARGS_PER_COMMAND, "R", "rm PATH...",
	    "remove remote files (TLS users with delete)",
	    "PATH may end in a pattern (*, ?, [...]): every match is removed.  "
	    "A symbolic\nlink is removed itself, never what it points to; a "
	    "directory is refused (use\nrmdir).  Only over --tls, for a user "
	    "whom the server's --users file grants\ndelete.\n"
	    "example: rm old/*.log\n", entries_rm },
	{ "rmdir", 1, 1, "R", "rmdir PATH",
	    "remove an empty remote directory (TLS users with delete)",
	    "The directory must be empty.  Only over --tls, for a user with "
	    "delete.\nexample: rmdir old\n", entries_rmdir },
	{ "rename", 2, 2, "RR", "rename FROM TO",
	    "rename, never replacing (TLS users with delete)",
	    "TO may be in another directory; a TO that exists, a directory "
	    "too, is refused:\nnothing is ever replaced, and nothing moves "
	    "into a directory named as TO.  A\nsymbolic link is renamed "
	    "itself.  Only over --tls, for a user with delete.\n"
	    "example: rename draft.txt final/report.txt\n", entries_rename },
	{ "lmkdir", 1, 1, "L", "lmkdir PATH", "make a local directory",
	    "Its parent must exist.\nexample: lmkdir photos\n", cmd_lmkdir },
	{ "ls", 0, ARGS_PER_COMMAND, "R", "ls [-l] [PATH...]",
	    "list remote directories and files",
	    "  -l  long format: type (d or -), size, date as ls -l shows it, "
	    "name\n"
	    "Without -l a line is the type (d or f), the size, the date "
	    "(YYYY-MM-DD HH:MM)\nand the name.  PATH defaults to the remote "
	    "directory; a file lists as its\none line; a pattern in the last "
	    "component lists the matching entries.\n"
	    "example: ls -l *.txt\n", cmd_ls },
	{ "dir", 0, ARGS_PER_COMMAND, "R", "dir [-l] [PATH...]",
	    "the same as ls", "See help ls.\n", cmd_ls },
	{ "cd", 0, 1, "R", "cd [PATH]",
	    "change the remote directory (default: the root)",
	    ".. climbs, / is the served root.\nexample: cd docs/2024\n",
	    cmd_cd },
	{ "pwd", 0, 0, "", "pwd", "show the remote directory",
	    "The path from the served root, which is /.\n", cmd_pwd },
	{ "lcd", 0, 1, "L", "lcd [PATH]",
	    "change the local directory (default: home)",
	    "PATH defaults to $HOME.\nexample: lcd /tmp\n", cmd_lcd },
	{ "lpwd", 0, 0, "", "lpwd", "show the local directory",
	    "The whole path.\n", cmd_lpwd },
	{ "lls", 0, ARGS_PER_COMMAND, "L", "lls [-FLAGS] [PATH...]",
	    "list local directories (the local ls)",
	    "Runs the local ls(1) with the flags and paths as given; "
	    "PATH defaults to the\nlocal directory.\n"
	    "example: lls -la\n", cmd_lls },
	{ "progress", 0, 0, "", "progress", "turn progress bars off and on",
	    "Bars show only at a terminal; -q starts with them off.\n",
	    cmd_progress },
	{ "help", 0, 1, "C", "help [COMMAND]", "commands and their use",
	    "Without COMMAND, one line per command; with it, its whole use."
	    "\nexample: help get\n", cmd_help },
	{ "?", 0, 1, "C", "? [COMMAND]", "the same as help",
	    "See help help.\n", cmd_help },
	{ "quit", 0, 0, "", "quit", "leave", "The same as exit or "
	    "end of input.\n", cmd_quit },
	{ "exit", 0, 0, "", "exit", "leave", "The same as quit or "
	    "end of input.\n", cmd_quit },
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

int
command_check(int argc, char **argv)
{
	const struct command *cmd;
	char name[TEXT_ESCAPED_LEN(32)];

	if ((cmd = command_find(argv[0])) == NULL) {
		text_escape(name, sizeof(name), argv[0], strlen(argv[0]), 0);
		command_report(RC_FAILED, "unknown command: %s (try help)",
		    name);
		return -1;
	}
	if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
		command_report(RC_FAILED, "usage: %s", cmd->usage);
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

/* A flag's bit in the set parse_flags returns. */
#define FLAG(letter)	(1u << ((letter) - 'a'))

/*
 * Takes the leading flags of allowed ("afr") off *argv, past the command
 * name, into *set (FLAG bits); "--" ends them.  -1 after a usage line
 * for one not allowed, or when fewer than min_operands remain.
 */
static int
parse_flags(const char *cmd, const char *allowed, int min_operands,
    int *argc, char ***argv, unsigned *set)
{
	const struct command *row = command_find(cmd);
	const char *p;

	*set = 0;
	(*argc)--;
	(*argv)++;
	while (*argc > 0 && (*argv)[0][0] == '-' && (*argv)[0][1] != '\0') {
		if (strcmp((*argv)[0], "--") == 0) {
			(*argc)--;
			(*argv)++;
			break;
		}
		for (p = (*argv)[0] + 1; *p != '\0'; p++) {
			if (*p < 'a' || *p > 'z' || strchr(allowed, *p) == NULL)
				return command_report(-1, "%s: unknown flag "
				    "-%c; usage: %s", cmd, *p, row->usage);
			*set |= FLAG(*p);
		}
		(*argc)--;
		(*argv)++;
	}
	if (*argc < min_operands)
		return command_report(-1, "usage: %s", row->usage);
	return 0;
}

/* get's and put's flags, from parse_flags' set. */
static int
transfer_flags_parse(const char *cmd, const char *allowed, int *argc,
    char ***argv, struct transfer_flags *f)
{
	unsigned set;

	memset(f, 0, sizeof(*f));
	if (parse_flags(cmd, allowed, 1, argc, argv, &set) == -1)
		return -1;
	f->append = (set & FLAG('a')) != 0;
	f->force = (set & FLAG('f')) != 0;
	f->recursive = (set & FLAG('r')) != 0;
	f->preserve = (set & FLAG('p')) != 0;
	return 0;
}

static int
cmd_get(struct client *c, int argc, char **argv)
{
	struct transfer_flags f;

	if (transfer_flags_parse("get", "afpr", &argc, &argv, &f) == -1)
		return RC_FAILED;
	return transfer_get(c, &f, argc, argv);
}

static int
cmd_reget(struct client *c, int argc, char **argv)
{
	struct transfer_flags f;

	if (transfer_flags_parse("reget", "", &argc, &argv, &f) == -1)
		return RC_FAILED;
	f.append = 1;
	return transfer_get(c, &f, argc, argv);
}

static int
cmd_put(struct client *c, int argc, char **argv)
{
	struct transfer_flags f;

	if (transfer_flags_parse("put", "apr", &argc, &argv, &f) == -1)
		return RC_FAILED;
	return transfer_put(c, &f, argc, argv);
}

static int
cmd_reput(struct client *c, int argc, char **argv)
{
	struct transfer_flags f;

	if (transfer_flags_parse("reput", "", &argc, &argv, &f) == -1)
		return RC_FAILED;
	f.append = 1;
	return transfer_put(c, &f, argc, argv);
}

static int
cmd_mkdir(struct client *c, int argc, char **argv)
{
	char path[PATH_LEN_MAX + 1], plain[PATH_LEN_MAX + 1];
	int rc;

	(void)argc;
	if (pattern_unescape(argv[1], plain, sizeof(plain)) == -1 ||
	    path_resolve(c->remote.cwd, plain, path, sizeof(path)) != PATH_OK)
		return command_report(RC_FAILED, "mkdir %s: path too long",
		    command_show(c, argv[1]));
	if ((rc = remote_mkdir(&c->remote, path)) != RC_OK)
		return command_report(rc, "mkdir %s: %s",
		    command_show(c, argv[1]), c->remote.why);
	return RC_OK;
}

static int
cmd_lmkdir(struct client *c, int argc, char **argv)
{
	char plain[LOCAL_PATH_SIZE];

	(void)argc;
	if (pattern_unescape(argv[1], plain, sizeof(plain)) == -1)
		return command_report(RC_FAILED, "lmkdir %s: path too long",
		    command_show(c, argv[1]));
	if (mkdir(plain, 0777) == -1)
		return command_report(RC_FAILED, "lmkdir %s: %s",
		    command_show(c, argv[1]), strerror(errno));
	return RC_OK;
}

/*
 * One entry: the type (d or f), the size, the date as YYYY-MM-DD HH:MM and
 * the name; or with -l, as ls -l shows what the listing has: the type
 * (d or -), the size, the date ("Dec  7 23:30", or the year for a date
 * more than half a year away) and the name.
 */
static void
print_entry(const struct client *c, const struct listing_entry *e,
    int long_format)
{
	char name[TEXT_ESCAPED_LEN(COMPONENT_LEN_MAX)], date[64];
	time_t t = (time_t)e->mtime, now = time(NULL);
	int recent = t > now - HALF_YEAR && t < now + HALF_YEAR;
	struct tm tm;
	size_t n;

	text_escape(name, sizeof(name), e->name, strlen(e->name),
	    c->cfg->text_flags);
	if (localtime_r(&t, &tm) == NULL)
		n = 0;
	else if (!long_format)
		n = strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	else if (recent)
		n = strftime(date, sizeof(date), "%b %e %H:%M", &tm);
	else
		n = strftime(date, sizeof(date), "%b %e  %Y", &tm);
	if (n == 0)
		strlcpy(date, "?", sizeof(date));
	printf("%c %12llu %s %s\n", !long_format ? e->type : e->type == 'd' ?
	    'd' : '-', (unsigned long long)e->size, date, name);
}

/* One ls operand: what of its listing shows, and how. */
struct ls_ctx {
	const struct client *c;
	const char *pattern;		/* only the names it matches */
	const char *only;		/* only this name (a file's line) */
	int long_format;
	size_t shown;
};

/* One line of ls, printed as it arrives. */
static int
ls_line(void *ctx, const char *line, size_t len)
{
	char esc[TEXT_ESCAPED_LEN(LISTING_LINE_MAX)];
	struct ls_ctx *lc = ctx;
	struct listing_entry e;

	if (listing_parse(line, len, &e) == 0) {
		if ((lc->pattern != NULL &&
		    fnmatch(lc->pattern, e.name, FNM_PERIOD) != 0) ||
		    (lc->only != NULL && strcmp(lc->only, e.name) != 0))
			return 0;
		print_entry(lc->c, &e, lc->long_format);
	} else if (lc->pattern == NULL && lc->only == NULL) {
		/* Not ours to judge, but never raw to a terminal. */
		text_escape(esc, sizeof(esc), line, len,
		    lc->c->cfg->text_flags);
		printf("%s\n", esc);
	} else
		return 0;
	lc->shown++;
	return 0;
}

/*
 * A path the server would not list as a directory: its line in its
 * parent's listing when it is a file there.  RC_OK when shown.
 */
static int
ls_file(struct client *c, const char *path, struct ls_ctx *lc)
{
	char parent[PATH_LEN_MAX + 1];
	const char *slash = strrchr(path, '/');
	int rc;

	snprintf(parent, sizeof(parent), "%.*s", slash != NULL ? (int)(slash -
	    path) : 0, path);
	lc->only = slash != NULL ? slash + 1 : path;
	rc = remote_list_lines(&c->remote, parent, ls_line, lc);
	return rc == RC_OK && lc->shown == 0 ? RC_FAILED : rc;
}

/* One operand of ls: a directory, a file, or a pattern. */
static int
ls_one(struct client *c, const char *arg, int long_format)
{
	char path[PATH_LEN_MAX + 1], why[REMOTE_WHY_SIZE];
	struct ls_ctx lc = { c, NULL, NULL, long_format, 0 };
	int rc;

	if (pattern_has_magic(arg)) {
		if (expand_split(c, "ls", arg, path, sizeof(path),
		    &lc.pattern) != RC_OK)
			return RC_FAILED;
		if ((rc = remote_list_lines(&c->remote, path, ls_line, &lc)) !=
		    RC_OK)
			return command_report(rc, "ls %s: %s",
			    command_show(c, arg), c->remote.why);
		if (lc.shown == 0)
			return command_report(RC_FAILED, "ls %s: no match",
			    command_show(c, arg));
		return RC_OK;
	}
	if (expand_path(c, "ls", arg, path, sizeof(path)) != RC_OK)
		return RC_FAILED;
	rc = remote_list_lines(&c->remote, path, ls_line, &lc);
	/* Refused as no directory: perhaps a file, shown as its line. */
	if (rc == RC_FAILED && c->remote.refused &&
	    c->remote.errcode == ERR_ACCESS && path[0] != '\0') {
		strlcpy(why, c->remote.why, sizeof(why));
		if ((rc = ls_file(c, path, &lc)) == RC_OK)
			return RC_OK;
		if (rc == RC_FAILED)
			strlcpy(c->remote.why, why, sizeof(c->remote.why));
	}
	if (rc != RC_OK)
		return command_report(rc, "ls /%s: %s", command_show(c, path),
		    c->remote.why);
	return RC_OK;
}

static int
cmd_ls(struct client *c, int argc, char **argv)
{
	unsigned set;
	int i, rc, all = RC_OK;

	if (parse_flags(argv[0], "l", 0, &argc, &argv, &set) == -1)
		return RC_FAILED;
	if (argc == 0)
		return ls_one(c, "", (set & FLAG('l')) != 0);
	for (i = 0; i < argc && all != RC_LOST; i++)
		if ((rc = ls_one(c, argv[i], (set & FLAG('l')) != 0)) != RC_OK)
			all = rc;
	return all;
}

static int
cmd_cd(struct client *c, int argc, char **argv)
{
	char path[PATH_LEN_MAX + 1];
	int rc;

	if (path_resolve(c->remote.cwd, argc > 1 ? argv[1] : "/", path,
	    sizeof(path)) != PATH_OK)
		return command_report(RC_FAILED, "cd %s: path too long",
		    command_show(c, argv[1]));
	/* The listing proves it is a directory we may enter. */
	if ((rc = remote_is_dir(&c->remote, path)) != RC_OK)
		return command_report(rc, "cd /%s: %s", command_show(c, path),
		    c->remote.why);
	strlcpy(c->remote.cwd, path, sizeof(c->remote.cwd));
	return RC_OK;
}

static int
cmd_pwd(struct client *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("/%s\n", command_show(c, c->remote.cwd));
	return RC_OK;
}

static int
cmd_lcd(struct client *c, int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("HOME");

	if (dir == NULL)
		return command_report(RC_FAILED, "lcd: no home directory");
	if (chdir(dir) == -1)
		return command_report(RC_FAILED, "lcd %s: %s",
		    command_show(c, dir), strerror(errno));
	return RC_OK;
}

static int
cmd_lpwd(struct client *c, int argc, char **argv)
{
	char buf[LOCAL_PATH_SIZE];

	(void)argc;
	(void)argv;
	if (getcwd(buf, sizeof(buf)) == NULL)
		return command_report(RC_FAILED, "lpwd: %s", strerror(errno));
	printf("%s\n", command_show(c, buf));
	return RC_OK;
}

/*
 * The local ls with lls's flags and operands, as sftp runs it; an operand
 * with a pattern is expanded first, as a shell would.
 */
static int
cmd_lls(struct client *c, int argc, char **argv)
{
	static char ls_name[] = "ls", end_flags[] = "--";
	char *args[2 * ARGS_PER_COMMAND + 3];
	struct names l = { NULL, NULL, 0, 0 };
	int i, n = 0, rc = RC_OK;
	size_t j;

	(void)c;
	args[n++] = ls_name;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0' &&
	    strcmp(argv[i], "--") != 0; i++)
		args[n++] = argv[i];
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	for (; i < argc && rc == RC_OK; i++)
		rc = expand_local("lls", argv[i], &l);
	if (rc != RC_OK || l.n > ARGS_PER_COMMAND) {
		names_free(&l);
		return rc != RC_OK ? rc : command_report(RC_FAILED, "lls: more "
		    "than %d names", ARGS_PER_COMMAND);
	}
	/* Names from a pattern may start with '-'. */
	if (l.n > 0)
		args[n++] = end_flags;
	for (j = 0; j < l.n; j++)
		args[n++] = l.v[j];
	args[n] = NULL;
	rc = local_run("lls", "ls", args);
	names_free(&l);
	return rc;
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
			return command_report(RC_FAILED, "help %s: unknown "
			    "command", command_show(c, argv[1]));
		printf("usage: %s\n%s\n%s", cmd->usage, cmd->help, cmd->more);
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
