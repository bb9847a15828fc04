/*
 * Whether one directory lies beneath another, decided by device and
 * inode while walking up with "..": the one question that the jail (an
 * upload's directory still inside DIR) and the spool (a staging directory
 * neither inside DIR nor around it) both ask, kept apart from both so
 * that neither includes the other.
 */
#ifndef DIRWALK_H
#define DIRWALK_H

#include <sys/stat.h>

/*
 * 1 when the directory fd is the directory top (by device and inode) or
 * beneath it, found by walking up with ".." from fd; 0 when the walk
 * reaches the root of the file system tree (or the chroot's) without
 * meeting it.  -1 with errno when a step cannot be taken (EACCES on the
 * way, say): the caller decides, and refuses.  Paths and their strings
 * are never compared: a bind mount or a link cannot fool it.
 */
int	dir_beneath(int fd, const struct stat *top);

#endif
