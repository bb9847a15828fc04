/*
 * WRQ: an upload (protocol.md section 5).  The data goes to an unnamed
 * O_TMPFILE in the target directory, so an upload in flight is never a
 * directory entry and a killed child leaves nothing.  At the end it is
 * synced, then linked under its name with linkat, which fails rather than
 * replace a file that appeared meanwhile, and the directory is synced:
 * all before the last ACK.  Where the file system has no O_TMPFILE, the
 * upload is staged in the spool instead (-s, server/spool.c) and linked
 * from there.  A resumable upload (docs/protocol.md, "Resumable uploads")
 * is staged in its part (--parts, server/parts.c), which outlives the
 * session, and is linked from there once whole and verified.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "digestcache.h"
#include "fdio.h"
#include "hashslot.h"
#include "options.h"
#include "path.h"
#include "session.h"
#include "testhook.h"

/*
 * Writeback is started every WRITEBACK_CHUNK bytes, and the chunk before
 * waited for, so the disk works while the network does and the final
 * fsync finds little left to do (issue 5).
 */
#define WRITEBACK_CHUNK	(8 * 1024 * 1024)

struct upload {
	const struct jail *jail;
	int dirfd, fd;
	const char *name;		/* the last component */
	int stagefd;			/* the spool's or the parts' directory */
	char stage_name[SPOOL_NAME_MAX];	/* staged there, or "" */
	/* written and flushed count from the file's start (a part's too). */
	uint64_t written, limit;
	uint64_t flushed;		/* writeback started up to here */
	int has_limit;
	int has_mtime;			/* the mtime option came with it */
	struct timespec mtime;
	int resumed;			/* a part: limit is its exact size */
};

static int	upload_write(void *, struct iovec *, int);
static int	upload_finish(void *);
static int	link_tmpfile(const struct upload *);
static int	publish(struct upload *);
static void	take_back(const struct upload *);
static void	start_writeback(struct upload *);
static int	upload_begin(struct session *, struct upload *,
		    enum serve_result *);
static int	resume_begin(struct session *, struct upload *,
		    enum serve_result *);
static enum serve_result resume_answer(struct session *, struct upload *,
		    struct digest *);
static enum serve_result upload_received(struct session *,
		    struct upload *, const struct xfer_result *);

