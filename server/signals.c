/*
 * The server's signals and clock (see signals.h).
 */
#include <string.h>
#include <time.h>

#include "signals.h"

int
signals_install(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: the wait must end */
	return sigaction(sig, &sa, NULL);
}

int
signals_install_info(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO;
	return sigaction(sig, &sa, NULL);
}

int64_t
monotonic_ms(void)
{
	struct timespec ts;

	/* Fails only for a clock the kernel lacks or a bad pointer: every
	 * Linux has CLOCK_MONOTONIC (the vDSO answers, no system call). */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
monotonic_ms_left(int64_t deadline)
{
	int64_t left = deadline - monotonic_ms();

	return left > 0 ? left : 0;
}
