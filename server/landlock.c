/*
 * Landlock for every child (see landlock.h).
 *
 * What it guarantees: once a child has called landlock_confine, no file
 * outside the served directory can be opened, created, linked, removed
 * or executed by it, whatever path, descriptor trick or bug in our own
 * code it tries — for root children without -u too, where there is no
 * chroot and the process keeps root's privileges.  Inside the directory
 * it may read files and directories, write the files it creates, create
 * regular files and directories, remove and link files (the spool of
 * other engineers' work moves files with linkat and unlinkat), remove
 * empty directories and move symbolic links (a user's RMD and RNM,
 * serve_entries.c); never make a symbolic link anew (the seccomp filter
 * has no symlinkat), nor a FIFO, socket or device, execute, or issue a
 * device ioctl.  From ABI 4 it may not bind or
 * connect a TCP socket either, and from ABI 6 it may not signal a
 * process outside its own domain nor connect to an abstract UNIX socket.
 *
 * Descriptors already open (its socket, the log) are not affected; that
 * is what Landlock guarantees and what the child needs.
 *
 * The kernel's ABI decides what can be asked: each right is asked for
 * only where the ABI knows it, and a kernel without Landlock (or with it
 * disabled) gets no ruleset at all and refuses nothing: the chroot (-u),
 * openat2's RESOLVE_BENEATH and the seccomp filter still hold.  The ABI
 * in force is logged at start-up.  The headers of an older system lack
 * the newer constants, so they are defined here from the kernel's ABI.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/landlock.h>
#include <sys/syscall.h>

#include "landlock.h"
#include "rights.h"
#include "testhook.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER	(1ULL << 13)	/* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP	(1ULL << 0)	/* ABI 4 */
#define LANDLOCK_ACCESS_NET_CONNECT_TCP	(1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET	(1ULL << 0)	/* ABI 6 */
#define LANDLOCK_SCOPE_SIGNAL		(1ULL << 1)
#endif

/* The kernel's struct, whole: each ABI reads a longer prefix of it. */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;	/* ABI 4 */
	uint64_t scoped;		/* ABI 6 */
};

/* Every file-system right of ABI 1. */
#define FS_ABI1	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |	\
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |	\
	LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |	\
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |	\
	LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |	\
	LANDLOCK_ACCESS_FS_MAKE_SYM)

/* What a session does beneath the served directory. */
#define FS_ALLOWED (LANDLOCK_ACCESS_FS_READ_FILE |			\
	LANDLOCK_ACCESS_FS_READ_DIR |	/* listings */			\
	LANDLOCK_ACCESS_FS_WRITE_FILE |	/* an upload's O_TMPFILE */	\
	LANDLOCK_ACCESS_FS_MAKE_REG |	/* O_TMPFILE, its linkat */	\
	LANDLOCK_ACCESS_FS_MAKE_DIR |	/* MKD */			\
	LANDLOCK_ACCESS_FS_REMOVE_FILE | /* a link taken back; spool; DEL */ \
	LANDLOCK_ACCESS_FS_REMOVE_DIR |	/* RMD; RNM of a directory */	\
	LANDLOCK_ACCESS_FS_MAKE_SYM |	/* RNM of a link; no symlinkat */ \
	LANDLOCK_ACCESS_FS_REFER |	/* linkat from the spool; RNM */ \
	LANDLOCK_ACCESS_FS_TRUNCATE)	/* a spool file reused */

/*
 * A user's layer (--users): what each right needs beneath the user's
 * root.  Directories are opened to be read (READ_DIR) by every request,
 * a listing's or a parent's.  An upload writes an O_TMPFILE and links it
 * (from the spool: REFER); a rename (delete) makes its new name as an
 * upload would, and moves it (REFER); a symbolic link's new name is a
 * link made (MAKE_SYM; the seccomp filter has no symlinkat, so none is
 * ever made anew).  A user without delete has neither
 * REMOVE right: not even a name taken back after a failed directory
 * sync (serve_write.c) — that upload stays, as on a crash after its
 * link.
 */
#define USER_READ	(LANDLOCK_ACCESS_FS_READ_FILE |			\
	LANDLOCK_ACCESS_FS_READ_DIR)
#define USER_WRITE	(LANDLOCK_ACCESS_FS_READ_DIR |			\
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG |	\
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_REFER |	\
	LANDLOCK_ACCESS_FS_TRUNCATE)
#define USER_DELETE	(LANDLOCK_ACCESS_FS_READ_DIR |			\
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |	\
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_DIR |	\
	LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER)

static int	create_ruleset(const struct ruleset_attr *, size_t, uint32_t);
static uint64_t	handled_fs(int);
static int	add_beneath(int, int, uint64_t);

