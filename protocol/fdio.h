/*
 * Gathered writes to a local descriptor, whole: what a transfer's sink
 * does with the pieces the engine hands it (xfer.h, xfer_write_fn).  The
 * socket's side is conn's, which shares the stepping through a gather
 * list (fdio_iov_consume); the rest is the file's.
 */
#ifndef FDIO_H
#define FDIO_H

#include <stddef.h>
#include <sys/uio.h>

/* The bytes iov[0..iovcnt) holds. */
size_t	fdio_iov_len(const struct iovec *iov, int iovcnt);

/*
 * Steps *iov and *iovcnt past done bytes that a gathered write took (at
 * most what they hold), shortening the piece it ended in: what is left
 * to write, for the next call.
 */
void	fdio_iov_consume(struct iovec **iov, int *iovcnt, size_t done);

/*
 * Writes every byte of iov[0..iovcnt) to fd, as few writev(2) calls as
 * the kernel allows: a short write or EINTR is continued, not reported.
 * The array is changed as it goes.  Returns 0, or -1 with errno set
 * (ENOSPC, EFBIG, EIO ...): then some of the bytes may have been written.
 */
int	fdio_writev(int fd, struct iovec *iov, int iovcnt);

#endif
