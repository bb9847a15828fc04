/*
 * DEL, RMD and RNM (docs/protocol.md, "Delete and rename"): the users
 * extension's requests, served only to a session with the delete right.
 * Each changes one directory entry with one system call, on descriptors
 * of the parent directories opened through the jail, and never follows
 * the last component: a symbolic link is removed or renamed itself,
 * never what it points to, wherever that is.  The directories are synced
 * before the ACK 0.  The answer is sent after the call, so a connection
 * that drops meanwhile cannot leave it half done; a kill can only come
 * before the call or after it.  A rename never replaces anything
 * (renameat2 with RENAME_NOREPLACE); on a file system without that flag
 * a file is linked under its new name, which fails rather than replace,
 * and then unlinked from the old one, as the spool publishes uploads
 * (spool.c); a directory, which cannot be linked, is not renamed there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "dirwalk.h"
#include "log.h"
#include "path.h"
#include "session.h"
#include "spool.h"
#include "testhook.h"
#include "text.h"

/* One end of a request: its parent directory, opened, and its name. */
struct entry {
	char parent[PATH_LEN_MAX + 1];
	const char *name;
	int dirfd;
};

static int	open_entry(struct session *, enum pkt_op, const char *,
		    size_t, struct entry *, enum serve_result *);
static enum serve_result refuse_entry(struct session *, enum pkt_op, int);
static enum serve_result answer(struct session *, const char *, int,
		    int);
static enum serve_result remove_entry(struct session *, enum pkt_op,
		    const char *, size_t);
static int	rename_by_link(const struct entry *, const struct entry *,
		    const struct stat *);
static enum serve_result rename_without_noreplace(struct session *,
		    const struct entry *, const struct entry *);

/*
 * The parent of path, opened beneath DIR and checked to be there still
 * (a local user may have moved it out since, and its descriptor with
 * it; Landlock refuses the change then anyway, where the kernel has it).
 * Returns 0, or -1 once the request is refused, with *r.
 */
static int
open_entry(struct session *s, enum pkt_op op, const char *path, size_t len,
    struct entry *e, enum serve_result *r)
{
	e->dirfd = session_open_parent(s, op, path, len, e->parent, &e->name,
	    r);
	if (e->dirfd == -1)
		return -1;
	if (jail_holds(s->jail, e->dirfd) == -1) {
		*r = session_refuse_errno(s, errno);
		close(e->dirfd);
		e->dirfd = -1;
		return -1;
	}
	return 0;
}

/* The refusals the generic table (session_refuse_errno) words wrongly. */
static enum serve_result
refuse_entry(struct session *s, enum pkt_op op, int err)
{
	switch (err) {
	case EISDIR:		/* DEL of a directory */
		return session_refuse(s, ERR_ACCESS, "Access violation: is a "
		    "directory");
	case ENOTDIR:		/* RMD of something else */
		return session_refuse(s, ERR_ACCESS, "Access violation: not "
		    "a directory");
	case ENOTEMPTY:
		return session_refuse(s, ERR_ACCESS, "Access violation: "
		    "directory not empty");
	case EEXIST:		/* rmdir(2) may say so of a full directory */
		if (op == PKT_RMD)
			return session_refuse(s, ERR_ACCESS, "Access "
			    "violation: directory not empty");
		break;
	case EBUSY:
		return session_refuse(s, ERR_ACCESS, "Access violation: in "
		    "use (a mount point)");
	case EXDEV:		/* RNM across mounts inside DIR */
		if (op == PKT_RNM)
			return session_refuse(s, ERR_ACCESS, "Access "
			    "violation: not on one file system");
		break;
	}
	return session_refuse_errno(s, err);
}

/*
 * The change is made: dirfd (and other, when not -1 and another
 * directory) synced, then ACK 0.  A sync that fails is said with ERR 0:
 * the change is visible but may not survive a crash.
 */
static enum serve_result
answer(struct session *s, const char *what, int dirfd, int other)
{
	struct stat a, b;
	enum conn_status cs;

	if (fsync(dirfd) == -1 || (other != -1 && fstat(dirfd, &a) == 0 &&
	    fstat(other, &b) == 0 && (a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino) && fsync(other) == -1))
		return session_refuse(s, ERR_UNDEFINED, "%s, but the "
		    "directory could not be synced: %s", what,
		    strerror(errno));
	if ((cs = conn_send_ack(&s->conn, 0)) != CONN_OK)
		return session_conn_failed(s, cs);
	return SERVE_NEXT;
}

