/*
 * A local program run and waited for (see local_run.h).
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "local_run.h"
#include "remote.h"
#include "signals.h"

extern char **environ;

static int	spawn_attr(posix_spawnattr_t *);

/* The child's signals: none blocked, the client's changes undone. */
static int
spawn_attr(posix_spawnattr_t *attr)
{
	sigset_t none, dfl;
	int err;

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGQUIT);
	sigaddset(&dfl, SIGPIPE);	/* ignored by the client */
	if ((err = posix_spawnattr_init(attr)) != 0)
		return err;
	if ((err = posix_spawnattr_setsigmask(attr, &none)) != 0 ||
	    (err = posix_spawnattr_setsigdefault(attr, &dfl)) != 0 ||
	    (err = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF)) != 0)
		posix_spawnattr_destroy(attr);
	return err;
}

int
local_run(const char *what, const char *file, char *const argv[])
{
	posix_spawnattr_t attr;
	struct sigaction old_int, old_quit;
	pid_t pid;
	int status = 0, err;

	if ((err = spawn_attr(&attr)) != 0)
		goto out;
	if (sig_install(SIGINT, SIG_IGN, &old_int) == -1) {
		err = errno;
		posix_spawnattr_destroy(&attr);
		goto out;
	}
	if (sig_install(SIGQUIT, SIG_IGN, &old_quit) == -1) {
		err = errno;
		(void)sig_restore(SIGINT, &old_int);
		posix_spawnattr_destroy(&attr);
		goto out;
	}
	fflush(stdout);
	err = posix_spawnp(&pid, file, NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	while (err == 0 && waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			err = errno;
	/* Ctrl-C ignored for good would be worse than a lost status. */
	if ((sig_restore(SIGINT, &old_int) == -1 ||
	    sig_restore(SIGQUIT, &old_quit) == -1) && err == 0)
		err = errno;
out:
	if (err != 0)
		fprintf(stderr, "%s: %s\n", what, strerror(err));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return RC_OK;
	else if (WIFEXITED(status))
		fprintf(stderr, "%s: exit status %d\n", what,
		    WEXITSTATUS(status));
	else
		fprintf(stderr, "%s: killed by signal %d\n", what,
		    WTERMSIG(status));
	return RC_FAILED;
}
