/*
 * Command-line words (see words.h): the tokenizer and its inverse.
 */
#include <string.h>

#include "words.h"

/* Kept escaped in a word, for the pattern layer to read. */
#define PATTERN_CHARS	"*?[\\"
/* Escaped by a backslash when written outside quotes. */
#define UNQUOTED_SPECIAL " \t'\"*?[\\"

static int	is_blank(char);

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
words_split(const char *line, struct words *w)
{
	char *out = w->store, *end = w->store + sizeof(w->store) - 1;
	const char *p = line;
	char quote, c;
	int plain;

	if (strlen(line) > WORDS_LINE_MAX)
		return -1;
	w->argc = 0;
	w->open_last = 0;
	w->quote = 0;
	for (;;) {
		while (is_blank(*p))
			p++;
		if (*p == '\0')
			break;
		if (w->argc == WORDS_MAX)
			return -1;
		w->argv[w->argc++] = out;
		quote = 0;
		while (*p != '\0' && (quote || !is_blank(*p))) {
			/* A byte read writes two at most: never short. */
			if (end - out < 2)
				return -1;
			c = *p++;
			if (quote != 0 && c == quote) {
				quote = 0;
				continue;
			}
			if (quote == 0 && (c == '\'' || c == '"')) {
				quote = c;
				continue;
			}
			plain = quote != 0;
			if (c == '\\') {
				/* Escapes, except inside '' or as the last byte. */
				if (quote != '\'' && *p != '\0')
					c = *p++;
				plain = 1;
			}
			if (plain && strchr(PATTERN_CHARS, c) != NULL)
				*out++ = '\\';
			*out++ = c;
		}
		*out++ = '\0';
		w->open_last = *p == '\0';
		w->quote = quote;
	}
	w->argv[w->argc] = NULL;
	return 0;
}

int
words_quote(char *out, size_t size, const char *name, char quote)
{
	size_t n = 0;
	const char *add;
	char one[3];

	if (size == 0)
		return -1;
	for (; *name != '\0'; name++) {
		add = one;
		one[0] = *name;
		one[1] = one[2] = '\0';
		if (quote == '\'' && *name == '\'')
			add = "'\\''";	/* close, an escaped ', reopen */
		else if ((quote == '"' && (*name == '"' || *name == '\\')) ||
		    (quote == 0 && strchr(UNQUOTED_SPECIAL, *name) != NULL)) {
			one[0] = '\\';
			one[1] = *name;
		}
		if (strlen(add) >= size - n) {
			out[n] = '\0';
			return -1;
		}
		memcpy(out + n, add, strlen(add));
		n += strlen(add);
	}
	out[n] = '\0';
	return (int)n;
}
