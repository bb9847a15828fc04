/*
 * The users file (--users FILE; docs/protocol.md, "Users"): who may
 * connect to a TLS server, named by the fingerprint of the key their
 * client proves in the handshake, each with a set of rights and
 * optionally a subdirectory of DIR as their root.  Read whole by the
 * parent at start-up, before any sandbox, as the TLS key is; the
 * children look keys up in the copy they inherit.
 */
#ifndef USERS_H
#define USERS_H

#include <stddef.h>

#include "tls.h"

/* A NAME: 1 to 32 of A-Z a-z 0-9 . _ -, not starting with . or -. */
#define USER_NAME_MAX	32
/* The longest line the file may hold, its LF excluded. */
#define USERS_LINE_MAX	2047
/* The name a `*` line's users are greeted and logged by (reserved). */
#define USER_ANONYMOUS	"anonymous"

struct user {
	char name[USER_NAME_MAX + 1];	/* USER_ANONYMOUS for the `*` line */
	char key[TLS_FINGERPRINT_LEN + 1];	/* "" for the `*` line */
	unsigned rights;		/* enum session_right, or-ed */
	char *root;			/* beneath DIR, or "" for DIR itself */
	unsigned line;			/* in the file, for messages */
};

struct users {
	const char *file;		/* its name, as given */
	struct user *v;			/* the named users, in file order */
	size_t n, cap;
	struct user *anyone;		/* the `*` line, or NULL */
};

/*
 * Reads and checks file into *u (which it fills from nothing).  0, or
 * -1 with "FILE:LINE: reason" (or "FILE: reason") in why[0..whylen),
 * *u then empty.
 */
int	users_load(struct users *u, const char *file, char *why,
	    size_t whylen);

/*
 * Each user's root opened beneath the served directory dirfd as the
 * jail opens it (jail_open_root): 0 when every one is a directory there,
 * else -1 with "FILE:LINE: reason".
 */
int	users_check_roots(const struct users *u, int dirfd, char *why,
	    size_t whylen);

/*
 * The user whose key has the fingerprint key, else the `*` line (also
 * for key "", a client that showed none), else NULL.
 */
const struct user *users_find(const struct users *u, const char *key);

void	users_free(struct users *u);

#endif
