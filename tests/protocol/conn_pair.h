/*
 * What the conn suites share (check_conn.c, check_tls.c): a socketpair
 * with a conn on sv[0] whose waits are counted and which a SIGALRM
 * (on_alarm, installed by the test that wants it) ends with CONN_TIMEOUT.
 * Included once per suite, as check_main.h is.
 */
#ifndef CONN_PAIR_H
#define CONN_PAIR_H

#include <check.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>

#include "conn.h"

static int sv[2];		/* sv[0] is c's, sv[1] the peer's */
static struct conn c;
static int waits;		/* waits c began */
static volatile sig_atomic_t alarmed;

static void
count_wait(void *ctx)
{
	(void)ctx;
	waits++;
}

static int
stop_on_alarm(void *ctx)
{
	(void)ctx;
	return alarmed ? CONN_TIMEOUT : 0;
}

static const struct conn_hooks hooks = { count_wait, stop_on_alarm };

static void
on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/* The pair and c, for a checked fixture's setup. */
static void
conn_pair_open(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(conn_init(&c, sv[0], &hooks, NULL), 0);
	waits = 0;
	alarmed = 0;
}

static void
conn_pair_close(void)
{
	conn_free(&c);
	close(sv[0]);
	close(sv[1]);
}

#endif
