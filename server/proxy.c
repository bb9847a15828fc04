/*
 * The PROXY protocol header (see proxy.h).  Every scan is bounded by the
 * bytes received and by the header's longest form, never by a terminator
 * the peer promised (style.md 6).
 */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "proxy.h"

#define V1_PREFIX	"PROXY "
#define V1_PREFIX_LEN	(sizeof(V1_PREFIX) - 1)

/* proxy-protocol.txt 2.2: the v2 signature, then version and command. */
static const uint8_t v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
#define V2_CMD_LOCAL	0x20
#define V2_CMD_PROXY	0x21
#define V2_FAM_UNSPEC	0x00
#define V2_FAM_TCP4	0x11
#define V2_FAM_TCP6	0x21
#define V2_ADDRS_TCP4	12	/* two addresses of 4, two ports */
#define V2_ADDRS_TCP6	36	/* two addresses of 16, two ports */

static enum proxy_status bad(struct proxy_hdr *, const char *);
static enum proxy_status parse_v1(const uint8_t *, size_t,
		    struct proxy_hdr *);
static enum proxy_status parse_v1_line(const char *, size_t,
		    struct proxy_hdr *);
static enum proxy_status parse_v2(const uint8_t *, size_t,
		    struct proxy_hdr *);
static int	field(const char **, const char *, char *, size_t, int);
static int	port_value(const char *, uint16_t *);

static enum proxy_status
bad(struct proxy_hdr *h, const char *why)
{
	h->why = why;
	return PROXY_BAD;
}

/*
 * Takes the next field of the line into out (NUL-terminated), up to a
 * space or the end, and steps past one space unless last.  -1 when it is
 * empty, too long, or the separator is not what it must be.
 */
static int
field(const char **pp, const char *end, char *out, size_t size, int last)
{
	const char *p = *pp, *start = p;
	size_t n;

	while (p < end && *p != ' ')
		p++;
	n = (size_t)(p - start);
	if (n == 0 || n >= size)
		return -1;
	memcpy(out, start, n);
	out[n] = '\0';
	if (last) {
		if (p != end)
			return -1;
	} else {
		if (p == end)
			return -1;
		p++;		/* exactly one space between fields */
	}
	*pp = p;
	return 0;
}

