/* Patterns, name lists and joining names (see pattern.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"

int
pattern_has_magic(const char *arg)
{
	const char *p;

	for (p = arg; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '*' || *p == '?' || *p == '[')
			return 1;
	}
	return 0;
}

int
pattern_unescape(const char *arg, char *out, size_t size)
{
	const char *p;
	size_t n = 0;

	for (p = arg; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 >= size)
			return -1;
		out[n++] = *p;
	}
	if (size == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

int
names_add(struct names *l, const char *name, char type)
{
	char **v, *t;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? 2 * l->cap : 16;
		if ((v = reallocarray(l->v, cap, sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		if ((t = realloc(l->type, cap)) == NULL)
			return -1;
		l->type = t;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(name)) == NULL)
		return -1;
	l->type[l->n++] = type;
	return 0;
}

void
names_free(struct names *l)
{
	while (l->n > 0)
		free(l->v[--l->n]);
	free(l->v);
	free(l->type);
	memset(l, 0, sizeof(*l));
}

int
names_join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s%s%s", dir, dir[0] != '\0' ? "/" : "",
	    name);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}
