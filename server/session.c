/*
 * One connection's child (see session.h): the greeting, the request loop,
 * and the one place where faults become ERR packets and decide whether
 * the session goes on (protocol.md section 7).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "errno_map.h"
#include "harden.h"
#include "identity.h"
#include "idle.h"
#include "idlemap.h"
#include "log.h"
#include "path.h"
#include "session.h"
#include "signals.h"
#include "users.h"

#define LINGER_SECONDS	2	/* drain after a closing ERR */

struct handler {
	const char *name;
	enum serve_result (*serve)(struct session *, const char *, size_t);
	enum pkt_op op;
	unsigned right;			/* the right it needs (session.h) */
};

static const struct handler handlers[] = {
	{ "RRQ", serve_read, PKT_RRQ, RIGHT_READ },
	{ "WRQ", serve_write, PKT_WRQ, RIGHT_WRITE },
	{ "DRQ", serve_list, PKT_DRQ, RIGHT_READ },
	{ "MKD", serve_mkdir, PKT_MKD, RIGHT_WRITE },
	/* Decoded only with users in force (conn.exts): PKT_EXT_USERS. */
	{ "DEL", serve_delete, PKT_DEL, RIGHT_DELETE },
	{ "RMD", serve_rmdir, PKT_RMD, RIGHT_DELETE },
	{ "RNM", serve_rename, PKT_RNM, RIGHT_DELETE },
};

static int	greet(struct session *);
static int	admit(struct session *);
static ssize_t	encode_greeting(uint8_t *, size_t, const char *);
static enum serve_result refuse_right(struct session *, unsigned);
static enum serve_result serve_request(struct session *,
		    const struct handler *, const struct pkt *);
static void	set_result(struct session *, uint16_t, const char *);
static void	session_init(struct session *, const char *, unsigned,
		    const struct server_config *, const struct jail *);
static void	serve_requests(struct session *);
static void	linger(struct session *);
static int	drained(enum conn_status);
static int	made_room(struct session *);

static void
set_result(struct session *s, uint16_t code, const char *msg)
{
	char esc[ERRMSG_LEN_MAX * 4 + 1];

	text_escape(esc, sizeof(esc), msg, strlen(msg), TEXT_UTF8);
	snprintf(s->req.result, sizeof(s->req.result), "ERR %u %s", code,
	    esc);
	log_event("Sent ERR %u: %s", code, esc);
}

enum serve_result
session_refuse(struct session *s, uint16_t code, const char *fmt, ...)
{
	uint8_t buf[PKT_ERR_HDR_LEN + ERRMSG_LEN_MAX + 1];
	char msg[ERRMSG_LEN_MAX + 1];
	enum conn_status cs;
	va_list ap;
	ssize_t len;

	/* Answers go in order: the held uploads' first (pipelining). */
	if (pipeline_flush(s) != SERVE_NEXT)
		return SERVE_CLOSE;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_result(s, code, msg);
	len = pkt_encode_err(buf, sizeof(buf), code, msg);
	if ((cs = conn_send(&s->conn, buf, (size_t)len)) != CONN_OK)
		return session_conn_failed(s, cs);
	return SERVE_NEXT;
}

/*
 * Closing with unread bytes in the receive queue makes the kernel send a
 * reset, which can destroy the ERR before the client reads it; so stop
 * writing, and read until the client closes or a short clock runs out.
 */
static void
linger(struct session *s)
{
	int64_t deadline;
	ssize_t n;

	if (shutdown(s->conn.fd, SHUT_WR) == -1)
		return;
	deadline = monotonic_ms() + LINGER_SECONDS * 1000;
	idle_start(LINGER_SECONDS);
	do
		n = recv(s->conn.fd, s->conn.rbuf, s->conn.rcap, 0);
	while ((n > 0 || (n == -1 && errno == EINTR)) &&
	    monotonic_ms_left(deadline) > 0);
}

enum serve_result
session_abort(struct session *s, uint16_t code, const char *fmt, ...)
{
	char msg[ERRMSG_LEN_MAX + 1];
	va_list ap;

	/* The held uploads are answered first, when the socket takes it. */
	if (code != ERR_TIMEOUT)
		(void)pipeline_flush(s);
	pipeline_drop(s);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_result(s, code, msg);
	if (conn_send_err_nowait(&s->conn, code, msg) == 0 &&
	    code != ERR_TIMEOUT)
		linger(s);
	return SERVE_CLOSE;
}

