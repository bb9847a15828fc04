/*
 * RRQ: a download (protocol.md section 4).  Regular files only; the file
 * is opened without blocking, so a FIFO or device can never hang the
 * child, and is sent as it was when opened: exactly the size announced.
 * With an offset (section 6) it is sent from there; with a digest, the
 * SUM covers the whole file, so the bytes before the offset are read
 * here and hashed, not sent — unless the digest cache knows the file's
 * digest already (digestcache.h): then nothing is hashed at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "digestcache.h"
#include "hashslot.h"
#include "log.h"
#include "path.h"
#include "session.h"

struct file_source {
	int fd;
	uint64_t left;		/* bytes still to send */
};

static ssize_t
file_read(void *ctx, void *buf, size_t len)
{
	struct file_source *src = ctx;
	ssize_t n;

	if ((uint64_t)len > src->left)
		len = (size_t)src->left;
	if (len == 0)
		return 0;
	n = read(src->fd, buf, len);
	if (n == 0) {
		/* Shorter than announced: a file cut while being sent. */
		errno = EIO;
		return -1;
	}
	if (n > 0)
		src->left -= (uint64_t)n;
	return n;
}

#define PREFIX_CHUNK	(256 * 1024)

int
session_hash_prefix(int fd, uint64_t bytes, struct digest *d)
{
	uint8_t *buf;
	ssize_t n;

	if ((buf = malloc(PREFIX_CHUNK)) == NULL)
		return -1;
	while (bytes > 0) {
		n = read(fd, buf, bytes < PREFIX_CHUNK ? (size_t)bytes :
		    PREFIX_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* cut while we read */
			free(buf);
			return -1;
		}
		digest_update(d, buf, (size_t)n);
		bytes -= (uint64_t)n;
	}
	free(buf);
	return 0;
}

/*
 * Puts the file's position at the offset.  With a digest not known
 * already, the prefix is read and hashed on the way, not sent: a short
 * request that costs a whole file's reading.  A large one waits for a
 * slot (hashslot.h), so that clients cannot make the server read more
 * than a few such prefixes at once; none within the timeout is ERR 9,
 * and the connection closes.  SERVE_NEXT, or the request's end.
 */
static enum serve_result
skip_prefix(struct session *s, const struct file_source *src,
    const struct xfer_params *xp)
{
	uint64_t offset = s->req.offset;
	int rc;

	if (xp->digest == NULL || xp->digest->known) {
		if (lseek(src->fd, (off_t)offset, SEEK_SET) == -1)
			return session_refuse_errno(s, errno);
		return SERVE_NEXT;
	}
	if (hashslot_take(offset, s->cfg->timeout) == -1)
		return session_abort(s, ERR_BUSY, "Server busy: too many "
		    "resumed downloads being verified");
	rc = session_hash_prefix(src->fd, offset, xp->digest);
	hashslot_release();
	return rc == -1 ? session_refuse_errno(s, errno) : SERVE_NEXT;
}

enum serve_result
serve_read(struct session *s, const char *path, size_t len)
{
	struct file_source src;
	struct announce ann;
	struct digest d;
	struct xfer_params xp;
	struct xfer_result res;
	enum path_status ps;
	enum serve_result r;
	struct stat st, after;
	char hex[DIGEST_HEX_MAX + 1];

	memset(&d, 0, sizeof(d));
	memset(&ann, 0, sizeof(ann));
	if (len == 0)		/* section 4: an empty RRQ lists the root */
		return serve_list(s, path, len);
	if ((ps = path_check(path, len)) != PATH_OK)
		return session_refuse(s, ERR_BAD_NAME, "Bad file name: %s",
		    path_status_str(ps));
	/* Nothing but a regular file is ever opened (jail.h). */
	src.fd = jail_open_regular(s->jail, path, O_RDONLY | O_NONBLOCK, &st);
	if (src.fd == -1) {
		if (errno == EFTYPE_NOT_REGULAR)
			return session_refuse(s, ERR_ACCESS,
			    "Access violation: not a regular file");
		return session_refuse_errno(s, errno);
	}
	/* Section 6: past the end is ERR 0, and the session goes on. */
	if (s->req.offset > (uint64_t)st.st_size) {
		r = session_refuse(s, ERR_UNDEFINED, "Offset %" PRIu64
		    " is past the end of the file (%jd bytes)", s->req.offset,
		    (intmax_t)st.st_size);
		goto out;
	}
	src.left = (uint64_t)st.st_size - s->req.offset;
	(void)posix_fadvise(src.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (session_xfer_params(s, &d, &xp) == -1) {
		r = session_refuse_errno(s, errno);
		goto out;
	}
	if (xp.digest != NULL && digestcache_get(&st, xp.digest->alg, hex)) {
		digest_known(&d, hex);
		log_debug("Digest known from the cache: nothing hashed");
	}
	if ((r = skip_prefix(s, &src, &xp)) != SERVE_NEXT)
		goto out;
	ann.size = src.left;
	ann.attrs = s->opts.stat;
	ann.mtime = st.st_mtime > 0 ? (uint64_t)st.st_mtime : 0;
	ann.mode = st.st_mode & OPT_MODE_MAX;
	if (s->opts.tsize && (r = session_announce(s, &ann)) != SERVE_NEXT)
		goto out;
	xp.size_hint = src.left;
	xfer_send(&s->conn, &xp, file_read, &src, &res);
	s->req.bytes = res.bytes;
	/* Hashed whole, and the file the same at the end as at the start. */
	if (res.status == XFER_OK && xp.digest != NULL && !d.known &&
	    fstat(src.fd, &after) == 0 && digestcache_same(&st, &after))
		digestcache_put(&st, d.alg, d.hex);
	r = pipeline_sent(s, &res);
out:
	digest_free(&d);
	close(src.fd);
	return r;
}
