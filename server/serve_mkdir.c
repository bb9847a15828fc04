/*
 * MKD: make one directory (protocol.md section 4).  Its parent must
 * exist; nothing that exists is touched; the new entry is made durable
 * before the ACK, and a directory, unlike an upload, appears at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include "path.h"
#include "session.h"
#include "testhook.h"

#define MKD_MODE	0755

enum serve_result
serve_mkdir(struct session *s, const char *path, size_t len)
{
	char parent[PATH_LEN_MAX + 1];
	enum conn_status cs;
	enum serve_result r;
	const char *name;
	int dirfd, fd;

	dirfd = session_open_parent(s, PKT_MKD, path, len, parent, &name, &r);
	if (dirfd == -1)
		return r;
	testhook_pause_mkdir();
	if (mkdirat(dirfd, name, MKD_MODE) == -1) {
		r = session_refuse_errno(s, errno);
		goto out;
	}
	/*
	 * 0755 whatever the umask.  Through a descriptor opened without
	 * following links, so a name swapped for a link meanwhile is never
	 * chmod'ed through it.
	 */
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	/*
	 * The parent may have been moved out of DIR since it was opened,
	 * and the descriptor went with it (as for uploads, serve_write.c):
	 * without Landlock the directory was made out there, and is taken
	 * back.
	 */
	if (fd == -1 || jail_holds(s->jail, dirfd) == -1 ||
	    fchmod(fd, MKD_MODE) == -1 || fsync(dirfd) == -1) {
		int err = errno;

		/* Refused means not made: take it back. */
		(void)unlinkat(dirfd, name, AT_REMOVEDIR);
		r = session_refuse_errno(s, err);
		if (fd != -1)
			close(fd);
		goto out;
	}
	close(fd);
	if ((cs = conn_send_ack(&s->conn, 0)) != CONN_OK)
		r = session_conn_failed(s, cs);
	else
		r = SERVE_NEXT;
out:
	close(dirfd);
	return r;
}
