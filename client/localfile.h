/*
 * Local files for transfers: a download is written where no one sees it
 * and appears under its name only when complete, never over an existing
 * file unless forced (interface.md); an upload reads a regular file.
 */
#ifndef LOCALFILE_H
#define LOCALFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct local_sink {
	int fd;
	int dirfd;
	int force;
	int unnamed;			/* O_TMPFILE: no name until linked */
	char name[256];			/* the target, in dirfd */
	char tmpname[300];		/* the named temporary, if not unnamed */
};

/*
 * Prepares a download into path.  Refuses an existing path unless force.
 * Returns 0, or -1 with a reason in why.
 */
int	local_sink_open(struct local_sink *ls, const char *path, int force,
	    char *why, size_t whylen);
/* xfer_write_fn and xfer_finish_fn: finish puts the file in place. */
int	local_sink_write(void *ctx, const void *buf, size_t len);
int	local_sink_finish(void *ctx);
/* Closes; after a failed transfer nothing is left behind. */
void	local_sink_close(struct local_sink *ls);

struct local_source {
	int fd;
	uint64_t size;
};

/* Opens a regular file for upload.  0, or -1 with a reason. */
int	local_source_open(struct local_source *src, const char *path,
	    char *why, size_t whylen);
/* xfer_read_fn. */
ssize_t	local_source_read(void *ctx, void *buf, size_t len);
void	local_source_close(struct local_source *src);

#endif
