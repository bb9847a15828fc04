/*
 * The fixture of the server suites (check_server_*.c): the tree every
 * test starts from, the server started on it and, for the tests of one
 * session, that session.  setup and teardown are Check's checked fixture;
 * a test of the server's options starts its own with start().
 */
#ifndef FIXTURE_H
#define FIXTURE_H

#include "harness.h"

extern struct server S;		/* the server under test */
extern struct conn C;		/* setup's session */
extern int fd;			/* its socket, or -1 */

/*
 * The tree: a.txt ("hello\n"), empty, b512 and b1000 ('b'), .hidden,
 * "bad\nname", sub/inner.txt, a FIFO, and links inside (link, dirlink,
 * abslink), outside (rootlink, passwd, sibling, abssibling) and dangling;
 * beside root, root2/secret, whose name shares root's as a prefix.
 */
void	fixture_start(const char *const *args);

/* Checked fixtures: a server and a session; or nothing yet (plain). */
void	fixture_setup(void);
void	fixture_plain_setup(void);
void	fixture_teardown(void);

/* A second session beside the fixture's. */
int	fixture_another(struct conn *c);

/* setup's session ended and a new one in its place. */
void	fixture_reconnect(void);

#endif