/* A port in decimal: 1 to 5 digits, no leading zero, at most 65535. */
static int
port_value(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* "PROXY TCP4|TCP6 src dst sport dport" or "PROXY UNKNOWN ...", no CRLF. */
static enum proxy_status
parse_v1_line(const char *line, size_t len, struct proxy_hdr *h)
{
	const char *p = line + V1_PREFIX_LEN, *end = line + len;
	char proto[8], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char sport[8], dport[8];
	struct sockaddr_in *s4 = (struct sockaddr_in *)&h->src;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&h->src;
	struct in6_addr a6;
	struct in_addr a4;
	uint16_t port, dummy;

	/* UNKNOWN may be followed by anything, or nothing (section 2.1). */
	if ((size_t)(end - p) >= 7 && memcmp(p, "UNKNOWN", 7) == 0 &&
	    (end - p == 7 || p[7] == ' ')) {
		h->has_addr = 0;
		return PROXY_OK;
	}
	if (field(&p, end, proto, sizeof(proto), 0) == -1 ||
	    (strcmp(proto, "TCP4") != 0 && strcmp(proto, "TCP6") != 0))
		return bad(h, "v1: the protocol is not TCP4, TCP6 or UNKNOWN");
	if (field(&p, end, src, sizeof(src), 0) == -1 ||
	    field(&p, end, dst, sizeof(dst), 0) == -1 ||
	    field(&p, end, sport, sizeof(sport), 0) == -1 ||
	    field(&p, end, dport, sizeof(dport), 1) == -1)
		return bad(h, "v1: not four fields after the protocol");
	if (port_value(sport, &port) == -1 || port_value(dport, &dummy) == -1)
		return bad(h, "v1: a port is not a number 0-65535");
	memset(&h->src, 0, sizeof(h->src));
	if (proto[3] == '4') {
		if (inet_pton(AF_INET, src, &a4) != 1 ||
		    inet_pton(AF_INET, dst, &a4) != 1)
			return bad(h, "v1: an address is not IPv4");
		inet_pton(AF_INET, src, &s4->sin_addr);
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else {
		if (inet_pton(AF_INET6, src, &a6) != 1 ||
		    inet_pton(AF_INET6, dst, &a6) != 1)
			return bad(h, "v1: an address is not IPv6");
		inet_pton(AF_INET6, src, &s6->sin6_addr);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	}
	h->has_addr = 1;
	return PROXY_OK;
}

static enum proxy_status
parse_v1(const uint8_t *buf, size_t len, struct proxy_hdr *h)
{
	char line[PROXY_V1_LEN_MAX];
	size_t i;

	h->version = 1;
	if (memcmp(buf, V1_PREFIX, len < V1_PREFIX_LEN ? len :
	    V1_PREFIX_LEN) != 0)
		return bad(h, "no PROXY header");
	for (i = 0; i < len && i < PROXY_V1_LEN_MAX; i++) {
		if (buf[i] == '\n') {
			if (i == 0 || buf[i - 1] != '\r')
				return bad(h, "v1: LF without CR");
			if (i + 1 < V1_PREFIX_LEN + 2)
				return bad(h, "v1: header too short");
			h->len = i + 1;
			memcpy(line, buf, i - 1);
			return parse_v1_line(line, i - 1, h);
		}
		/* Printable ASCII, and a CR only right before the LF. */
		if (buf[i] == '\r' ? i + 1 < len && buf[i + 1] != '\n' :
		    buf[i] < 0x20 || buf[i] > 0x7e)
			return bad(h, "v1: a byte that is not printable");
	}
	if (i >= PROXY_V1_LEN_MAX)
		return bad(h, "v1: no CRLF within 107 bytes");
	return PROXY_MORE;
}

static enum proxy_status
parse_v2(const uint8_t *buf, size_t len, struct proxy_hdr *h)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&h->src;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&h->src;
	const uint8_t *body = buf + PROXY_V2_HEAD_LEN;
	size_t blen;

	h->version = 2;
	if (memcmp(buf, v2_sig, len < sizeof(v2_sig) ? len :
	    sizeof(v2_sig)) != 0)
		return bad(h, "no PROXY header");
	if (len > 12 && buf[12] != V2_CMD_LOCAL && buf[12] != V2_CMD_PROXY)
		return bad(h, "v2: version is not 2, or command unknown");
	if (len < PROXY_V2_HEAD_LEN)
		return PROXY_MORE;
	blen = (size_t)buf[14] << 8 | buf[15];
	if (blen > PROXY_V2_BODY_MAX)
		return bad(h, "v2: header longer than 1040 bytes");
	if (buf[12] == V2_CMD_PROXY) {
		/* Refused at once, not after the body has come. */
		if (buf[13] == V2_FAM_TCP4 ? blen < V2_ADDRS_TCP4 :
		    buf[13] == V2_FAM_TCP6 ? blen < V2_ADDRS_TCP6 :
		    buf[13] != V2_FAM_UNSPEC)
			return bad(h, buf[13] == V2_FAM_TCP4 ||
			    buf[13] == V2_FAM_TCP6 ?
			    "v2: length too short for the addresses" :
			    "v2: address family is not TCP over IPv4 or IPv6");
	}
	if (len < PROXY_V2_HEAD_LEN + blen)
		return PROXY_MORE;
	h->len = PROXY_V2_HEAD_LEN + blen;
	/* LOCAL: the family and body are to be ignored (section 2.2). */
	h->local = buf[12] == V2_CMD_LOCAL;
	h->has_addr = 0;
	if (h->local || buf[13] == V2_FAM_UNSPEC)
		return PROXY_OK;
	memset(&h->src, 0, sizeof(h->src));
	if (buf[13] == V2_FAM_TCP4) {
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, body, 4);
		memcpy(&s4->sin_port, body + 8, 2);	/* network order */
	} else {
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, body, 16);
		memcpy(&s6->sin6_port, body + 32, 2);
	}
	h->has_addr = 1;
	return PROXY_OK;
}

enum proxy_status
proxy_parse(const uint8_t *buf, size_t len, struct proxy_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (len == 0)
		return PROXY_MORE;
	if (buf[0] == V1_PREFIX[0])
		return parse_v1(buf, len, h);
	if (buf[0] == v2_sig[0])
		return parse_v2(buf, len, h);
	return bad(h, "no PROXY header");
}

size_t
proxy_want(const uint8_t *buf, size_t len)
{
	size_t blen;

	/* v2 is known from its third byte: v1 has no CR before its end. */
	if (len < 3 || memcmp(buf, v2_sig, 3) != 0)
		return 0;
	if (len < PROXY_V2_HEAD_LEN)
		return PROXY_V2_HEAD_LEN - len;
	blen = (size_t)buf[14] << 8 | buf[15];
	if (blen > PROXY_V2_BODY_MAX || len >= PROXY_V2_HEAD_LEN + blen)
		return 0;
	return PROXY_V2_HEAD_LEN + blen - len;
}