enum serve_result
session_refuse_errno(struct session *s, int err)
{
	const struct errno_row *row = errno_map(err, ERRNO_OPENING);

	if (row != NULL)
		return session_refuse(s, row->code, "%s", row->msg);
	return session_refuse(s, ERR_ACCESS, "Access violation: %s",
	    strerror(err));
}

int
session_open_parent(struct session *s, enum pkt_op op, const char *path,
    size_t len, char *parent, const char **name, enum serve_result *r)
{
	enum path_status ps;
	struct stat st;
	int dirfd, err;

	if ((ps = path_check(path, len)) != PATH_OK) {
		*r = session_refuse(s, ERR_BAD_NAME, "Bad file name: %s",
		    path_status_str(ps));
		return -1;
	}
	path_split(path, parent, name);
	if ((dirfd = jail_openat(s->jail, parent, O_RDONLY | O_DIRECTORY)) !=
	    -1)
		return dirfd;
	err = errno;
	/* MKD's parent there but no directory: ERR 2 (section 4). */
	if (op == PKT_MKD && err == ENOTDIR &&
	    jail_stat(s->jail, parent, &st) == 0 &&
	    !S_ISDIR(st.st_mode))
		*r = session_refuse(s, ERR_ACCESS, "Access violation: parent "
		    "is not a directory");
	else
		*r = session_refuse_errno(s, err);
	return -1;
}

const char *
session_client_id(const struct session *s)
{
	return s->client;
}

enum serve_result
session_conn_failed(struct session *s, enum conn_status cs)
{
	if ((cs == CONN_MALFORMED || cs == CONN_TRUNCATED) &&
	    conn_pending_op(&s->conn) == PKT_ERR) {
		/* Section 7: an ERR, even a broken one, gets no answer. */
		snprintf(s->req.result, sizeof(s->req.result),
		    "client sent a malformed ERR");
		log_debug("Client sent a malformed ERR");
		return SERVE_CLOSE;
	}
	switch (cs) {
	case CONN_TIMEOUT:
		return session_abort(s, ERR_TIMEOUT, "Idle timeout (%u s)",
		    s->cfg->timeout);
	case CONN_MALFORMED:
		return session_abort(s, pkt_status_errcode(s->conn.bad),
		    "%s: %s", pkt_status_errcode(s->conn.bad) == ERR_OPTIONS ?
		    "Option negotiation failed" : "Illegal operation",
		    pkt_status_str(s->conn.bad));
	case CONN_TRUNCATED:
		/* The client may have closed only its sending side. */
		return session_abort(s, ERR_ILLEGAL,
		    "Illegal operation: truncated packet");
	default:
		snprintf(s->req.result, sizeof(s->req.result),
		    "connection lost: %s", conn_status_str(&s->conn, cs));
		log_debug("Connection ended: %s", conn_status_str(&s->conn,
		    cs));
		return SERVE_CLOSE;
	}
}

enum serve_result
session_xfer_failed(struct session *s, const struct xfer_result *res)
{
	char esc[ERRMSG_LEN_MAX * 4 + 1];
	const struct errno_row *row;
	int err = res->sys_errno;

	switch (res->status) {
	case XFER_OK:
		return SERVE_NEXT;
	case XFER_PEER_ERR:
		/* Received: close without answering (section 7). */
		text_escape(esc, sizeof(esc), res->msg, strlen(res->msg),
		    TEXT_UTF8);
		snprintf(s->req.result, sizeof(s->req.result),
		    "client sent ERR %u %s", res->errcode, esc);
		return SERVE_CLOSE;
	case XFER_VIOLATION:
		return session_abort(s, res->errcode, "%s: %s",
		    res->errcode == ERR_OPTIONS ? "Option negotiation failed" :
		    "Illegal operation", res->msg);
	case XFER_CONN:
		return session_conn_failed(s, res->conn_status);
	case XFER_INTEGRITY:
		return session_abort(s, ERR_INTEGRITY,
		    "Integrity check failed: %s", res->msg);
	case XFER_SOURCE:
		return session_abort(s, ERR_UNDEFINED, "Read error: %s",
		    strerror(err));
	case XFER_SINK:
		if ((row = errno_map(err, ERRNO_WRITING)) != NULL)
			return session_abort(s, row->code, "%s", row->msg);
		return session_abort(s, ERR_UNDEFINED, "Write error: %s",
		    strerror(err));
	}
	return SERVE_CLOSE;
}

int
session_xfer_params(const struct session *s, struct digest *d,
    struct xfer_params *xp)
{
	memset(xp, 0, sizeof(*xp));
	xp->blksize = s->opts.blksize;
	xp->windowsize = s->opts.windowsize;
	xp->pipelined = s->opts.pipeline != 0;
	if (d == NULL)
		return 0;
	if (digest_init(d, s->opts.digest) == -1)
		return -1;
	if (s->opts.digest != DIGEST_NONE)
		xp->digest = d;
	return 0;
}

