/*
 * Directories beneath directories (see dirwalk.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "dirwalk.h"

#define DEPTH_MAX	(PATH_MAX / 2)	/* "a/" each: no deeper tree exists */

int
dir_beneath(int fd, const struct stat *top)
{
	struct stat st, up;
	int cur, next, depth, rc = 0, saved;

	if ((cur = openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(cur, &st) == -1)
		goto fail;
	for (depth = 0; depth < DEPTH_MAX; depth++) {
		if (st.st_dev == top->st_dev && st.st_ino == top->st_ino) {
			rc = 1;
			break;
		}
		if ((next = openat(cur, "..", O_PATH | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			goto fail;
		close(cur);
		cur = next;
		if (fstat(cur, &up) == -1)
			goto fail;
		/* The root is its own parent: nowhere further up. */
		if (up.st_dev == st.st_dev && up.st_ino == st.st_ino)
			break;
		st = up;
	}
	close(cur);
	return rc;
fail:
	saved = errno;
	close(cur);
	errno = saved;
	return -1;
}
