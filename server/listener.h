/*
 * The listening parent: accepts on the listening sockets (sockets.h),
 * forks one child per connection (or, with --spares, hands it to one
 * forked ahead), enforces the connection limits, keeps the child table,
 * reaps every child, drains on SIGQUIT and stops on SIGINT or SIGTERM
 * (interface.md, "server").  It never exits on a client's account.
 */
#ifndef LISTENER_H
#define LISTENER_H

#include "config.h"
#include "jail.h"
#include "sockets.h"

/*
 * Blocks SIGINT, SIGTERM, SIGQUIT and SIGCHLD and installs their
 * handlers.  Called before the listening line is printed, so a script
 * that signals the server as soon as it reads that line is always heard.
 * Returns 0, or -1 with errno.
 */
int	listener_signals(void);

/*
 * Serves until SIGINT or SIGTERM, or until a SIGQUIT's drain is over;
 * returns the exit status.
 */
int	listener_run(struct sockets *socks, const struct server_config *cfg,
	    const struct jail *jail);

#endif
