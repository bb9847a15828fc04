/*
 * The TCP connection to the server: the host's addresses tried in turn,
 * each within the timeout.  It knows sockets, not the protocol; the
 * session on the connection is remote.c's.
 */
#ifndef DIAL_H
#define DIAL_H

#include <stddef.h>

/*
 * Connects to host and port (a number), each address within timeout
 * seconds, a Ctrl-C ending the wait.  Returns the socket, blocking,
 * close-on-exec, with Nagle off; or -1 with a line saying why in
 * why[0..whylen).
 */
int	dial_tcp(const char *host, const char *port, unsigned timeout,
	    char *why, size_t whylen);

#endif
