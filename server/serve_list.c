/*
 * DRQ: a directory listing (protocol.md section 4), sent as a download of
 * its text.  An entry is listed exactly when a request for it would be
 * served: symbolic links are shown as what they lead to, through the jail,
 * and left out when they dangle or lead outside.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "listing.h"
#include "path.h"
#include "session.h"
#include "testhook.h"

/*
 * The listing as it will be sent, held compactly (issue 13, finding 2):
 * every line formatted once, back to back in one buffer, and an array of
 * where each starts, sorted by name.  An entry costs its line (its name
 * and about 26 bytes) and 4 bytes, where a whole struct listing_entry
 * and a worst-case line were 580.  The text is exactly what is served,
 * so the tsize announced is its length.  Both buffers together are held
 * under a bound (SERVER_LISTING_MAX): a directory that needs more is
 * refused with a clear ERR before anything is sent, never an exhausted
 * memory.
 *
 * The index is made once the directory is read, at its exact size, with
 * the text cut to its length first: growing both by doubling, the text
 * took the room the index would need, and long names hit the bound at
 * about half of it (issue 25).  So the bound is what it says: text and
 * index, as held when the listing is sent.
 */
struct lines {
	char *text;
	size_t len, cap;
	uint32_t *start;		/* offsets of the lines in text */
	size_t n;
	size_t max;			/* bytes text and start may take */
};

/* The sorted lines, sent one after another. */
struct lines_source {
	const struct lines *l;
	size_t i, off;			/* next line, and bytes of it sent */
};

static int	list_entry(struct session *, int, const char *, size_t,
		    const char *, struct listing_entry *);
static int	read_entries(struct session *, int, const char *, size_t,
		    struct lines *);
static int	add_line(struct lines *, const char *, size_t);
static int	index_lines(struct lines *);
static int	grow_text(struct lines *, size_t, size_t);
static void	size_str(char *, size_t, size_t);
static const char *line_name(const char *);
static int	by_name(const void *, const void *, void *);
static ssize_t	lines_read(void *, void *, size_t);
static int	access_needed(const struct stat *);

/* The name in a line: after type, size and mtime, which hold no space. */
static const char *
line_name(const char *line)
{
	int spaces = 0;

	while (spaces < 3)
		if (*line++ == ' ')
			spaces++;
	return line;
}

static int
by_name(const void *a, const void *b, void *ctx)
{
	const char *text = ctx;
	const unsigned char *x = (const unsigned char *)
	    line_name(text + *(const uint32_t *)a);
	const unsigned char *y = (const unsigned char *)
	    line_name(text + *(const uint32_t *)b);

	/*
	 * Byte order (section 4).  A name ends at its newline, which sorts
	 * below every byte a valid name holds, so a prefix comes first, as
	 * strcmp would have it.
	 */
	while (*x == *y && *x != '\n') {
		x++;
		y++;
	}
	return (int)*x - (int)*y;
}

static ssize_t
lines_read(void *ctx, void *buf, size_t len)
{
	struct lines_source *src = ctx;
	const struct lines *l = src->l;
	char *out = buf;
	size_t done = 0, linelen, n;
	const char *line;

	while (done < len && src->i < l->n) {
		line = l->text + l->start[src->i];
		/*
		 * Stored in directory order, so the next offset says nothing
		 * of this line's end; its newline does, always there.
		 */
		linelen = (size_t)((const char *)memchr(line, '\n',
		    l->len - l->start[src->i]) - line) + 1;
		n = linelen - src->off;
		if (n > len - done)
			n = len - done;
		memcpy(out + done, line + src->off, n);
		done += n;
		src->off += n;
		if (src->off == linelen) {
			src->off = 0;
			src->i++;
		}
	}
	return (ssize_t)done;
}

/*
 * Makes room for want bytes of text, doubling, within budget.  0, or -1
 * with EFBIG past the bound, ENOMEM when memory is short.
 */
