/*
 * The client's commands (see commands.h): the table, how a command
 * reports, and the commands of one object each.  get and put over many
 * files are transfers.c's.  Each handler says what failed on one line of
 * standard error, naming the command and its object (interface.md).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "commands.h"
#include "listing.h"
#include "local_limits.h"
#include "path.h"
#include "pattern.h"
#include "remote_list.h"
#include "text.h"
#include "transfers.h"

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
static void	print_entry(const struct client *,
		    const struct listing_entry *);
static int	by_name(const void *, const void *);
static int	parse_flags(const char *, const char *, int *, char ***,
		    struct transfer_flags *);
static int	ls_line(void *, const char *, size_t);
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

/*
 * Takes the leading flags of allowed ("afr") off *argv, past the command
 * name; "--" ends them.  -1 after a usage line for one not allowed.
 */
static int
parse_flags(const char *cmd, const char *allowed, int *argc, char ***argv,
    struct transfer_flags *f)
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
				return command_report(-1, "%s: unknown flag "
				    "-%c; usage: %s", cmd, *p, row->usage);
			f->append |= *p == 'a';
			f->force |= *p == 'f';
			f->recursive |= *p == 'r';
		}
		(*argc)--;
		(*argv)++;
	}
	if (*argc == 0)
		return command_report(-1, "usage: %s", row->usage);
	return 0;
}

/* What remote_entries gathers, line by line. */
struct entries_ctx {
	const char *dir, *pattern;
	struct names *out;
};

static int
cmd_get(struct client *c, int argc, char **argv)
{
	struct transfer_flags f;

	if (parse_flags("get", "afr", &argc, &argv, &f) == -1)
		return RC_FAILED;
	return transfer_get(c, &f, argc, argv);
}

static int
cmd_reget(struct client *c, int argc, char **argv)
{
	struct transfer_flags f;

	if (parse_flags("reget", "", &argc, &argv, &f) == -1)
		return RC_FAILED;
	f.append = 1;
	return transfer_get(c, &f, argc, argv);
}

static int
cmd_put(struct client *c, int argc, char **argv)
{
	struct transfer_flags f;

	if (parse_flags("put", "r", &argc, &argv, &f) == -1)
		return RC_FAILED;
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

	if (path_resolve(c->remote.cwd, arg, path, sizeof(path)) != PATH_OK)
		return command_report(RC_FAILED, "ls %s: path too long",
		    command_show(c, arg));
	if ((rc = remote_list_lines(&c->remote, path, ls_line, c)) != RC_OK)
		return command_report(rc, "ls /%s: %s", command_show(c, path),
		    c->remote.why);
	return RC_OK;
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
			return command_report(RC_FAILED, "lls %s: not a "
			    "regular file", command_show(c, dir));
		print_entry(c, &one);
		return RC_OK;
	}
	if ((dp = opendir(dir)) == NULL)
		return command_report(RC_FAILED, "lls %s: %s",
		    command_show(c, dir), strerror(errno));
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				free(v);
				closedir(dp);
				return command_report(RC_FAILED, "lls %s: %s",
				    command_show(c, dir), strerror(errno));
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
			return command_report(RC_FAILED, "help %s: unknown "
			    "command", command_show(c, argv[1]));
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
