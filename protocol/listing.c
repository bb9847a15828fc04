/*
 * Listing lines (protocol.md section 4).  The parser trusts nothing: every
 * field is bounded by the line's length, never by a terminator.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "listing.h"
#include "path.h"

static int	parse_number(const char *, size_t, size_t *, uint64_t *);

int
listing_format(char *buf, size_t size, const struct listing_entry *e)
{
	int n;

	n = snprintf(buf, size, "%c %" PRIu64 " %" PRIu64 " %s\n", e->type,
	    e->size, e->mtime, e->name);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/* Reads the digits at line[*pos] up to the next space. */
static int
parse_number(const char *line, size_t len, size_t *pos, uint64_t *v)
{
	size_t start = *pos;

	*v = 0;
	while (*pos < len && line[*pos] >= '0' && line[*pos] <= '9') {
		unsigned d = (unsigned)(line[*pos] - '0');

		if (*v > (UINT64_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
		(*pos)++;
	}
	if (*pos == start || *pos >= len || line[*pos] != ' ')
		return -1;
	(*pos)++;
	return 0;
}

int
listing_parse(const char *line, size_t len, struct listing_entry *e)
{
	size_t pos = 2, nlen;

	if (len < 2 || (line[0] != 'f' && line[0] != 'd') || line[1] != ' ' ||
	    !path_text_printable(line, len))
		return -1;
	e->type = line[0];
	if (parse_number(line, len, &pos, &e->size) == -1 ||
	    parse_number(line, len, &pos, &e->mtime) == -1)
		return -1;
	nlen = len - pos;
	if (nlen == 0 || nlen > COMPONENT_LEN_MAX)
		return -1;
	memcpy(e->name, line + pos, nlen);
	e->name[nlen] = '\0';
	return 0;
}

const char *
listing_next_line(const char *text, size_t len, size_t *pos,
    size_t *linelen)
{
	const char *line = text + *pos, *nl;

	if (*pos >= len)
		return NULL;
	if ((nl = memchr(line, '\n', len - *pos)) == NULL)
		nl = text + len;
	*linelen = (size_t)(nl - line);
	*pos += *linelen + 1;
	return line;
}
