/*
 * The peer's name and the refusal before a session (see peer.h).
 */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "packet.h"
#include "peer.h"

void
peer_addr_str(const struct sockaddr_storage *ss, char *buf, size_t size,
    unsigned *port)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET6) {
		*port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf,
			    (socklen_t)size);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, buf,
			    (socklen_t)size);
	} else {
		*port = ntohs(s4->sin_port);
		inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)size);
	}
}

void
peer_refuse(int fd, const char *addr, unsigned port, const char *why)
{
	uint8_t buf[PKT_ERR_HDR_LEN + ERRMSG_LEN_MAX + 1];
	ssize_t len;

	log_event("Received a connection from %s, port %u", addr, port);
	len = pkt_encode_err(buf, sizeof(buf), ERR_BUSY, why);
	if (len > 0)
		(void)send(fd, buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	log_event("Sent ERR %u: %s", ERR_BUSY, why);
	close(fd);
}
