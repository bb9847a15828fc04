/*
 * Remote listings as the client's commands use them (see remote_list.h):
 * line by line as they arrive, and as the proof that a path is a
 * directory.  The session and its requests are remote.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "listing.h"
#include "remote_list.h"

/*
 * A listing taken line by line as it arrives, so that a directory of a
 * million entries costs one line of memory, not the whole text.
 */
struct line_sink {
	remote_line_fn fn;
	void *ctx;
	char line[LISTING_LINE_MAX + 1];
	size_t len;
	int overlong;			/* past the format's limit */
};

static int	each_piece(int (*)(void *, const void *, size_t), void *,
		    const struct iovec *, int);
static int	line_write(void *, struct iovec *, int);
static int	line_piece(void *, const void *, size_t);
static int	line_finish(void *);
static int	no_line(void *, const char *, size_t);

/* A sink that takes its pieces one at a time, in order. */
static int
each_piece(int (*piece)(void *, const void *, size_t), void *ctx,
    const struct iovec *iov, int iovcnt)
{
	int i;

	for (i = 0; i < iovcnt; i++)
		if (piece(ctx, iov[i].iov_base, iov[i].iov_len) == -1)
			return -1;
	return 0;
}

static int
line_write(void *ctx, struct iovec *iov, int iovcnt)
{
	return each_piece(line_piece, ctx, iov, iovcnt);
}

/* Cuts the bytes into lines; one longer than the format allows is cut. */
static int
line_piece(void *ctx, const void *buf, size_t len)
{
	struct line_sink *ls = ctx;
	const char *p = buf, *end = p + len, *nl;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > sizeof(ls->line) - ls->len) {
			n = sizeof(ls->line) - ls->len;
			ls->overlong = 1;
		}
		memcpy(ls->line + ls->len, p, n);
		ls->len += n;
		if (nl == NULL)
			break;
		if (ls->fn(ls->ctx, ls->line, ls->len) == -1)
			return -1;
		ls->len = 0;
		ls->overlong = 0;
		p = nl + 1;
	}
	return 0;
}

/* A last line without its newline still counts. */
static int
line_finish(void *ctx)
{
	struct line_sink *ls = ctx;

	if (ls->len > 0 && ls->fn(ls->ctx, ls->line, ls->len) == -1)
		return -1;
	ls->len = 0;
	return 0;
}

int
remote_list_lines(struct remote *r, const char *path, remote_line_fn fn,
    void *ctx)
{
	struct line_sink *ls;
	struct remote_sink sink = { line_write, line_finish, NULL, 0, NULL,
	    NULL, NULL, NULL, NULL };
	int rc;

	if ((ls = calloc(1, sizeof(*ls))) == NULL)
	{
		strlcpy(r->why, "out of memory", sizeof(r->why));
		return RC_FAILED;
	}
	ls->fn = fn;
	ls->ctx = ctx;
	sink.ctx = ls;
	rc = remote_download(r, PKT_DRQ, path, &sink, NULL);
	free(ls);
	return rc;
}

/* A listing's lines, unread: it is the listing's success that counts. */
static int
no_line(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	(void)line;
	(void)len;
	return 0;
}

int
remote_is_dir(struct remote *r, const char *path)
{
	return remote_list_lines(r, path, no_line, NULL);
}
