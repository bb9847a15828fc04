/*
 * One accepted connection before its session (see child.h).
 *
 * The PROXY header is read here, in the child, so a balancer's slow or
 * silent connection never holds up the parent's accept loop.  It is read
 * exactly: v2 by the lengths it states, v1 up to its LF (peeking, then
 * taking no more than that), so the first byte of the session is never
 * swallowed.  The wait is bounded as a whole, not per byte (protocol.md
 * section 8's rule for packets), and by PROXY_HEADER_SECONDS or the idle
 * timeout if shorter: a balancer sends its header at once, and a
 * connection that does not holds a place under -c, which no session can
 * be closed to free while it is pending (docs/protocol.md, "Making
 * room").
 *
 * The per-address limit (-p) needs the client's address, which only the
 * child learns; the parent keeps the count.  So the child sends the
 * address over a socketpair and waits for the parent's answer before the
 * greeting (channel.h; docs/protocol.md, "PROXY protocol").
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "channel.h"
#include "child.h"
#include "harden.h"
#include "idle.h"
#include "log.h"
#include "peer.h"
#include "proxy.h"
#include "session.h"
#include "signals.h"
#include "testhook.h"

#define PROXY_HEADER_SECONDS	5

enum header_result {
	HEADER_OK,
	HEADER_QUIET,		/* closed before a byte, or a health check */
	HEADER_FAILED,		/* the reason is in why */
};

static enum header_result read_header(int, unsigned, struct proxy_hdr *,
		    char *, size_t);

int
child_signals(void)
{
	sigset_t none;

	if (signals_install(SIGCHLD, SIG_DFL) == -1 ||
	    signals_install(SIGTERM, SIG_DFL) == -1 ||
	    signals_install(SIGINT, SIG_DFL) == -1 ||
	    idle_drain_init() == -1)
		return -1;
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

static enum header_result
read_header(int fd, unsigned timeout, struct proxy_hdr *h, char *why,
    size_t whylen)
{
	uint8_t buf[PROXY_LEN_MAX];
	int64_t deadline;
	enum proxy_status st;
	size_t have = 0, want, k;
	ssize_t n = -1;
	int r;

	deadline = monotonic_ms() + (int64_t)timeout * 1000;
	while ((st = proxy_parse(buf, have, h)) == PROXY_MORE) {
		r = idle_wait_readable(fd, deadline);
		/* A drain does not wait for a header: no session yet. */
		if (idle_draining())
			return HEADER_QUIET;
		if (r != 1) {
			if (r == 0)
				snprintf(why, whylen, "no PROXY header within "
				    "%u s", timeout);
			else
				snprintf(why, whylen, "poll: %s",
				    strerror(errno));
			return HEADER_FAILED;
		}
		if ((want = proxy_want(buf, have)) == 0) {
			/* v1, or not known yet: up to a LF, never past. */
			n = recv(fd, buf + have, sizeof(buf) - have,
			    MSG_PEEK | MSG_DONTWAIT);
			if (n > 0) {
				for (k = 0; k < (size_t)n &&
				    buf[have + k] != '\n'; k++)
					;
				want = k < (size_t)n ? k + 1 : (size_t)n;
			}
		}
		if (want > 0)
			n = recv(fd, buf + have, want, MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno == ECONNRESET)) {
			if (have == 0)
				return HEADER_QUIET;	/* a port probe */
			snprintf(why, whylen, "closed inside the PROXY "
			    "header");
			return HEADER_FAILED;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(why, whylen, "recv: %s", strerror(errno));
			return HEADER_FAILED;
		}
		have += (size_t)n;
	}
	if (st == PROXY_BAD) {
		snprintf(why, whylen, "bad PROXY header: %s", h->why);
		return HEADER_FAILED;
	}
	return h->local ? HEADER_QUIET : HEADER_OK;
}

/*
 * The connection, once the child is confined: the PROXY header, the
 * parent's word on -p, the session.
 */
static int
serve_confined(int fd, const struct peer_name *peer,
    const struct server_config *cfg, const struct jail *jail, int admit_fd)
{
	char addr[INET6_ADDRSTRLEN], why[256];
	struct proxy_hdr h;
	unsigned port = peer->port;
	int ok;

	strlcpy(addr, peer->addr, sizeof(addr));
	testhook_escape();
	if (cfg->proxy_protocol) {
		switch (read_header(fd, cfg->timeout < PROXY_HEADER_SECONDS ?
		    cfg->timeout : PROXY_HEADER_SECONDS, &h, why,
		    sizeof(why))) {
		case HEADER_QUIET:
			/* A health check: no session, no error line. */
			log_debug("Health check from %s, port %u: closed",
			    addr, port);
			goto out;
		case HEADER_FAILED:
			log_event("Received a connection from %s, port %u",
			    addr, port);
			log_event("Closed: %s", why);
			goto out;
		case HEADER_OK:
			if (h.has_addr)
				peer_addr_str(&h.src, addr, sizeof(addr),
				    &port);
			break;
		}
	}
	if (admit_fd != -1) {
		if ((ok = channel_ask(admit_fd, addr, cfg->timeout)) == 0) {
			peer_refuse(fd, addr, port, "Server busy: too many "
			    "connections from your address");
			fd = -1;	/* peer_refuse closed it */
			goto out;
		}
		if (ok == -1) {
			log_debug("No answer from the parent");
			goto out;
		}
		close(admit_fd);
		admit_fd = -1;
	}
	/* A drain that came while the header was read: no session. */
	if (idle_draining())
		goto out;
	return session_run(fd, addr, port, cfg, jail);
out:
	if (fd != -1)
		close(fd);
	if (admit_fd != -1)
		close(admit_fd);
	return 0;
}

int
child_serve(int fd, const struct peer_name *peer,
    const struct server_config *cfg, const struct jail *jail, int admit_fd)
{
	char why[256];

	if (harden_child(cfg, jail, fd, admit_fd, why, sizeof(why)) == -1) {
		log_error("cannot confine the child: %s", why);
		close(fd);
		if (admit_fd != -1)
			close(admit_fd);
		return 1;
	}
	return serve_confined(fd, peer, cfg, jail, admit_fd);
}

int
child_spare(int pair, const struct server_config *cfg,
    const struct jail *jail)
{
	struct peer_name peer;
	char why[256];
	int fd;

	setproctitle("spare, waiting for a connection");
	if (harden_child(cfg, jail, -1, pair, why, sizeof(why)) == -1) {
		log_error("cannot confine the child: %s", why);
		close(pair);
		return 1;
	}
	memset(&peer, 0, sizeof(peer));
	fd = channel_handoff_recv(pair, &peer);
	if (fd == -1 || !cfg->proxy_protocol) {
		close(pair);
		pair = -1;
	}
	if (fd == -1)
		return 0;
	return serve_confined(fd, &peer, cfg, jail, pair);
}