/* Only a hint: the fsync at the end is what makes the data durable. */
static void
start_writeback(struct upload *u)
{
	while (u->written - u->flushed >= WRITEBACK_CHUNK) {
		(void)sync_file_range(u->fd, (off_t)u->flushed,
		    WRITEBACK_CHUNK, SYNC_FILE_RANGE_WRITE);
		if (u->flushed >= WRITEBACK_CHUNK)
			(void)sync_file_range(u->fd,
			    (off_t)(u->flushed - WRITEBACK_CHUNK),
			    WRITEBACK_CHUNK, SYNC_FILE_RANGE_WAIT_BEFORE |
			    SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
		u->flushed += WRITEBACK_CHUNK;
	}
}

static int
upload_write(void *ctx, struct iovec *iov, int iovcnt)
{
	struct upload *u = ctx;
	size_t len = fdio_iov_len(iov, iovcnt);

	if (u->has_limit && len > u->limit - u->written) {
		errno = EFBIG;
		return -1;
	}
	if (fdio_writev(u->fd, iov, iovcnt) == -1)
		return -1;
	u->written += len;
	start_writeback(u);
	return 0;
}

/*
 * linkat with AT_EMPTY_PATH links the O_TMPFILE itself: always for root,
 * and since Linux 6.10 for anyone who opened the file with the same
 * credentials, as the child did.  An older kernel refuses an unprivileged
 * caller with ENOENT; then the file is linked through its /proc/self/fd
 * link: by path outside a chroot, and in the -u chroot through the /proc
 * that jail_confine kept for exactly this case (only before 6.10: from
 * then on no descriptor leading outside DIR reaches a child, issue 13
 * finding 5).
 */
static int
link_tmpfile(const struct upload *u)
{
	const struct jail *j = u->jail;
	char proc_path[64];

	if (testhook_old_kernel())
		errno = ENOENT;		/* what Linux before 6.10 says */
	else if (linkat(u->fd, "", u->dirfd, u->name, AT_EMPTY_PATH) == 0)
		return 0;
	if ((errno != ENOENT && errno != EPERM) ||
	    (j->confined && j->procfd == -1))
		return -1;
	snprintf(proc_path, sizeof(proc_path), "%sself/fd/%d",
	    j->procfd != -1 ? "" : "/proc/", u->fd);
	return linkat(j->procfd != -1 ? j->procfd : AT_FDCWD, proc_path,
	    u->dirfd, u->name, AT_SYMLINK_FOLLOW);
}

int
serve_write_link(const struct jail *j, int fd, int dirfd, const char *name)
{
	struct upload u;

	memset(&u, 0, sizeof(u));
	u.jail = j;
	u.fd = fd;
	u.dirfd = dirfd;
	u.name = name;
	return link_tmpfile(&u);
}

/* Removes the staged file's name, if any, and empties it. */
static void
unstage(struct upload *u)
{
	if (u->stage_name[0] == '\0')
		return;
	(void)unlinkat(u->stagefd, u->stage_name, 0);
	u->stage_name[0] = '\0';
}

/*
 * Links the upload under its name; a staged one leaves the spool or the
 * parts (a part is never resumed once linked: parts_take).
 */
static int
publish(struct upload *u)
{
	int rc, saved;

	if (u->stage_name[0] == '\0')
		return link_tmpfile(u);
	rc = spool_publish(u->stagefd, u->stage_name, u->fd, u->dirfd,
	    u->name);
	saved = errno;
	unstage(u);
	errno = saved;
	return rc;
}

/* Removes the name just linked, if it is still the upload's own. */
static void
take_back(const struct upload *u)
{
	struct stat ours, there;

	if (fstat(u->fd, &ours) == 0 && fstatat(u->dirfd, u->name, &there,
	    AT_SYMLINK_NOFOLLOW) == 0 && ours.st_dev == there.st_dev &&
	    ours.st_ino == there.st_ino)
		(void)unlinkat(u->dirfd, u->name, 0);
}

/*
 * The mtime option: set once the last byte is written (a write would
 * move it), before the file is synced and named.  The kernel clamps a
 * time past what the file system can hold.
 */
static int
apply_mtime(const struct upload *u)
{
	struct timespec times[2];

	if (!u->has_mtime)
		return 0;
	times[0].tv_sec = 0;
	times[0].tv_nsec = UTIME_OMIT;		/* the access time is ours */
	times[1] = u->mtime;
	return futimens(u->fd, times);
}

static int
upload_finish(void *ctx)
{
	struct upload *u = ctx;
	int saved;

	/* A part must end exactly at the size its resume announced. */
	if (u->resumed && u->written != u->limit) {
		errno = EMSGSIZE;
		return -1;
	}
	if (apply_mtime(u) == -1)
		return -1;

	/*
	 * The directory was opened through the jail, but may have been
	 * moved out of DIR since (issue 25, finding 4a): Landlock, where
	 * the kernel has it, refuses the link out there, and without it
	 * nothing else would, root or -u (a chroot does not hold a
	 * descriptor).  So the publication asks first, and once more after
	 * the link: a directory moved out between the check and the link
	 * would hold the file out there.  Its name is then taken back and
	 * the upload refused; for that moment it was visible out there.
	 */
	if (fsync(u->fd) == -1 || jail_holds(u->jail, u->dirfd) == -1 ||
	    publish(u) == -1)
		return -1;
	if (jail_holds(u->jail, u->dirfd) == -1) {
		saved = errno;
		take_back(u);
		errno = saved;
		return -1;
	}
	/* The name is there; make it durable too, or take it back. */
	if (fsync(u->dirfd) == -1) {
		saved = errno;
		(void)unlinkat(u->dirfd, u->name, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

/*
 * The upload's file, where no request can see it: the name must be free
 * (anything under it, a dangling link too, is ERR 6), then an O_TMPFILE
 * in the directory, or a file in the spool.  0, or -1 once the request
 * has been refused, with *r saying how the session goes on.
 */
static int
upload_begin(struct session *s, struct upload *u, enum serve_result *r)
{
	struct stat st;

	/* Anything at all under the name, a dangling link too: ERR 6. */
	if (fstatat(u->dirfd, u->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		*r = session_refuse(s, ERR_EXISTS, "File already exists");
		return -1;
	}
	if (errno != ENOENT) {
		*r = session_refuse_errno(s, errno);
		return -1;
	}
	if (s->req.resume)
		return resume_begin(s, u, r);
	u->fd = openat(u->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (u->fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR) &&
	    s->jail->spool.fd != -1) {
		u->stagefd = s->jail->spool.fd;
		u->fd = spool_create(&s->jail->spool, u->stage_name,
		    sizeof(u->stage_name));
	}
	if (u->fd == -1) {
		if (errno == EOPNOTSUPP || errno == EISDIR)
			*r = session_refuse(s, ERR_ACCESS, "Access violation: "
			    "uploads are not supported on this file system");
		else
			*r = session_refuse_errno(s, errno);
		return -1;
	}
	/*
	 * Mode 0644 whatever the umask, or the mode option's (serve_opt
	 * kept it within SERVER_UPLOAD_MODE_MASK: never set-id).
	 */
	if (fchmod(u->fd, (s->req.attrs & OPT_MODE) ? (mode_t)s->req.mode :
	    0644) == -1) {
		*r = session_refuse_errno(s, errno);
		return -1;
	}
	return 0;
}

/*
 * A resumable WRQ: the part this client keeps for this path and size,
 * taken (or made empty), and the upload set to write on from its end.
 * 0, or -1 once the request has been refused (*r).
 */
static int
resume_begin(struct session *s, struct upload *u, enum serve_result *r)
{
	const struct parts *p = &s->jail->parts;
	uint64_t size = s->req.resume_size;
	struct stat st;

	if (s->cfg->has_max_upload && size > s->cfg->max_upload) {
		*r = session_refuse(s, ERR_DISK_FULL,
		    "Upload size limit exceeded");
		return -1;
	}
	u->stagefd = p->fd;
	u->fd = parts_take(p, session_client_id(s), s->req.path, size,
	    u->stage_name, s->cfg->timeout);
	if (u->fd == -1) {
		if (errno == EBUSY)
			*r = session_refuse(s, ERR_UNDEFINED, "This upload is "
			    "in progress in another session");
		else if (errno == EDQUOT)
			*r = session_refuse(s, ERR_DISK_FULL, "Disk full: no "
			    "room for another resumable upload");
		else
			*r = session_refuse_errno(s, errno);
		return -1;
	}
	u->resumed = 1;
	u->has_limit = 1;
	u->limit = size;
	/* More than announced cannot be: a part of another size is another. */
	if (fstat(u->fd, &st) == -1 || ((uint64_t)st.st_size > size &&
	    ftruncate(u->fd, 0) == -1)) {
		*r = session_refuse_errno(s, errno);
		return -1;
	}
	u->written = (uint64_t)st.st_size > size ? 0 : (uint64_t)st.st_size;
	u->flushed = u->written - u->written % WRITEBACK_CHUNK;
	return 0;
}

/*
 * The answer to a resumable WRQ, in place of ACK 0: the part so far is
 * hashed (the SUM covers the whole file), and OACK offset says where the
 * client goes on.  SERVE_NEXT to receive, anything else once answered.
 */
static enum serve_result
resume_answer(struct session *s, struct upload *u, struct digest *d)
{
	uint8_t buf[PKT_OPCODE_LEN + OPT_BODY_MAX];
	enum conn_status cs;
	ssize_t len;

	/* As a resumed download's prefix: a slot for a large one. */
	if (hashslot_take(u->written, s->cfg->timeout) == -1)
		return session_abort(s, ERR_BUSY, "Server busy: too many "
		    "resumed transfers being verified");
	if (lseek(u->fd, 0, SEEK_SET) == -1 ||
	    session_hash_prefix(u->fd, u->written, d) == -1) {
		hashslot_release();
		return session_refuse_errno(s, errno);
	}
	hashslot_release();
	if ((len = opts_encode_held(buf, sizeof(buf), u->written)) == -1)
		return SERVE_CLOSE;
	if ((cs = conn_send(&s->conn, buf, (size_t)len)) != CONN_OK)
		return session_conn_failed(s, cs);
	return SERVE_NEXT;
}

/*
 * What a received upload earns.  A part keeps what it holds when the
 * transfer fails, to be resumed, but not when its whole did not match
 * the SUM: then it is wrong somewhere, and dropped.
 */
static enum serve_result
upload_received(struct session *s, struct upload *u,
    const struct xfer_result *res)
{
	if (!u->resumed)
		return pipeline_received(s, res);
	if (res->status == XFER_INTEGRITY)
		parts_drop(&s->jail->parts, u->stage_name);
	if (res->status == XFER_SINK && res->sys_errno == EMSGSIZE)
		return session_abort(s, ERR_ILLEGAL, "Illegal operation: the "
		    "upload is shorter than its resume size");
	return session_xfer_failed(s, res);
}

enum serve_result
serve_write(struct session *s, const char *path, size_t len)
{
	char parent[PATH_LEN_MAX + 1];
	struct upload u;
	struct digest d;
	struct xfer_params xp;
	struct xfer_result res;
	enum conn_status cs;
	enum serve_result r;
	struct stat st;
	int hold;

	memset(&u, 0, sizeof(u));
	memset(&d, 0, sizeof(d));
	u.jail = s->jail;
	u.fd = -1;
	u.stagefd = -1;
	u.has_limit = s->cfg->has_max_upload;
	u.limit = s->cfg->max_upload;
	u.has_mtime = (s->req.attrs & OPT_MTIME) != 0;
	u.mtime.tv_sec = (time_t)s->req.mtime;
	u.dirfd = session_open_parent(s, PKT_WRQ, path, len, parent, &u.name,
	    &r);
	if (u.dirfd == -1)
		return r;
	if (upload_begin(s, &u, &r) == -1)
		goto out;
	if (session_xfer_params(s, &d, &xp) == -1) {
		r = session_refuse_errno(s, errno);
		goto out;
	}
	/* Pipelined, the data follows the WRQ unasked. */
	if (u.resumed) {
		if ((r = resume_answer(s, &u, &d)) != SERVE_NEXT)
			goto out;
	} else if (!xp.pipelined &&
	    (cs = conn_send_ack(&s->conn, 0)) != CONN_OK) {
		r = session_conn_failed(s, cs);
		goto out;
	}
	s->req.upload_read = 1;
	/*
	 * With a digest, the engine checks the SUM before upload_finish
	 * links the file in: a mismatch leaves nothing (section 6).
	 * Pipelined, an upload that is no spool's is held instead, to be
	 * synced with the next ones and published with them.
	 */
	hold = xp.pipelined && u.stage_name[0] == '\0';
	xfer_recv(&s->conn, &xp, NULL, upload_write, hold ? NULL :
	    upload_finish, &u, &res);
	s->req.bytes = res.bytes;
	if (hold && res.status == XFER_OK && apply_mtime(&u) == -1)
		r = session_abort(s, ERR_UNDEFINED, "Write error: %s",
		    strerror(errno));
	else if (hold && res.status == XFER_OK)
		r = pipeline_hold(s, &u.fd, &u.dirfd, u.name,
		    res.final_block);
	else
		r = upload_received(s, &u, &res);
	/* Published and verified: its digest is known (digestcache.h). */
	if (!hold && res.status == XFER_OK && xp.digest != NULL &&
	    fstat(u.fd, &st) == 0)
		digestcache_put(&st, d.alg, d.hex);
out:
	digest_free(&d);
	if (u.fd != -1)
		close(u.fd);	/* unlinked, it vanishes; a part's lock ends */
	if (!u.resumed)
		unstage(&u);	/* staged in the spool: removed */
	if (u.dirfd != -1)
		close(u.dirfd);
	return r;
}