/* Every file-system right the ABI knows: all are handled, most denied. */
static uint64_t
handled_fs(int abi)
{
	uint64_t fs = FS_ABI1;

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

/* One rule: access beneath the directory dirfd.  0, or -1 with errno. */
static int
add_beneath(int rfd, int dirfd, uint64_t access)
{
	struct landlock_path_beneath_attr beneath;

	memset(&beneath, 0, sizeof(beneath));
	beneath.parent_fd = dirfd;
	beneath.allowed_access = access;
	return (int)syscall(SYS_landlock_add_rule, rfd,
	    LANDLOCK_RULE_PATH_BENEATH, &beneath, 0);
}

static int
create_ruleset(const struct ruleset_attr *attr, size_t size, uint32_t flags)
{
	if (testhook_no_landlock()) {
		errno = EOPNOTSUPP;	/* what a kernel with it off says */
		return -1;
	}
	return (int)syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

int
landlock_abi(void)
{
	int abi = create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi > 0 ? abi : 0;
}

/*
 * The ruleset is built once, by the parent at start-up: each child then
 * only calls landlock_restrict_self, about a third of the cost of
 * building it again (issue 14: work moved before the fork).  It is a
 * descriptor every child inherits and closes once it is confined.
 */
static int ruleset_fd = -1;

int
landlock_prepare(const int *dirfds, size_t n, char *why, size_t whylen)
{
	struct ruleset_attr attr;
	size_t size = sizeof(attr.handled_access_fs), i;
	int abi = landlock_abi(), rfd, saved;

	if (abi == 0)
		return 0;	/* no Landlock here: nothing to refuse */
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled_fs(abi);
	if (abi >= 4) {
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP |
		    LANDLOCK_ACCESS_NET_CONNECT_TCP;
		size = offsetof(struct ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET |
		    LANDLOCK_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	/* Close-on-exec, as every Landlock descriptor is. */
	if ((rfd = create_ruleset(&attr, size, 0)) == -1) {
		snprintf(why, whylen, "landlock_create_ruleset: %s",
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (add_beneath(rfd, dirfds[i], FS_ALLOWED &
		    attr.handled_access_fs) == -1) {
			saved = errno;
			snprintf(why, whylen, "landlock: %s", strerror(saved));
			close(rfd);
			errno = saved;
			return -1;
		}
	}
	/* No network rule: with ABI 4, no TCP bind or connect at all. */
	ruleset_fd = rfd;
	return 0;
}

int
landlock_fd(void)
{
	return ruleset_fd;
}

int
landlock_confine(char *why, size_t whylen)
{
	int rc;

	if (ruleset_fd == -1)
		return 0;	/* no Landlock here: nothing to refuse */
	rc = (int)syscall(SYS_landlock_restrict_self, ruleset_fd, 0);
	if (rc == -1)
		snprintf(why, whylen, "landlock: %s", strerror(errno));
	close(ruleset_fd);
	ruleset_fd = -1;
	return rc;
}

int
landlock_confine_user(int rootfd, int spoolfd, int partsfd, unsigned rights,
    char *why, size_t whylen)
{
	struct ruleset_attr attr;
	uint64_t access = 0;
	int abi = landlock_abi(), rfd, rc;

	if (abi == 0)
		return 0;	/* no Landlock here: the code's checks hold */
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled_fs(abi);
	if (rights & RIGHT_READ)
		access |= USER_READ;
	if (rights & RIGHT_WRITE)
		access |= USER_WRITE;
	if (rights & RIGHT_DELETE)
		access |= USER_DELETE;
	access &= attr.handled_access_fs;
	if ((rfd = create_ruleset(&attr, sizeof(attr.handled_access_fs),
	    0)) == -1) {
		snprintf(why, whylen, "landlock_create_ruleset: %s",
		    strerror(errno));
		return -1;
	}
	/* No rule for a user without rights: nothing at all is allowed. */
	rc = access != 0 ? add_beneath(rfd, rootfd, access) : 0;
	/*
	 * The spool is the uploads' staging place, and the parts directory
	 * keeps resumable uploads: the writers' only.
	 */
	if (rc == 0 && spoolfd != -1 && (rights & RIGHT_WRITE))
		rc = add_beneath(rfd, spoolfd, FS_ALLOWED &
		    attr.handled_access_fs);
	if (rc == 0 && partsfd != -1 && (rights & RIGHT_WRITE))
		rc = add_beneath(rfd, partsfd, FS_ALLOWED &
		    attr.handled_access_fs);
	if (rc == 0)
		rc = (int)syscall(SYS_landlock_restrict_self, rfd, 0);
	if (rc == -1)
		snprintf(why, whylen, "landlock: %s", strerror(errno));
	close(rfd);
	return rc;
}

