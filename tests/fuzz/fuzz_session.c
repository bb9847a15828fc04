/*
 * Fuzz target: the server's whole session loop.  The input is what a
 * client sends, written into one end of a socketpair (then closed for
 * writing); session_run serves the other end against a temporary served
 * directory, in this process.  It must never crash, hang or leave a file
 * outside the directory; uploads it kept are removed after each run.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "config.h"
#include "jail.h"
#include "log.h"
#include "session.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct server_config cfg;
static struct jail jail;
static char root[64];

/* The files every run starts from; anything else is an upload. */
static const char *const seeds[] = { "a", "dir", "link", "out", "fifo" };

static void
put(const char *name, const char *text)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		abort();
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

static int
remove_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* libFuzzer leaves through exit(): the served directory goes with it. */
static void
remove_root(void)
{
	nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[128], why[256];

	(void)argc;
	(void)argv;
	snprintf(root, sizeof(root), "/tmp/fs-fuzz.XXXXXX");
	if (mkdtemp(root) == NULL)
		abort();
	atexit(remove_root);
	put("a", "hello\n");
	snprintf(path, sizeof(path), "%s/dir", root);
	mkdir(path, 0755);
	put("dir/b", "in dir\n");
	snprintf(path, sizeof(path), "%s/link", root);
	symlink("a", path);
	snprintf(path, sizeof(path), "%s/out", root);
	symlink("/etc", path);
	snprintf(path, sizeof(path), "%s/fifo", root);
	mkfifo(path, 0644);
	memset(&cfg, 0, sizeof(cfg));
	cfg.timeout = 1;
	cfg.max_clients = 1;
	cfg.max_per_ip = 1;
	cfg.has_max_upload = 1;
	cfg.max_upload = 4096;
	cfg.log_level = LOG_QUIET;
	log_set_level(LOG_QUIET);
	if (jail_open(&jail, root, why, sizeof(why)) == -1 ||
	    session_prepare(&cfg) == -1)
		abort();
	return 0;
}

/* Removes what uploads left, so every run sees the same directory. */
static void
sweep(const char *dirpath)
{
	struct dirent *d;
	DIR *dp;
	size_t i;
	char path[512];

	if ((dp = opendir(dirpath)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
			if (strcmp(dirpath, root) == 0 &&
			    strcmp(d->d_name, seeds[i]) == 0)
				break;
		if (i < sizeof(seeds) / sizeof(seeds[0]) ||
		    (strcmp(dirpath, root) != 0 && strcmp(d->d_name, "b") == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, d->d_name);
		/* An upload, or a directory MKD made (and what is in it). */
		if (unlink(path) == -1 && d->d_type == DT_DIR)
			nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	closedir(dp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2], big = 1 << 20;
	char dir[128];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	/* Room for all of the input and all of the answers. */
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (size > 0)
		(void)send(sv[1], data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
	shutdown(sv[1], SHUT_WR);
	session_run(sv[0], "127.0.0.1", 1, &cfg, &jail);
	close(sv[1]);
	sweep(root);
	snprintf(dir, sizeof(dir), "%s/dir", root);
	sweep(dir);
	return 0;
}