/* A request that needs a right the session lacks: ERR 2, saying which. */
static enum serve_result
refuse_right(struct session *s, unsigned right)
{
	const char *what = right == RIGHT_READ ? "read" : right ==
	    RIGHT_WRITE ? "write" : "delete";

	if (s->cfg->read_only && right != RIGHT_READ)
		return session_refuse(s, ERR_ACCESS, "Access violation: the "
		    "server is read-only");
	if (s->user != NULL)
		return session_refuse(s, ERR_ACCESS, "Access violation: user "
		    "%s may not %s", s->user->name, what);
	return session_refuse(s, ERR_ACCESS, "Access violation: not "
	    "permitted");
}

static enum serve_result
serve_request(struct session *s, const struct handler *h,
    const struct pkt *p)
{
	char esc[PATH_LEN_MAX * 4 + 1];
	int64_t start = monotonic_ms();
	enum serve_result r;

	memset(&s->req, 0, sizeof(s->req));
	/* The codec bounds a path to PATH_LEN_MAX; it may hold a NUL only
	 * at its end, so the copy is the whole name. */
	memcpy(s->req.path, p->u.req.path, p->u.req.len + 1);
	s->req.pathlen = p->u.req.len;
	if (p->op == PKT_RNM) {
		memcpy(s->req.to, p->u.req.to, p->u.req.tolen + 1);
		s->req.tolen = p->u.req.tolen;
	}
	strlcpy(s->req.result, "ok", sizeof(s->req.result));
	/* Section 6: an offset holds for the next request only, whatever
	 * its kind; a RRQ reads it from the request. */
	s->req.offset = s->opts.offset;
	s->opts.offset = 0;
	s->opts.named &= ~OPT_OFFSET;
	/* So do an upload's attributes ("File attributes"). */
	s->req.attrs = s->opts.named & (OPT_MTIME | OPT_MODE);
	s->req.mtime = s->opts.mtime;
	s->req.mode = s->opts.mode;
	s->opts.named &= ~(OPT_MTIME | OPT_MODE);
	/* So does resume (docs/protocol.md), which a WRQ reads. */
	s->req.resume = (s->opts.named & OPT_RESUME) != 0;
	s->req.resume_size = s->opts.resume;
	s->opts.resume = 0;
	s->opts.named &= ~OPT_RESUME;
	/* Quoted in the log line: a '"' in the name must not end the field. */
	text_escape(esc, sizeof(esc), s->req.path, s->req.pathlen,
	    TEXT_UTF8 | TEXT_QUOTE);
	setproctitle("%s: %s %s", s->peer, h->name, esc);

	/* Only an upload may join the held ones; any other answer waits. */
	if (h->op != PKT_WRQ && pipeline_flush(s) != SERVE_NEXT)
		r = SERVE_CLOSE;
	else if (!(s->rights & h->right))
		r = refuse_right(s, h->right);
	else
		r = h->serve(s, s->req.path, s->req.pathlen);
	/* Pipelined, a refused upload's data follows all the same. */
	if (r == SERVE_NEXT && h->op == PKT_WRQ && s->opts.pipeline &&
	    !s->req.upload_read)
		r = pipeline_discard(s, 1, s->opts.digest != DIGEST_NONE);

	log_event("%s \"%s\" %" PRIu64 " bytes %.3f s: %s", h->name, esc,
	    s->req.bytes, (double)(monotonic_ms() - start) / 1000,
	    s->req.result);
	setproctitle("%s: idle", s->peer);
	return r;
}

/*
 * 1 when the server drains (SIGQUIT) and the session is between requests:
 * it ends quietly, as when the client leaves (interface.md).  A wait that
 * ended for another reason, bytes that came first, keeps its meaning.
 */
static int
drained(enum conn_status cs)
{
	if (!idle_draining() || (cs != CONN_OK && cs != CONN_INTERRUPTED))
		return 0;
	log_debug("Session ended: the server is draining");
	return 1;
}

/*
 * 1 when the parent claimed this session's slot while it waited for a
 * request, to make room for a newcomer (docs/protocol.md, "Making
 * room"): ERR 9 says why, and the session ends, whether or not a
 * request came in the meantime (it is not served).
 */
static int
made_room(struct session *s)
{
	if (!idlemap_claimed())
		return 0;
	session_abort(s, ERR_BUSY, "Server busy: closed to make room for "
	    "another session");
	return 1;
}

