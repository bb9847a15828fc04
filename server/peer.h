/*
 * The peer's name, and the refusal a peer is given before its session:
 * the one thing the listening parent, its children and -i all say about
 * a connection, owned here so that none of them includes another.
 */
#ifndef PEER_H
#define PEER_H

#include <netinet/in.h>
#include <sys/socket.h>

/*
 * A client's address as the log and -p name it: plain text and port.
 * The parent writes it once per connection and hands it to the child,
 * which does not format it again.
 */
struct peer_name {
	char addr[INET6_ADDRSTRLEN];
	unsigned port;
};

/*
 * Writes the address in plain form: an IPv4-mapped IPv6 address as plain
 * IPv4.  Sets *port.
 */
void	peer_addr_str(const struct sockaddr_storage *ss, char *buf,
	    size_t size, unsigned *port);

/*
 * ERR 9 in place of the greeting, logged, without blocking; closes fd.
 * The parent's refusals, and the child's for a PROXY address over -p.
 */
void	peer_refuse(int fd, const char *addr, unsigned port, const char *why);

#endif
