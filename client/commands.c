/*
 * The client's commands (see commands.h).  Each handler says what failed
 * on one line of standard error, naming the command and its object.
 */
#include <dirent.h>
#include <errno.h>
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
#include "text.h"

static int	cmd_get(struct client *, int, char **);
static int	cmd_put(struct client *, int, char **);
static int	cmd_ls(struct client *, int, char **);
static int	cmd_cd(struct client *, int, char **);
static int	cmd_pwd(struct client *, int, char **);
static int	cmd_lcd(struct client *, int, char **);
static int	cmd_lpwd(struct client *, int, char **);
static int	cmd_lls(struct client *, int, char **);
static int	cmd_help(struct client *, int, char **);
static int	cmd_quit(struct client *, int, char **);
static int	report(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	print_entry(const struct client *, const struct listing_entry *);
static const char *last_component(const char *);
static int	by_name(const void *, const void *);

static const struct command commands[] = {
	{ "get", 1, 2, "RL", "get REMOTE [LOCAL]",
	    "download REMOTE to LOCAL (default: its last component)",
	    cmd_get },
	{ "put", 1, 2, "LR", "put LOCAL [REMOTE]",
	    "upload LOCAL to REMOTE (default: its last component)", cmd_put },
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

static int
cmd_get(struct client *c, int argc, char **argv)
{
	char remote[PATH_LEN_MAX + 1], local[4096], why[4200];
	struct local_sink sink;
	struct watch w;
	struct stat st;
	const char *name;
	int rc;

	if (remote_path(&c->remote, argv[1], remote, sizeof(remote)) == -1)
		return report(RC_FAILED, "get %s: path too long", argv[1]);
	name = last_component(remote);
	if (argc > 2 && !(stat(argv[2], &st) == 0 && S_ISDIR(st.st_mode)))
		strlcpy(local, argv[2], sizeof(local));
	else {
		/* The name comes from the user, but is checked all the same. */
		if (!path_name_valid(name))
			return report(RC_FAILED, "get %s: no local name; give "
			    "one", argv[1]);
		if (snprintf(local, sizeof(local), "%s%s%s", argc > 2 ?
		    argv[2] : "", argc > 2 ? "/" : "", name) >=
		    (int)sizeof(local))
			return report(RC_FAILED, "get %s: name too long",
			    argv[1]);
	}
	if (local_sink_open(&sink, local, c->cfg->force, why,
	    sizeof(why)) == -1)
		return report(RC_FAILED, "get %s: %s", argv[1], why);
	progress_watch(&c->progress, name, &w);
	rc = remote_download(&c->remote, PKT_RRQ, remote, local_sink_write,
	    local_sink_finish, &sink, &w);
	progress_stop(&c->progress, rc == RC_OK);
	local_sink_close(&sink);
	if (rc != RC_OK)
		return report(rc, "get %s: %s", argv[1], c->remote.why);
	return RC_OK;
}

static int
cmd_put(struct client *c, int argc, char **argv)
{
	char remote[PATH_LEN_MAX + 1], why[4200];
	struct local_source src;
	struct watch w;
	const char *target;
	int rc;

	target = argc > 2 ? argv[2] : last_component(argv[1]);
	if (remote_path(&c->remote, target, remote, sizeof(remote)) == -1)
		return report(RC_FAILED, "put %s: remote path too long",
		    argv[1]);
	if (local_source_open(&src, argv[1], why, sizeof(why)) == -1)
		return report(RC_FAILED, "put %s: %s", argv[1], why);
	progress_watch(&c->progress, last_component(remote), &w);
	rc = remote_upload(&c->remote, remote, local_source_read, &src,
	    src.size, &w);
	progress_stop(&c->progress, rc == RC_OK);
	local_source_close(&src);
	if (rc != RC_OK)
		return report(rc, "put %s: %s", argv[1], c->remote.why);
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

static int
cmd_ls(struct client *c, int argc, char **argv)
{
	char path[PATH_LEN_MAX + 1], esc[TEXT_ESCAPED_LEN(LISTING_LINE_MAX)];
	struct listing_entry e;
	const char *line;
	char *text;
	size_t len, pos = 0, n;
	int rc;

	if (remote_path(&c->remote, argc > 1 ? argv[1] : "", path,
	    sizeof(path)) == -1)
		return report(RC_FAILED, "ls %s: path too long", argv[1]);
	if ((rc = remote_list(&c->remote, path, &text, &len)) != RC_OK)
		return report(rc, "ls %s: %s", argc > 1 ? argv[1] : "/",
		    c->remote.why);
	while ((line = listing_next_line(text, len, &pos, &n)) != NULL) {
		if (listing_parse(line, n, &e) == 0)
			print_entry(c, &e);
		else {
			/* Not ours to judge, but never raw to a terminal. */
			text_escape(esc, sizeof(esc), line, n,
			    c->cfg->text_flags);
			printf("%s\n", esc);
		}
	}
	free(text);
	return RC_OK;
}

static int
cmd_cd(struct client *c, int argc, char **argv)
{
	char path[PATH_LEN_MAX + 1], *text;
	size_t len;
	int rc;

	if (remote_path(&c->remote, argc > 1 ? argv[1] : "/", path,
	    sizeof(path)) == -1)
		return report(RC_FAILED, "cd %s: path too long", argv[1]);
	/* The listing proves it is a directory we may enter. */
	if ((rc = remote_list(&c->remote, path, &text, &len)) != RC_OK)
		return report(rc, "cd %s: %s", argc > 1 ? argv[1] : "/",
		    c->remote.why);
	free(text);
	strlcpy(c->remote.cwd, path, sizeof(c->remote.cwd));
	return RC_OK;
}

static int
cmd_pwd(struct client *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("/%s\n", c->remote.cwd);
	return RC_OK;
}

static int
cmd_lcd(struct client *c, int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("HOME");

	(void)c;
	if (dir == NULL)
		return report(RC_FAILED, "lcd: no home directory");
	if (chdir(dir) == -1)
		return report(RC_FAILED, "lcd %s: %s", dir, strerror(errno));
	return RC_OK;
}

static int
cmd_lpwd(struct client *c, int argc, char **argv)
{
	char buf[4096];

	(void)c;
	(void)argc;
	(void)argv;
	if (getcwd(buf, sizeof(buf)) == NULL)
		return report(RC_FAILED, "lpwd: %s", strerror(errno));
	printf("%s\n", buf);
	return RC_OK;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct listing_entry *)a)->name,
	    ((const struct listing_entry *)b)->name);
}

