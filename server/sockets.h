/*
 * The listening sockets: bound from -b and the port, or inherited from
 * systemd (socket activation).  What the accept loop (listener.h) waits
 * on; nothing here accepts.
 */
#ifndef SOCKETS_H
#define SOCKETS_H

#include <stddef.h>

#include "config.h"

#define SOCKETS_MAX	8

struct sockets {
	int fds[SOCKETS_MAX];
	int nfds;
	unsigned port;			/* the real port, after binding */
};

/*
 * Binds cfg's address (every local one by default, IPv6 and IPv4) and
 * listens.  Returns 0, or -1 with the reason in why[0..whylen).
 */
int	sockets_open(struct sockets *socks, const struct server_config *cfg,
	    char *why, size_t whylen);

/*
 * Socket activation (sd_listen_fds(3)): when LISTEN_PID names this
 * process, takes the LISTEN_FDS sockets from fd 3 on, and unsets the
 * variables.  Returns 1 with listening sockets in socks; 1 with *conn_fd
 * set when the one socket given is a connection (Accept=yes), to be
 * served as with -i; 0 when not activated; -1 with a reason.
 */
int	sockets_inherit(struct sockets *socks, int *conn_fd, char *why,
	    size_t whylen);

#endif
