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

struct entries {
	struct listing_entry *v;
	size_t n, cap;
};

struct mem_source {
	const char *p;
	size_t left;
};

static int	list_entry(struct session *, int, const char *, size_t,
		    const char *, struct listing_entry *);
static int	read_entries(struct session *, int, const char *, size_t,
		    struct entries *);
static char	*format_entries(const struct entries *, size_t *);
static int	by_name(const void *, const void *);
static ssize_t	mem_read(void *, void *, size_t);

static int
by_name(const void *a, const void *b)
{
	/* strcmp compares as unsigned char: byte order. */
	return strcmp(((const struct listing_entry *)a)->name,
	    ((const struct listing_entry *)b)->name);
}

static ssize_t
mem_read(void *ctx, void *buf, size_t len)
{
	struct mem_source *m = ctx;

	if (len > m->left)
		len = m->left;
	memcpy(buf, m->p, len);
	m->p += len;
	m->left -= len;
	return (ssize_t)len;
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
	int need;

	if (!path_name_valid(name))
		return 0;
	/* A longer path could not be requested (section 2). */
	if (dirlen + (dirlen ? 1 : 0) + nlen > PATH_LEN_MAX)
		return 0;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		snprintf(full, sizeof(full), "%.*s%s%s", (int)dirlen, dir,
		    dirlen ? "/" : "", name);
		if (jail_stat(s->jail, full, &st) == -1)
			return 0;
	}
	if (S_ISREG(st.st_mode))
		need = R_OK;
	else if (S_ISDIR(st.st_mode))
		need = R_OK | X_OK;
	else
		return 0;
	if (faccessat(dirfd, name, need, AT_EACCESS) == -1)
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
    struct entries *es)
{
	struct listing_entry *v;
	struct dirent *d;
	DIR *dp;
	int dfd;

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
		if (es->n == es->cap) {
			es->cap = es->cap ? 2 * es->cap : 64;
			v = reallocarray(es->v, es->cap, sizeof(*v));
			if (v == NULL)
				break;
			es->v = v;
		}
		if (list_entry(s, dirfd(dp), dir, dirlen, d->d_name,
		    &es->v[es->n]))
			es->n++;
	}
	if (errno != 0) {
		int saved = errno;

		closedir(dp);
		errno = saved;
		return -1;
	}
	closedir(dp);
	return 0;
}

static char *
format_entries(const struct entries *es, size_t *len)
{
	char *text;
	size_t i, off = 0;
	int n;

	if ((text = malloc(es->n * LISTING_LINE_MAX + 1)) == NULL)
		return NULL;
	for (i = 0; i < es->n; i++) {
		n = listing_format(text + off, LISTING_LINE_MAX + 1, &es->v[i]);
		if (n < 0) {
			free(text);
			errno = ENAMETOOLONG;
			return NULL;
		}
		off += (size_t)n;
	}
	*len = off;
	return text;
}

enum serve_result
serve_list(struct session *s, const char *path, size_t len)
{
	struct entries es = { NULL, 0, 0 };
	struct mem_source src;
	struct xfer_params xp;
	struct xfer_result res;
	enum path_status ps;
	enum serve_result r;
	struct stat st;
	char *text = NULL;
	size_t textlen = 0;
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
	if (read_entries(s, fd, path, len, &es) == -1) {
		r = session_refuse_errno(s, errno);
		goto out;
	}
	if (es.n > 0)		/* qsort's base must not be NULL, even for 0 */
		qsort(es.v, es.n, sizeof(*es.v), by_name);
	if ((text = format_entries(&es, &textlen)) == NULL) {
		r = session_refuse(s, ERR_UNDEFINED, "Listing failed: %s",
		    strerror(errno));
		goto out;
	}
	if (s->opts.tsize &&
	    (r = session_announce_size(s, textlen)) != SERVE_NEXT)
		goto out;
	src.p = text;
	src.left = textlen;
	session_xfer_params(s, NULL, &xp);
	xp.size_hint = textlen;
	xfer_send(&s->conn, &xp, mem_read, &src, &res);
	s->req.bytes = res.bytes;
	r = session_xfer_failed(s, &res);
out:
	free(text);
	free(es.v);
	close(fd);
	return r;
}