static enum serve_result
remove_entry(struct session *s, enum pkt_op op, const char *path,
    size_t len)
{
	enum serve_result r;
	struct entry e;

	if (open_entry(s, op, path, len, &e, &r) == -1)
		return r;
	/* Never the last component followed: a link goes, not its target. */
	if (unlinkat(e.dirfd, e.name, op == PKT_RMD ? AT_REMOVEDIR : 0) == -1)
		r = refuse_entry(s, op, errno);
	else
		r = answer(s, "Removed", e.dirfd, -1);
	close(e.dirfd);
	return r;
}

enum serve_result
serve_delete(struct session *s, const char *path, size_t len)
{
	return remove_entry(s, PKT_DEL, path, len);
}

enum serve_result
serve_rmdir(struct session *s, const char *path, size_t len)
{
	return remove_entry(s, PKT_RMD, path, len);
}

/*
 * A rename as link, then unlink (no RENAME_NOREPLACE here): the link
 * never replaces (EEXIST), and the old name is taken away only while it
 * is still the file linked.  A kill between the two leaves the file
 * under both names, never under neither.  0, or -1 with errno.
 */
static int
rename_by_link(const struct entry *from, const struct entry *to,
    const struct stat *st)
{
	struct stat there;

	/* The same file under the new name already is no rename either. */
	if (fstatat(to->dirfd, to->name, &there, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (spool_link(from->dirfd, from->name, st, to->dirfd,
	    to->name) == -1)
		return -1;
	testhook_pause_rename();
	if (fstatat(from->dirfd, from->name, &there, AT_SYMLINK_NOFOLLOW) ==
	    0 && there.st_dev == st->st_dev && there.st_ino == st->st_ino)
		return unlinkat(from->dirfd, from->name, 0);
	return 0;	/* the old name went meanwhile, or is another file */
}

/*
 * renameat2 said EINVAL: a directory moved beneath itself, or a file
 * system without RENAME_NOREPLACE.
 */
static enum serve_result
rename_without_noreplace(struct session *s, const struct entry *from,
    const struct entry *to)
{
	struct stat st;

	if (fstatat(from->dirfd, from->name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return refuse_entry(s, PKT_RNM, errno);
	if (S_ISDIR(st.st_mode)) {
		if (dir_beneath(to->dirfd, &st) == 1)
			return session_refuse(s, ERR_ACCESS, "Access "
			    "violation: a directory cannot move beneath "
			    "itself");
		return session_refuse(s, ERR_ACCESS, "Access violation: this "
		    "file system cannot rename without replacing, and a "
		    "directory cannot be linked");
	}
	if (rename_by_link(from, to, &st) == -1)
		return refuse_entry(s, PKT_RNM, errno);
	return answer(s, "Renamed", to->dirfd, from->dirfd);
}

enum serve_result
serve_rename(struct session *s, const char *path, size_t len)
{
	char esc[PATH_LEN_MAX * 4 + 1];
	struct entry from, to;
	enum serve_result r;
	int rc, err;

	/* The request's own log line names only the old name. */
	text_escape(esc, sizeof(esc), s->req.to, s->req.tolen,
	    TEXT_UTF8 | TEXT_QUOTE);
	log_debug("RNM to \"%s\"", esc);
	if (open_entry(s, PKT_RNM, path, len, &from, &r) == -1)
		return r;
	if (open_entry(s, PKT_RNM, s->req.to, s->req.tolen, &to, &r) == -1) {
		close(from.dirfd);
		return r;
	}
	if (testhook_no_noreplace()) {
		rc = -1;
		errno = EINVAL;
	} else
		rc = renameat2(from.dirfd, from.name, to.dirfd, to.name,
		    RENAME_NOREPLACE);
	err = errno;
	if (rc == 0)
		r = answer(s, "Renamed", to.dirfd, from.dirfd);
	else if (err == EINVAL)
		r = rename_without_noreplace(s, &from, &to);
	else
		r = refuse_entry(s, PKT_RNM, err);
	close(from.dirfd);
	close(to.dirfd);
	return r;
}