static int
grow_text(struct lines *l, size_t want, size_t budget)
{
	size_t ncap = l->cap ? l->cap : 4096;
	char *p;

	while (ncap < want)
		ncap *= 2;
	if (ncap > budget)
		ncap = budget;
	if (ncap < want) {
		errno = EFBIG;
		return -1;
	}
	if ((p = realloc(l->text, ncap)) == NULL)
		return -1;
	l->text = p;
	l->cap = ncap;
	return 0;
}

/*
 * Appends a line, if it and the index entry every line will need fit
 * in the bound.  0, or -1 with EFBIG or ENOMEM.
 */
static int
add_line(struct lines *l, const char *line, size_t len)
{
	size_t index = (l->n + 1) * sizeof(*l->start);

	if (l->len + len > UINT32_MAX || index > l->max ||
	    l->len + len > l->max - index) {
		errno = EFBIG;
		return -1;
	}
	if (l->len + len > l->cap &&
	    grow_text(l, l->len + len, l->max - index) == -1)
		return -1;
	memcpy(l->text + l->len, line, len);
	l->len += len;
	l->n++;
	return 0;
}

/*
 * The index of the lines, once all are read: the text cut to its length
 * (so that both together are within the bound add_line kept), then an
 * offset per line.  0, or -1 with ENOMEM.
 */
static int
index_lines(struct lines *l)
{
	size_t i, off = 0;
	char *p;

	if (l->n == 0)
		return 0;
	if (l->cap > l->len && (p = realloc(l->text, l->len)) != NULL) {
		l->text = p;
		l->cap = l->len;
	}
	if ((l->start = malloc(l->n * sizeof(*l->start))) == NULL)
		return -1;
	for (i = 0; i < l->n; i++) {
		l->start[i] = (uint32_t)off;
		off += (size_t)((const char *)memchr(l->text + off, '\n',
		    l->len - off) - (l->text + off)) + 1;
	}
	return 0;
}

/* A bound as people write it: "64 MiB", "16 KiB", "4000 bytes". */
static void
size_str(char *buf, size_t size, size_t bytes)
{
	if (bytes >= (1U << 20) && bytes % (1U << 20) == 0)
		snprintf(buf, size, "%zu MiB", bytes >> 20);
	else if (bytes >= 1024 && bytes % 1024 == 0)
		snprintf(buf, size, "%zu KiB", bytes >> 10);
	else
		snprintf(buf, size, "%zu bytes", bytes);
}

/* What a request for st would need: read, and search for a directory. */
static int
access_needed(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return R_OK;
	if (S_ISDIR(st->st_mode))
		return R_OK | X_OK;
	return 0;	/* not served at all */
}

/*
 * Fills *e for the entry name of the directory dirfd (path dir, dirlen
 * bytes, from the root).  Returns 1 to list it, 0 to leave it out.
 */
static int
list_entry(struct session *s, int dirfd, const char *dir, size_t dirlen,
    const char *name, struct listing_entry *e)
{
	char full[PATH_LEN_MAX + 1];
	size_t nlen = strlen(name);
	struct stat st;
	int need, tfd, ok;

	if (!path_name_valid(name))
		return 0;
	/* A longer path could not be requested (section 2). */
	if (dirlen + (dirlen ? 1 : 0) + nlen > PATH_LEN_MAX)
		return 0;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		/*
		 * Through the jail, as a request for it would go, and the
		 * access checked on what it leads to: the kernel following
		 * the link itself would read an absolute one against the -u
		 * chroot's root, and so leave out what is served (issue 13,
		 * finding 9).
		 */
		snprintf(full, sizeof(full), "%.*s%s%s", (int)dirlen, dir,
		    dirlen ? "/" : "", name);
		if ((tfd = jail_openat(s->jail, full, O_PATH)) == -1)
			return 0;
		ok = fstat(tfd, &st) == 0 && (need = access_needed(&st)) != 0 &&
		    faccessat(tfd, "", need, AT_EACCESS | AT_EMPTY_PATH) == 0;
		close(tfd);
		if (!ok)
			return 0;
	} else if ((need = access_needed(&st)) == 0 ||
	    faccessat(dirfd, name, need, AT_EACCESS | AT_SYMLINK_NOFOLLOW) ==
	    -1)
		return 0;
	e->type = S_ISDIR(st.st_mode) ? 'd' : 'f';
	e->size = S_ISDIR(st.st_mode) ? 0 : (uint64_t)st.st_size;
	/* Before 1970 is written as 0: the format has no sign. */
	e->mtime = st.st_mtime < 0 ? 0 : (uint64_t)st.st_mtime;
	memcpy(e->name, name, nlen + 1);
	return 1;
}

