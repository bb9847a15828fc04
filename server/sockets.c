/*
 * The listening sockets (see sockets.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "peer.h"
#include "sockets.h"

/*
 * The kernel caps this at net.core.somaxconn.  A short queue is worse
 * than slow here: when it overflows the kernel answers with SYN cookies
 * and may drop the handshake's last ACK, and as the server speaks first
 * the client, which sent nothing, waits for a greeting that never comes
 * (seen with a thousand clients at once).
 */
#define LISTEN_BACKLOG	4096

#define SD_LISTEN_FDS_START	3	/* sd_listen_fds(3) */

static int	bind_one(const struct sockaddr *, socklen_t, int, char *,
		    size_t);
static int	bind_any(struct sockets *, uint16_t, char *, size_t);
static int	bind_named(struct sockets *, const struct server_config *,
		    char *, size_t);
static unsigned	bound_port(int);

/* Returns a listening socket, or -1 with errno and a reason. */
static int
bind_one(const struct sockaddr *sa, socklen_t salen, int dual, char *why,
    size_t whylen)
{
	int fd, on = 1, off = 0, saved;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	/* Rebind at once after a restart, whatever TIME_WAIT holds. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &off : &on,
		    sizeof(int));
	if (bind(fd, sa, salen) == -1 || listen(fd, LISTEN_BACKLOG) == -1) {
		saved = errno;
		snprintf(why, whylen, "%s", strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Every local address: one IPv6 socket takes IPv4 too; without IPv6,
 * IPv4 only. */
static int
bind_any(struct sockets *socks, uint16_t port, char *why, size_t whylen)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	int fd;

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_addr = in6addr_any;
	s6.sin6_port = htons(port);
	fd = bind_one((struct sockaddr *)&s6, sizeof(s6), 1, why, whylen);
	if (fd == -1 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_addr.s_addr = htonl(INADDR_ANY);
		s4.sin_port = htons(port);
		fd = bind_one((struct sockaddr *)&s4, sizeof(s4), 0, why,
		    whylen);
	}
	if (fd == -1)
		return -1;
	socks->fds[socks->nfds++] = fd;
	return 0;
}

/* Every address of -b's name, all on the first one's port. */
static int
bind_named(struct sockets *socks, const struct server_config *cfg,
    char *why, size_t whylen)
{
	struct addrinfo hints, *res, *ai;
	char port[8];
	int rc, fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", cfg->port);
	if ((rc = getaddrinfo(cfg->bind_addr, port, &hints, &res)) != 0) {
		snprintf(why, whylen, "%s: %s", cfg->bind_addr,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && socks->nfds < SOCKETS_MAX;
	    ai = ai->ai_next) {
		if (socks->nfds > 0) {
			if (ai->ai_family == AF_INET6)
				((struct sockaddr_in6 *)ai->ai_addr)->
				    sin6_port = htons((uint16_t)socks->port);
			else
				((struct sockaddr_in *)ai->ai_addr)->
				    sin_port = htons((uint16_t)socks->port);
		}
		fd = bind_one(ai->ai_addr, ai->ai_addrlen, 0, why, whylen);
		if (fd == -1) {
			freeaddrinfo(res);
			while (socks->nfds > 0)
				close(socks->fds[--socks->nfds]);
			return -1;
		}
		socks->fds[socks->nfds++] = fd;
		if (socks->nfds == 1 &&
		    (socks->port = bound_port(fd)) == 0) {
			snprintf(why, whylen, "getsockname: %s",
			    strerror(errno));
			freeaddrinfo(res);
			close(fd);
			socks->nfds = 0;
			return -1;
		}
	}
	freeaddrinfo(res);
	if (socks->nfds == 0) {
		snprintf(why, whylen, "%s: no address to listen on",
		    cfg->bind_addr);
		return -1;
	}
	return 0;
}

int
sockets_open(struct sockets *socks, const struct server_config *cfg,
    char *why, size_t whylen)
{
	socks->nfds = 0;
	if ((cfg->bind_addr == NULL ? bind_any(socks, cfg->port, why,
	    whylen) : bind_named(socks, cfg, why, whylen)) == -1)
		return -1;
	if ((socks->port = bound_port(socks->fds[0])) == 0) {
		snprintf(why, whylen, "getsockname: %s", strerror(errno));
		close(socks->fds[0]);
		socks->nfds = 0;
		return -1;
	}
	return 0;
}

int
sockets_inherit(struct sockets *socks, int *conn_fd, char *why,
    size_t whylen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *errstr;
	int n, i, fd, listening, type, flags;
	struct sockaddr_storage ss;
	socklen_t len, sslen;

	*conn_fd = -1;
	socks->nfds = 0;
	if (pid == NULL || fds == NULL ||
	    strtonum(pid, 1, INT_MAX, &errstr) != (long long)getpid())
		return 0;
	n = (int)strtonum(fds, 1, SOCKETS_MAX, &errstr);
	/* sd_listen_fds(3) unsets them: no child or helper takes them. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (errstr != NULL) {
		snprintf(why, whylen, "LISTEN_FDS=%s: %s (1 to %d)", fds,
		    errstr, SOCKETS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != SOCK_STREAM) {
			snprintf(why, whylen, "descriptor %d from systemd is "
			    "not a stream socket", fd);
			return -1;
		}
		/* Addresses are logged and counted as IPv4 or IPv6. */
		sslen = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
			snprintf(why, whylen, "descriptor %d from systemd is "
			    "not a TCP socket", fd);
			return -1;
		}
		len = sizeof(listening);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
		    &len) == -1) {
			snprintf(why, whylen, "descriptor %d: %s", fd,
			    strerror(errno));
			return -1;
		}
		/* Accept=yes: one connection, served as inetd's. */
		if (!listening) {
			if (n != 1) {
				snprintf(why, whylen, "descriptor %d from "
				    "systemd is not listening", fd);
				return -1;
			}
			*conn_fd = fd;
			return 1;
		}
		/* Ours are non-blocking and close on exec; so these. */
		if ((flags = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			snprintf(why, whylen, "descriptor %d: %s", fd,
			    strerror(errno));
			return -1;
		}
		socks->fds[socks->nfds++] = fd;
	}
	socks->port = bound_port(socks->fds[0]);
	return 1;
}

/* The port a socket is bound to, or 0 with errno. */
static unsigned
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];
	unsigned port;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		return 0;
	peer_addr_str(&ss, addr, sizeof(addr), &port);
	return port;
}
