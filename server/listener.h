/*
 * The listening parent: binds, accepts, forks one child per connection
 * (or, with --spares, hands it to one forked ahead), enforces the
 * connection limits, reaps every child, and stops on SIGINT or SIGTERM
 * (interface.md, "server").  It never exits on a client's
 * account.
 */
#ifndef LISTENER_H
#define LISTENER_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "config.h"
#include "jail.h"

#define LISTENERS_MAX	8

/*
 * A client's address as the log and -p name it: plain text and port.
 * The parent writes it once per connection and hands it to the child,
 * which does not format it again.
 */
struct peer_name {
	char addr[INET6_ADDRSTRLEN];
	unsigned port;
};

struct listener {
	int fds[LISTENERS_MAX];
	int nfds;
	unsigned port;			/* the real port, after binding */
};

/*
 * Binds cfg's address (every local one by default, IPv6 and IPv4) and
 * listens.  Returns 0, or -1 with the reason in why[0..whylen).
 */
int	listener_open(struct listener *l, const struct server_config *cfg,
	    char *why, size_t whylen);

/*
 * Socket activation (sd_listen_fds(3)): when LISTEN_PID names this
 * process, takes the LISTEN_FDS sockets from fd 3 on, and unsets the
 * variables.  Returns 1 with listening sockets in l; 1 with *conn_fd set
 * when the one socket given is a connection (Accept=yes), to be served as
 * with -i; 0 when not activated; -1 with a reason.
 */
int	listener_inherit(struct listener *l, int *conn_fd, char *why,
	    size_t whylen);

/*
 * Blocks SIGINT, SIGTERM, SIGQUIT and SIGCHLD and installs their handlers.  Called
 * before the listening line is printed, so a script that signals the
 * server as soon as it reads that line is always heard.
 */
void	listener_signals(void);

/*
 * Serves until SIGINT or SIGTERM, or until a SIGQUIT's drain is over;
 * returns the exit status.
 */
int	listener_run(struct listener *l, const struct server_config *cfg,
	    const struct jail *jail);

/*
 * Writes the address in plain form: an IPv4-mapped IPv6 address as plain
 * IPv4.  Sets *port.
 */
void	listener_addr_str(const struct sockaddr_storage *ss, char *buf,
	    size_t size, unsigned *port);

/*
 * ERR 9 in place of the greeting, logged, without blocking; closes fd.
 * The parent's refusals, and the child's for a PROXY address over -p.
 */
void	listener_refuse(int fd, const char *addr, unsigned port,
	    const char *why);

#endif
