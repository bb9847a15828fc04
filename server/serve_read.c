/*
 * RRQ: a download (protocol.md section 4).  Regular files only; the file
 * is opened without blocking, so a FIFO or device can never hang the
 * child, and is sent as it was when opened: exactly the size announced.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

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

enum serve_result
serve_read(struct session *s, const char *path, size_t len)
{
	struct file_source src;
	struct xfer_params xp;
	struct xfer_result res;
	enum path_status ps;
	enum serve_result r;
	struct stat st;

	if (len == 0)		/* section 4: an empty RRQ lists the root */
		return serve_list(s, path, len);
	if ((ps = path_check(path, len)) != PATH_OK)
		return session_refuse(s, ERR_BAD_NAME, "Bad file name: %s",
		    path_status_str(ps));
	src.fd = jail_openat(s->jail, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (src.fd == -1)
		return session_refuse_errno(s, errno);
	if (fstat(src.fd, &st) == -1) {
		r = session_refuse_errno(s, errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = session_refuse(s, ERR_ACCESS,
		    "Access violation: not a regular file");
		goto out;
	}
	src.left = (uint64_t)st.st_size;
	(void)posix_fadvise(src.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (s->opts.tsize &&
	    (r = session_announce_size(s, src.left)) != SERVE_NEXT)
		goto out;
	session_xfer_params(s, &xp);
	xp.size_hint = (uint64_t)st.st_size;
	xfer_send(&s->conn, &xp, file_read, &src, &res);
	s->req.bytes = res.bytes;
	r = session_xfer_failed(s, &res);
out:
	close(src.fd);
	return r;
}
