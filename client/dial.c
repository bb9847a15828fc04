/*
 * The TCP connection to the server (see dial.h).  Like redis's anet.c it
 * returns an error and fills a message buffer; it never prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "dial.h"
#include "signals.h"

static int	connect_one(const struct addrinfo *, unsigned, int *);

/*
 * One address: the socket, connected within the timeout, or -1 with
 * the reason in *err.
 */
static int
connect_one(const struct addrinfo *ai, unsigned timeout, int *err)
{
	struct pollfd pfd;
	socklen_t len;
	int fd, rc;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1) {
		*err = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			rc = poll(&pfd, 1, (int)timeout * 1000);
		while (rc == -1 && errno == EINTR && !sig_intr_pending());
		len = sizeof(*err);
		if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, err,
		    &len) == 0 && *err == 0)
			return fd;
		if (rc == 0)
			*err = ETIMEDOUT;
		else if (rc == -1)
			*err = errno;
	} else
		*err = errno;
	close(fd);
	return -1;
}

int
dial_tcp(const char *host, const char *port, unsigned timeout, char *why,
    size_t whylen)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc, err = 0, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(why, whylen, "cannot connect to %s port %s: %s",
		    host, port, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = connect_one(ai, timeout, &err);
	freeaddrinfo(res);
	if (fd == -1) {
		snprintf(why, whylen, "cannot connect to %s port %s: %s",
		    host, port, strerror(err));
		return -1;
	}
	/* Blocking from here on; waits are bounded by the clock. */
	if (fcntl(fd, F_SETFL, 0) == -1) {
		snprintf(why, whylen, "fcntl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}
