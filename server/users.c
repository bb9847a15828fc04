/*
 * The users file (see users.h; its grammar is docs/protocol.md's,
 * "Users").  Every line is checked whole at start-up, and the first bad
 * one stops the server with its place and the reason: a typo in a right
 * or a root never becomes a user with less (or more) than meant.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jail.h"
#include "path.h"
#include "session.h"
#include "users.h"

#define BLANKS	" \t"
#define FIELDS_MAX	4

static const struct {
	const char *word;
	unsigned right;
} right_words[] = {
	{ "read", RIGHT_READ },
	{ "write", RIGHT_WRITE },
	{ "delete", RIGHT_DELETE },
};

static int	valid_name(const char *);
static int	valid_key(const char *);
static const char *parse_rights(char *, unsigned *);
static const char *parse_line(struct users *, char *, unsigned);
static const char *add_user(struct users *, const struct user *);

/* 1 when name is a NAME of users.h. */
static int
valid_name(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > USER_NAME_MAX || name[0] == '.' ||
	    name[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    strchr("._-", name[i]) != NULL))
			return 0;
	return 1;
}

/* 1 when key is "SHA256:" and 43 characters of base64 (tls.h). */
static int
valid_key(const char *key)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";

	return strlen(key) == TLS_FINGERPRINT_LEN &&
	    strncmp(key, "SHA256:", 7) == 0 &&
	    strspn(key + 7, b64) == TLS_FINGERPRINT_LEN - 7;
}

/* RIGHTS into *rights: NULL, or the reason it is not one. */
static const char *
parse_rights(char *field, unsigned *rights)
{
	char *word, *next = field;
	size_t i;

	*rights = 0;
	do {
		word = next;
		if ((next = strchr(word, ',')) != NULL)
			*next++ = '\0';
		for (i = 0; i < sizeof(right_words) / sizeof(right_words[0]);
		    i++)
			if (strcmp(word, right_words[i].word) == 0)
				break;
		if (i == sizeof(right_words) / sizeof(right_words[0]))
			return "a right is read, write or delete";
		if (*rights & right_words[i].right)
			return "a right named twice";
		*rights |= right_words[i].right;
	} while (next != NULL);
	return NULL;
}

static const char *
add_user(struct users *u, const struct user *nu)
{
	struct user *v;
	size_t i;

	for (i = 0; i < u->n; i++) {
		if (strcmp(u->v[i].name, nu->name) == 0)
			return "the name is on an earlier line";
		if (strcmp(u->v[i].key, nu->key) == 0)
			return "the key is on an earlier line";
	}
	if (u->n == u->cap) {
		u->cap = u->cap ? 2 * u->cap : 16;
		if ((v = realloc(u->v, u->cap * sizeof(*v))) == NULL)
			return "out of memory";
		u->v = v;
	}
	u->v[u->n++] = *nu;
	return NULL;
}

/* One line without its LF: NULL when it was taken, or why not. */
static const char *
parse_line(struct users *u, char *line, unsigned lineno)
{
	char *field[FIELDS_MAX + 1], *save = NULL, *tok;
	struct user nu;
	const char *why;
	size_t n = 0;

	for (tok = strtok_r(line, BLANKS, &save); tok != NULL && n <=
	    FIELDS_MAX; tok = strtok_r(NULL, BLANKS, &save))
		field[n++] = tok;
	if (n == 0 || field[0][0] == '#')
		return NULL;	/* blank, or a comment */
	if (n < 3 || n > FIELDS_MAX)
		return "expected NAME FINGERPRINT RIGHTS [ROOT]";
	memset(&nu, 0, sizeof(nu));
	nu.line = lineno;
	if (strcmp(field[0], "*") == 0) {
		if (strcmp(field[1], "*") != 0)
			return "the * line's fingerprint is *";
		if (u->anyone != NULL)
			return "a second * line";
		strlcpy(nu.name, USER_ANONYMOUS, sizeof(nu.name));
	} else {
		if (!valid_name(field[0]))
			return "a NAME is 1 to 32 of A-Z a-z 0-9 . _ -, "
			    "not starting with . or -";
		if (strcmp(field[0], USER_ANONYMOUS) == 0)
			return "the name " USER_ANONYMOUS " is reserved for "
			    "the * line";
		if (!valid_key(field[1]))
			return "a FINGERPRINT is SHA256: and 43 characters of "
			    "base64 (client --fingerprint)";
		strlcpy(nu.name, field[0], sizeof(nu.name));
		strlcpy(nu.key, field[1], sizeof(nu.key));
	}
	if ((why = parse_rights(field[2], &nu.rights)) != NULL)
		return why;
	if (n == 4 && path_check(field[3], strlen(field[3])) != PATH_OK)
		return "a ROOT is a relative path beneath DIR, without . or "
		    ".. or empty components";
	if ((nu.root = strdup(n == 4 ? field[3] : "")) == NULL)
		return "out of memory";
	if (strcmp(field[0], "*") == 0) {
		if ((u->anyone = malloc(sizeof(*u->anyone))) == NULL) {
			free(nu.root);
			return "out of memory";
		}
		*u->anyone = nu;
		return NULL;
	}
	if ((why = add_user(u, &nu)) != NULL)
		free(nu.root);
	return why;
}

int
users_load(struct users *u, const char *file, char *why, size_t whylen)
{
	const char *bad = NULL;
	char *line = NULL;
	unsigned lineno = 0;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int err;

	memset(u, 0, sizeof(*u));
	u->file = file;
	if ((f = fopen(file, "re")) == NULL) {
		snprintf(why, whylen, "%s: %s", file, strerror(errno));
		return -1;
	}
	while (bad == NULL && (len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > USERS_LINE_MAX)
			bad = "line too long";
		else if (memchr(line, '\0', (size_t)len) != NULL)
			bad = "a NUL byte";
		else if (memchr(line, '\r', (size_t)len) != NULL)
			bad = "a carriage return (lines end in LF)";
		else
			bad = parse_line(u, line, lineno);
	}
	err = ferror(f) ? errno : 0;
	free(line);
	fclose(f);
	if (bad == NULL && err == 0)
		return 0;
	if (bad != NULL)
		snprintf(why, whylen, "%s:%u: %s", file, lineno, bad);
	else
		snprintf(why, whylen, "%s: %s", file, strerror(err));
	users_free(u);
	return -1;
}

int
users_check_roots(const struct users *u, int dirfd, char *why,
    size_t whylen)
{
	const struct user *usr;
	size_t i;
	int fd;

	for (i = 0; i <= u->n; i++) {
		usr = i < u->n ? &u->v[i] : u->anyone;
		if (usr == NULL || usr->root[0] == '\0')
			continue;
		if ((fd = jail_open_root(dirfd, usr->root)) == -1) {
			snprintf(why, whylen, "%s:%u: root %s: %s", u->file,
			    usr->line, usr->root, errno == ELOOP ?
			    "a symbolic link on the way" : strerror(errno));
			return -1;
		}
		close(fd);
	}
	return 0;
}

const struct user *
users_find(const struct users *u, const char *key)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->v[i].key, key) == 0)
			return &u->v[i];
	return u->anyone;
}

void
users_free(struct users *u)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		free(u->v[i].root);
	if (u->anyone != NULL)
		free(u->anyone->root);
	free(u->anyone);
	free(u->v);
	memset(u, 0, sizeof(*u));
}
