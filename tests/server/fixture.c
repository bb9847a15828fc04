/* The server suites' fixture (see fixture.h). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fixture.h"

struct server S;
struct conn C;
int fd = -1;

static void
populate(void)
{
	char path[PATH_MAX * 2], target[PATH_MAX * 2];
	char big[1000];

	memset(big, 'b', sizeof(big));
	harness_write_file(&S, "a.txt", "hello\n", 6);
	harness_write_file(&S, "empty", "", 0);
	harness_write_file(&S, "b512", big, 512);
	harness_write_file(&S, "b1000", big, 1000);
	harness_write_file(&S, ".hidden", "h", 1);
	harness_write_file(&S, "bad\nname", "x", 1);
	snprintf(path, sizeof(path), "%s/sub", S.root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	harness_write_file(&S, "sub/inner.txt", "inner", 5);
	snprintf(path, sizeof(path), "%s/fifo", S.root);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	/* root2 shares root's name as a prefix: outside all the same. */
	snprintf(path, sizeof(path), "%s/root2", S.top);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/root2/secret", S.top);
	close(open(path, O_WRONLY | O_CREAT, 0644));

#define LINK(t, n) do {							\
	snprintf(path, sizeof(path), "%s/%s", S.root, n);		\
	ck_assert_int_eq(symlink(t, path), 0);				\
} while (0)
	LINK("a.txt", "link");
	LINK("sub", "dirlink");
	LINK("/", "rootlink");
	LINK("/etc/passwd", "passwd");
	LINK("nowhere", "dangling");
	LINK("../root2/secret", "sibling");
	snprintf(target, sizeof(target), "%s/a.txt", S.root);
	LINK(target, "abslink");
	snprintf(target, sizeof(target), "%s/root2/secret", S.top);
	LINK(target, "abssibling");
#undef LINK
}

void
fixture_start(const char *const *args)
{
	harness_dirs(&S);
	populate();
	harness_start(&S, args);
}

void
fixture_setup(void)
{
	fixture_start(NULL);
	fd = harness_session(&S, &C);
}

void
fixture_plain_setup(void)
{
	memset(&S, 0, sizeof(S));
	fd = -1;
}

void
fixture_teardown(void)
{
	harness_end_session(&C, &fd);
	harness_cleanup(&S);
}

int
fixture_another(struct conn *c)
{
	return harness_session(&S, c);
}

void
fixture_reconnect(void)
{
	harness_end_session(&C, &fd);
	fd = harness_session(&S, &C);
}
