/*
 * Patterns in command arguments (interface.md, "Patterns"): an argument
 * holding an unescaped '*', '?' or '[' is an fnmatch(3) pattern; a
 * backslash makes the next character plain.  And the lists of names
 * that patterns and trees expand to.
 */
#ifndef PATTERN_H
#define PATTERN_H

#include <stddef.h>

/* 1 when arg holds a '*', '?' or '[' that no backslash makes plain. */
int	pattern_has_magic(const char *arg);

/*
 * Copies arg into out[0..size) with its backslash escapes resolved.
 * Returns 0, or -1 when it does not fit.
 */
int	pattern_unescape(const char *arg, char *out, size_t size);

/* A growing list of names, each with a type: 'f', 'd', or '?' unknown. */
struct names {
	char **v;
	char *type;
	size_t n, cap;
};

/* Appends a copy of name.  0, or -1 when memory is short. */
int	names_add(struct names *l, const char *name, char type);
void	names_free(struct names *l);

/*
 * dir/name into out[0..size) ("" dir: name alone).  0, or -1 when it
 * does not fit.
 */
int	names_join(char *out, size_t size, const char *dir, const char *name);

#endif
