/*
 *   maxrss COMMAND [ARG ...]
 *
 * Runs COMMAND with its standard output thrown away and prints, on one
 * line, the seconds it took and its peak resident memory in KiB (the
 * getrusage figure of the reaped child): how much a client holds while it
 * lists a directory of a million entries, say.  Exits with COMMAND's
 * status, or 1 when it could not be run or was killed.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

int
main(int argc, char *argv[])
{
	struct timespec t0, t1;
	struct rusage ru;
	pid_t pid;
	int status, devnull;

	if (argc < 2)
		errx(2, "usage: maxrss command [arg ...]");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		if ((devnull = open("/dev/null", O_WRONLY)) == -1 ||
		    dup2(devnull, STDOUT_FILENO) == -1)
			err(127, "/dev/null");
		execvp(argv[1], argv + 1);
		err(127, "%s", argv[1]);
	}
	while (wait4(pid, &status, 0, &ru) == -1)
		if (errno != EINTR)
			err(1, "wait4");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f %ld\n", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, ru.ru_maxrss);
	if (!WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}
