/*
 * The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and
 * 2) that a load balancer puts in front of a proxied connection, decoded
 * from bytes.  Pure: no sockets, no printing (style.md 2).  Reading the
 * header from a socket is the child's business (server/child.c).
 */
#ifndef PROXY_H
#define PROXY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto_limits.h"

/* The longest header we accept, either version. */
#define PROXY_LEN_MAX	(PROXY_V2_HEAD_LEN + PROXY_V2_BODY_MAX)

enum proxy_status {
	PROXY_OK,		/* a whole header: see struct proxy_hdr */
	PROXY_MORE,		/* a valid start; more bytes are needed */
	PROXY_BAD,		/* not a header, or a broken one: see why */
};

struct proxy_hdr {
	size_t len;		/* bytes the header takes, its CRLF included */
	int version;		/* 1 or 2 */
	/*
	 * v2 LOCAL: the balancer's own connection (a health check), no
	 * client behind it.
	 */
	int local;
	/*
	 * 1 when src is the client's address.  0 for LOCAL, v1 UNKNOWN and
	 * a v2 PROXY of family UNSPEC, which say to use the socket's own.
	 */
	int has_addr;
	struct sockaddr_storage src;	/* AF_INET or AF_INET6, with port */
	const char *why;	/* PROXY_BAD: the rule broken, a constant */
};

/*
 * Decodes the header at the start of buf[0..len).  PROXY_MORE only while
 * the bytes so far can still begin a valid header and fewer than its
 * longest form have come: a header that has not ended within
 * PROXY_V1_LEN_MAX (v1) or whose stated length passes PROXY_V2_BODY_MAX
 * (v2) is PROXY_BAD at once.  Bytes after the header are not looked at.
 */
enum proxy_status proxy_parse(const uint8_t *buf, size_t len,
	    struct proxy_hdr *h);

/*
 * How many more bytes surely belong to the header begun in buf[0..len),
 * so that a reader can take exactly those and never a byte of what
 * follows: the rest of v2's 16-byte head, then of its body.  0 when the
 * version is not yet known or is 1, whose end is its first LF: read up to
 * and including a LF, never past it.
 */
size_t	proxy_want(const uint8_t *buf, size_t len);

#endif