/*
 * The greeting, encoded once by the parent (session_prepare): every
 * child sends the same bytes, and none of them formats it again.  With
 * --users it names the user, and each child encodes its own.
 */
static uint8_t greeting[PKT_DAT_HDR_LEN + GREETING_LEN_MAX];
static size_t greeting_len;
/* -n may be as long as the greeting allows (config.c), past 255. */
static char host_name[GREETING_LEN_MAX + 1];

/*
 * "Hello from HOST's fileserver", or for a user "Hello USER, this is
 * HOST's fileserver" (docs/protocol.md, "Users"), cut at the greeting's
 * bound, as DAT 1 into buf.  Its length, or -1.
 */
static ssize_t
encode_greeting(uint8_t *buf, size_t size, const char *user)
{
	char text[GREETING_LEN_MAX + 1];
	int n;

	if (user == NULL)
		n = snprintf(text, sizeof(text), "Hello from %s's fileserver",
		    host_name);
	else
		n = snprintf(text, sizeof(text), "Hello %s, this is %s's "
		    "fileserver", user, host_name);
	if (n < 0)
		return -1;
	if ((size_t)n > GREETING_LEN_MAX)
		n = GREETING_LEN_MAX;
	return pkt_encode_dat(buf, size, 1, text, (size_t)n);
}

int
session_prepare(const struct server_config *cfg)
{
	ssize_t len;

	if (cfg->name != NULL)
		strlcpy(host_name, cfg->name, sizeof(host_name));
	else if (gethostname(host_name, sizeof(host_name)) == -1)
		strlcpy(host_name, "localhost", sizeof(host_name));
	host_name[sizeof(host_name) - 1] = '\0';
	if ((len = encode_greeting(greeting, sizeof(greeting), NULL)) == -1)
		return -1;
	greeting_len = (size_t)len;
	return 0;
}

/*
 * --users: the key the client proved in the handshake names its user
 * (docs/protocol.md, "Users"), whose rights narrow the session's.  A key
 * not listed (and no `*` line), or none, gets ERR 2 in place of the
 * greeting, naming the key so that an administrator can add it, and
 * the session ends before a request is read.  0, or -1 once refused.
 */
static int
admit(struct session *s)
{
	const struct user *u;
	char why[256];

	/* No key at all is one no line names: only a `*` line admits it. */
	if (tls_peer_fingerprint(s->conn.tls, s->key, sizeof(s->key)) == -1)
		s->key[0] = '\0';
	if ((u = users_find(s->cfg->users, s->key)) == NULL) {
		if (s->key[0] == '\0')
			session_abort(s, ERR_ACCESS, "Access violation: no "
			    "client key: this server admits listed keys only");
		else
			session_abort(s, ERR_ACCESS, "Access violation: key %s "
			    "is not admitted here: ask the server's "
			    "administrator to add it", s->key);
		return -1;
	}
	s->user = u;
	s->rights &= u->rights;
	/*
	 * Its root and rights, enforced by the kernel too: the jail moves
	 * there, nothing above stays open, and Landlock allows no more.
	 */
	s->user_jail = *s->jail;
	if (harden_user(&s->user_jail, u->root, s->rights, why,
	    sizeof(why)) == -1) {
		log_error("user %s: %s", u->name, why);
		session_abort(s, ERR_UNDEFINED, "Cannot serve user %s: %s",
		    u->name, why);
		return -1;
	}
	s->jail = &s->user_jail;
	/*
	 * What the server keeps for this client (resumable parts) is the
	 * user's, or with a `*` line the key's: never another's address.
	 */
	if (strcmp(u->name, USER_ANONYMOUS) != 0 || s->key[0] == '\0')
		snprintf(s->client, sizeof(s->client), "user %s", u->name);
	else
		snprintf(s->client, sizeof(s->client), "key %s", s->key);
	if (s->cfg->log_level >= LOG_VERBOSE && s->key[0] != '\0')
		log_event("User %s, key %s", u->name, s->key);
	else
		log_event("User %s", u->name);
	return 0;
}