static int
read_entries(struct session *s, int fd, const char *dir, size_t dirlen,
    struct lines *l)
{
	struct listing_entry e;
	char line[LISTING_LINE_MAX + 1];
	struct dirent *d;
	DIR *dp;
	int dfd, n, saved;

	if ((dfd = dup(fd)) == -1)
		return -1;
	if ((dp = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((d = readdir(dp)) == NULL)
			break;
		if (!list_entry(s, dirfd(dp), dir, dirlen, d->d_name, &e))
			continue;
		/* The name is at most COMPONENT_LEN_MAX: the line fits. */
		if ((n = listing_format(line, sizeof(line), &e)) < 0) {
			errno = ENAMETOOLONG;
			break;
		}
		if (add_line(l, line, (size_t)n) == -1)
			break;
	}
	saved = errno;
	closedir(dp);
	errno = saved;
	return saved != 0 ? -1 : 0;
}

enum serve_result
serve_list(struct session *s, const char *path, size_t len)
{
	char bound[32];
	struct announce ann = { 0, 0, 0, 0 };
	struct lines l;
	struct lines_source src;
	struct xfer_params xp;
	struct xfer_result res;
	enum path_status ps;
	enum serve_result r;
	struct stat st;
	int fd;

	if (len > 0 && (ps = path_check(path, len)) != PATH_OK)
		return session_refuse(s, ERR_BAD_NAME, "Bad file name: %s",
		    path_status_str(ps));
	if ((fd = jail_openat(s->jail, path, O_RDONLY | O_DIRECTORY)) == -1) {
		if (errno == ENOTDIR && jail_stat(s->jail, path, &st) == 0)
			return session_refuse(s, ERR_ACCESS,
			    "Access violation: not a directory");
		return session_refuse_errno(s, errno);
	}
	memset(&l, 0, sizeof(l));
	l.max = testhook_listing_max() ? (size_t)testhook_listing_max() :
	    SERVER_LISTING_MAX;
	if (read_entries(s, fd, path, len, &l) == -1 || index_lines(&l) == -1) {
		if (errno == EFBIG) {
			size_str(bound, sizeof(bound), l.max);
			r = session_refuse(s, ERR_UNDEFINED, "Directory too "
			    "large to list: its listing needs more than %s",
			    bound);
		} else if (errno == ENOMEM)
			r = session_refuse(s, ERR_UNDEFINED, "Listing failed: "
			    "out of memory");
		else
			r = session_refuse_errno(s, errno);
		goto out;
	}
	if (l.n > 0)		/* qsort's base must not be NULL, even for 0 */
		qsort_r(l.start, l.n, sizeof(*l.start), by_name, l.text);
	ann.size = l.len;
	if (s->opts.tsize &&
	    (r = session_announce(s, &ann)) != SERVE_NEXT)
		goto out;
	src.l = &l;
	src.i = src.off = 0;
	session_xfer_params(s, NULL, &xp);
	xp.size_hint = l.len;
	xfer_send(&s->conn, &xp, lines_read, &src, &res);
	s->req.bytes = res.bytes;
	r = pipeline_sent(s, &res);
out:
	free(l.text);
	free(l.start);
	close(fd);
	return r;
}
