/*
 * The text of a directory listing (protocol.md section 4): one line per
 * entry, "<type> <size> <mtime> <name>\n".  Formatting for the server,
 * parsing for the client; no directory is read here.
 */
#ifndef LISTING_H
#define LISTING_H

#include <stddef.h>
#include <stdint.h>

#include "proto_limits.h"

struct listing_entry {
	char type;			/* 'f' or 'd' */
	uint64_t size;			/* 0 for a directory */
	uint64_t mtime;			/* seconds since the epoch */
	char name[COMPONENT_LEN_MAX + 1];
};

/* Longest line: type, three spaces, two 20-digit numbers, name, newline. */
#define LISTING_LINE_MAX	(1 + 3 + 20 + 20 + COMPONENT_LEN_MAX + 1)

/*
 * Writes e's line, newline included, into buf[0..size).  Returns its
 * length, or -1 when it does not fit.
 */
int	listing_format(char *buf, size_t size, const struct listing_entry *e);

/*
 * Parses one line of len bytes, without its newline.  Returns 0, or -1
 * when the line does not follow the format: unknown type, a number that
 * is not plain decimal or overflows, an empty name or one over 255 bytes,
 * or text that is not printable UTF-8.  The name is not otherwise judged.
 */
int	listing_parse(const char *line, size_t len, struct listing_entry *e);

/*
 * Cuts the next line off text[*pos..len): returns its start and sets
 * *linelen (newline excluded), or returns NULL at the end.  *pos moves
 * past the line.  A last line without a newline still counts.
 */
const char *listing_next_line(const char *text, size_t len, size_t *pos,
	    size_t *linelen);

#endif
