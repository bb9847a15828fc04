/*
 * The client's limits on local things, in one place (style.md section
 * 1): paths and names of the local file system, and the lines that say
 * why something failed.  The protocol's limits are proto_limits.h's.
 */
#ifndef LOCAL_LIMITS_H
#define LOCAL_LIMITS_H

#include <limits.h>

/* A local path with its NUL: the kernel's PATH_MAX (4096 on Linux). */
#define LOCAL_PATH_SIZE		PATH_MAX

/* A local file's name in its directory, with its NUL. */
#define LOCAL_NAME_SIZE		(NAME_MAX + 1)

/* A temporary beside it: a dot, the name, a process ID and ".part". */
#define LOCAL_TMPNAME_SIZE	(LOCAL_NAME_SIZE + 44)

/*
 * Names one command takes from a server's listings: those of one
 * pattern's expansion, or of a whole get -r tree.  Each is a request
 * path of at most PATH_LEN_MAX bytes, so a hostile server's endless
 * listing or endless tree holds at most about 64 MiB of the client's
 * memory, and a tree creates at most this many local entries.
 */
#define LOCAL_ENTRIES_MAX	65536

/*
 * A tree's downloads stop before the local file system runs out of
 * inodes: a hundredth of them, at most this many, are left to spare.
 */
#define LOCAL_INODE_RESERVE_MAX	65536

/*
 * How deep get -r and put -r go.  The server shows a link to a directory
 * as the directory, so a link to an ancestor makes a remote tree
 * endless; this bounds it (README, "Choices").
 */
#define TREE_DEPTH_MAX		64

/* A reason that names a local path: the path and a few words. */
#define LOCAL_WHY_SIZE		(LOCAL_PATH_SIZE + 104)

/* The reason a request failed, the server's escaped message included. */
#define REMOTE_WHY_SIZE		2048

#endif