static int
cmd_lls(struct client *c, int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	struct listing_entry *v = NULL, *nv;
	size_t n = 0, cap = 0, i;
	struct dirent *d;
	struct stat st;
	DIR *dp;
	int dfd;

	(void)c;
	if ((dp = opendir(dir)) == NULL)
		return report(RC_FAILED, "lls %s: %s", dir, strerror(errno));
	dfd = dirfd(dp);
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0
		    || strlen(d->d_name) > COMPONENT_LEN_MAX ||
		    fstatat(dfd, d->d_name, &st, 0) == -1 ||
		    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				free(v);
				closedir(dp);
				return report(RC_FAILED, "lls %s: %s", dir,
				    strerror(errno));
			}
			v = nv;
		}
		v[n].type = S_ISDIR(st.st_mode) ? 'd' : 'f';
		v[n].size = S_ISDIR(st.st_mode) ? 0 : (uint64_t)st.st_size;
		v[n].mtime = st.st_mtime < 0 ? 0 : (uint64_t)st.st_mtime;
		strlcpy(v[n].name, d->d_name, sizeof(v[n].name));
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
cmd_help(struct client *c, int argc, char **argv)
{
	const struct command *cmd;
	size_t i;

	(void)c;
	if (argc > 1) {
		if ((cmd = command_find(argv[1])) == NULL)
			return report(RC_FAILED, "help %s: unknown command",
			    argv[1]);
		printf("%-20s %s\n", cmd->usage, cmd->help);
		return RC_OK;
	}
	for (i = 0; i < NCOMMANDS; i++)
		printf("%-20s %s\n", commands[i].usage, commands[i].help);
	printf("%-20s %s\n", "-COMMAND", "in a batch: go on if it fails");
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
