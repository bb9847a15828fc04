/*
 * The errno-to-ERR table (see errno_map.h).
 */
#include <errno.h>
#include <stddef.h>

#include "errno_map.h"
#include "packet.h"

#define BOTH	(ERRNO_OPENING | ERRNO_WRITING)

static const struct errno_row rows[] = {
	/* The name does not lead to a file. */
	{ ENOENT, ERRNO_OPENING, ERR_NOT_FOUND, "File not found" },
	{ ENOTDIR, ERRNO_OPENING, ERR_NOT_FOUND, "File not found" },
	/* A resolution refused on its way out of the served tree. */
	{ EXDEV, ERRNO_OPENING, ERR_ACCESS,
	    "Access violation: outside the served directory" },
	/* An upload's directory moved out of the served tree meanwhile. */
	{ EXDEV, ERRNO_WRITING, ERR_ACCESS,
	    "Access violation: the directory left the served directory" },
	{ ELOOP, ERRNO_OPENING, ERR_ACCESS,
	    "Access violation: outside the served directory" },
	{ ENAMETOOLONG, ERRNO_OPENING, ERR_BAD_NAME,
	    "Bad file name: too long" },
	/* A name taken, before the upload or by another at its end. */
	{ EEXIST, BOTH, ERR_EXISTS, "File already exists" },
	{ ENOSPC, BOTH, ERR_DISK_FULL, "Disk full" },
	{ EDQUOT, BOTH, ERR_DISK_FULL, "Disk full" },
	/* The file-size limit (RLIMIT_FSIZE) reached. */
	{ EFBIG, ERRNO_WRITING, ERR_DISK_FULL, "Upload size limit exceeded" },
};

const struct errno_row *
errno_map(int errnum, enum errno_when when)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].errnum == errnum && (rows[i].when & when) != 0)
			return &rows[i];
	return NULL;
}
