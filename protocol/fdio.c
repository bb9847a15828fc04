/*
 * Gathered writes to a local descriptor (see fdio.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>

#include "fdio.h"

size_t
fdio_iov_len(const struct iovec *iov, int iovcnt)
{
	size_t len = 0;
	int i;

	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	return len;
}

void
fdio_iov_consume(struct iovec **iov, int *iovcnt, size_t done)
{
	while (*iovcnt > 0 && done >= (*iov)->iov_len) {
		done -= (*iov)->iov_len;
		(*iov)++;
		(*iovcnt)--;
	}
	if (*iovcnt > 0) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + done;
		(*iov)->iov_len -= done;
	}
}

int
fdio_writev(int fd, struct iovec *iov, int iovcnt)
{
	ssize_t n;

	while (iovcnt > 0) {
		if (iov->iov_len == 0) {
			iov++;
			iovcnt--;
			continue;
		}
		/* More than IOV_MAX pieces go in turns. */
		n = writev(fd, iov, iovcnt > IOV_MAX ? IOV_MAX : iovcnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;	/* no progress: never loop on it */
			return -1;
		}
		fdio_iov_consume(&iov, &iovcnt, (size_t)n);
	}
	return 0;
}
