/*
 * The one quoting rule of command lines (OpenSSH sftp's makeargv), both
 * ways: splitting a typed line into words, and writing a name back so
 * that splitting gives the name again.  Running and completing a line
 * share it, so what completion inserts runs as shown.
 *
 * Words split at blanks.  '...' keeps everything literally; "..." and
 * a backslash outside quotes make the next character plain.  The pattern
 * characters * ? [ and the backslash itself leave the tokenizer escaped
 * whenever they were quoted or escaped ("\*", "\\"): a word reaches the
 * commands in fnmatch(3) form, where an unescaped * ? [ is a pattern and
 * pattern_unescape gives the plain name back (interface.md, "Patterns").
 */
#ifndef WORDS_H
#define WORDS_H

#include <stddef.h>

#define WORDS_LINE_MAX	4096	/* bytes of one command line */
#define WORDS_MAX	16	/* words of one command line */

struct words {
	int argc;
	char *argv[WORDS_MAX + 1];	/* NULL-terminated */
	/* Quoting can double a character: "*" becomes \*. */
	char store[2 * WORDS_LINE_MAX + WORDS_MAX];
	int open_last;		/* the line ends inside the last word */
	char quote;		/* the quote still open at the end, or 0 */
};

/*
 * Splits line (NUL-terminated; a newline in it is a blank, but inside
 * quotes a character like any other) into w.  An unclosed quote ends at
 * the end of the line and is left in w->quote: completion works inside
 * it, and a line run with one is refused (shell.c).  Returns 0, or -1 when the line holds more than
 * WORDS_MAX words or more than WORDS_LINE_MAX bytes.
 */
int	words_split(const char *line, struct words *w);

/*
 * Writes name into out[0..size), NUL-terminated, as it must be typed
 * after an open quote (quote '\'' or '"') or outside quotes (quote 0) to
 * split back into name itself.  Returns its length, or -1 when it does
 * not fit (out then holds a cut copy, still terminated).
 */
int	words_quote(char *out, size_t size, const char *name, char quote);

#endif