/* Section 3: DAT 1 with the greeting, answered by ACK 1. */
static int
greet(struct session *s)
{
	uint8_t own[sizeof(greeting)];
	const uint8_t *g = greeting;
	ssize_t len = (ssize_t)greeting_len;
	enum conn_status cs;
	struct pkt p;

	if (s->user != NULL) {
		if ((len = encode_greeting(own, sizeof(own), s->user->name)) ==
		    -1)
			return -1;
		g = own;
	}
	if ((cs = conn_send(&s->conn, g, (size_t)len)) != CONN_OK) {
		session_conn_failed(s, cs);
		return -1;
	}
	idle_request_wait(1);	/* no transfer yet: a drain ends it */
	cs = conn_recv(&s->conn, BLKSIZE_DEFAULT, &p);
	idle_request_wait(0);
	if (made_room(s))
		return -1;
	if (cs != CONN_OK) {
		if (!drained(cs))
			session_conn_failed(s, cs);
		return -1;
	}
	if (p.op == PKT_ERR) {
		log_debug("Client refused the greeting");
		return -1;
	}
	if (p.op != PKT_ACK || p.u.ack.block != 1) {
		session_abort(s, ERR_ILLEGAL, "Illegal operation: expected "
		    "ACK 1 for the greeting, got %s", pkt_op_name(p.op));
		return -1;
	}
	return 0;
}

/* The session's state before its first byte: rights, options, names. */
static void
session_init(struct session *s, const char *peer_addr, unsigned peer_port,
    const struct server_config *cfg, const struct jail *jail)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->jail = jail;
	/*
	 * -r: section 6 of interface.md, every upload refused first.  Only
	 * a user (--users) may hold delete.
	 */
	s->rights = RIGHT_READ | RIGHT_WRITE;
	if (cfg->users != NULL)
		s->rights |= RIGHT_DELETE;
	if (cfg->read_only)
		s->rights &= ~(unsigned)(RIGHT_WRITE | RIGHT_DELETE);
	opts_default(&s->opts);
	snprintf(s->peer, sizeof(s->peer), "%s port %u", peer_addr, peer_port);
	strlcpy(s->client, peer_addr, sizeof(s->client));
}

/* Section 3: requests one at a time until the session ends. */
static void
serve_requests(struct session *s)
{
	enum serve_result r = SERVE_NEXT;
	enum conn_status cs;
	struct pkt p;
	size_t i;

	while (r == SERVE_NEXT) {
		/* Held uploads are answered before the session waits or
		 * ends. */
		if ((!conn_packet_ready(&s->conn) || idle_draining()) &&
		    (r = pipeline_flush(s)) != SERVE_NEXT)
			break;
		if (drained(CONN_OK))
			break;
		/* A drain waits for the ACKs of pipelined downloads. */
		idle_request_wait(s->awaiting.n == 0);
		cs = conn_recv(&s->conn, s->opts.blksize, &p);
		idle_request_wait(0);
		if (made_room(s))
			break;
		if (cs != CONN_OK) {
			if (!drained(cs))
				session_conn_failed(s, cs);
			break;
		}
		if (pipeline_packet(s, &p, &r))
			continue;
		for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
			if (handlers[i].op == p.op)
				break;
		if (i < sizeof(handlers) / sizeof(handlers[0]))
			r = serve_request(s, &handlers[i], &p);
		else if (p.op == PKT_OPT)
			r = serve_opt(s, &p);
		else if (p.op == PKT_ERR) {
			log_debug("Client ended the session with ERR %u",
			    p.u.err.code);
			r = SERVE_CLOSE;
		} else
			r = session_abort(s, ERR_ILLEGAL, "Illegal operation: "
			    "unexpected %s", pkt_op_name(p.op));
	}
}

int
session_run(int fd, const char *peer_addr, unsigned peer_port,
    const struct server_config *cfg, const struct jail *jail)
{
	struct session s;

	session_init(&s, peer_addr, peer_port, cfg, jail);
	log_event("Received a connection from %s, port %u", peer_addr,
	    peer_port);
	setproctitle("%s: greeting", s.peer);
	if (idle_init(cfg->timeout) == -1) {
		log_error("the idle clock: %s", strerror(errno));
		close(fd);
		return 1;
	}
	if (conn_init(&s.conn, fd, &idle_hooks, NULL) == -1) {
		log_error("out of memory");
		return 1;
	}
	if (cfg->tls_ctx != NULL && identity_accept(&s.conn, cfg->tls_ctx) ==
	    -1)
		goto out;
	if (cfg->users != NULL && admit(&s) == -1)
		goto out;
	/* DEL, RMD and RNM are requests only for users: unknown elsewhere. */
	if (cfg->users != NULL)
		s.conn.exts = PKT_EXT_USERS;
	if (greet(&s) == -1)
		goto out;
	setproctitle("%s: idle", s.peer);
	serve_requests(&s);
out:
	pipeline_drop(&s);	/* never answered: never published */
	idle_stop();
	conn_free(&s.conn);
	close(fd);
	return 0;
}
