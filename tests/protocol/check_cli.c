/*
 * The command lines' shared shape (protocol/cli.c): HOST[:PORT] split,
 * numbers in range, and what a usage error or -h or -V prints and exits
 * with, each run in a child whose output is read back.
 */
#include <check.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "cli.h"
#include "check_main.h"

static const struct cli cli = { "prog", "usage: prog [-x] arg\n", "1.2.3" };
static char printed[1024];

static void
split_is(const char *operand, const char *host, const char *port)
{
	char buf[64];
	const char *p, *why = NULL;

	ck_assert_msg(cli_host_port(operand, buf, sizeof(buf), &p, &why) == 0,
	    "%s: %s", operand, why);
	ck_assert_str_eq(buf, host);
	if (port == NULL)
		ck_assert_ptr_null(p);
	else
		ck_assert_str_eq(p, port);
}

static void
split_fails(const char *operand, const char *reason)
{
	char buf[16];
	const char *p, *why = NULL;

	ck_assert_int_eq(cli_host_port(operand, buf, sizeof(buf), &p, &why),
	    -1);
	ck_assert_str_eq(why, reason);
}

START_TEST(host_and_port_split)
{
	split_is("localhost", "localhost", NULL);
	split_is("localhost:10001", "localhost", "10001");
	split_is("127.0.0.1:35163", "127.0.0.1", "35163");
	split_is("host:", "host", "");
	split_is("::1", "::1", NULL);		/* bare IPv6: HOST whole */
	split_is("fe80::1%eth0", "fe80::1%eth0", NULL);
	split_is("[::1]", "::1", NULL);
	split_is("[::1]:8080", "::1", "8080");
	split_is("[2001:db8::7]:1", "2001:db8::7", "1");
	split_fails("", "no host");
	split_fails(":10000", "no host");
	split_fails("[]:1", "no host");
	split_fails("[::1", "no closing ]");
	split_fails("[::1]x", "only :PORT may follow ]");
	split_fails("a-name-of-sixteen", "host name too long");
	split_is("a-name-of-fifte", "a-name-of-fifte", NULL);
}
END_TEST

/* Runs fn in a child with stdout and stderr in printed; its status. */
static int
in_child(void (*fn)(void))
{
	int fds[2], status;
	ssize_t n;
	size_t have = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		fn();
		_exit(99);		/* it must not return */
	}
	close(fds[1]);
	while ((n = read(fds[0], printed + have, sizeof(printed) - 1 -
	    have)) > 0)
		have += (size_t)n;
	printed[have] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
number_too_large(void)
{
	(void)cli_number(&cli, "port", "65536", 1, 65535);
}

static void
number_not_a_number(void)
{
	(void)cli_number(&cli, "timeout", "ten", 1, 86400);
}

static void
option_h(void)
{
	cli_other_option(&cli, 'h', NULL);
}

static void
option_v(void)
{
	cli_other_option(&cli, 'V', NULL);
}

static char prog[] = "prog", dash_t[] = "-t";
static char *missing_argv[] = { prog, dash_t, NULL };

static void
option_missing_argument(void)
{
	optind = 2;
	cli_other_option(&cli, ':', missing_argv);
}

static void
option_unknown(void)
{
	optind = 2;
	cli_other_option(&cli, '?', missing_argv);
}

/* fn exits with status, having printed want. */
static void
exits_with(void (*fn)(void), int status, const char *want)
{
	ck_assert_int_eq(in_child(fn), status);
	ck_assert_str_eq(printed, want);
}

START_TEST(numbers_in_range)
{
	ck_assert_int_eq(cli_number(&cli, "port", "65535", 1, 65535), 65535);
	ck_assert_int_eq(cli_number(&cli, "spares", "0", 0, 64), 0);
	exits_with(number_too_large, 2, "prog: port 65536: too large "
	    "(1 to 65535)\nusage: prog [-x] arg\n");
	exits_with(number_not_a_number, 2, "prog: timeout ten: invalid "
	    "(1 to 86400)\nusage: prog [-x] arg\n");
}
END_TEST

START_TEST(help_version_and_bad_options)
{
	exits_with(option_h, 0, "usage: prog [-x] arg\n");
	exits_with(option_v, 0, "prog 1.2.3\n");
	exits_with(option_missing_argument, 2, "prog: option requires an "
	    "argument: -t\nusage: prog [-x] arg\n");
	exits_with(option_unknown, 2, "prog: unknown option: -t\n"
	    "usage: prog [-x] arg\n");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("command line");

	tcase_add_test(tc, host_and_port_split);
	tcase_add_test(tc, numbers_in_range);
	tcase_add_test(tc, help_version_and_bad_options);
	suite_add_tcase(s, tc);
	return s;
}
