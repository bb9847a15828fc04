/*
 * One connection's life in its child process: the greeting, then requests
 * one at a time (protocol.md section 3) until the client leaves, breaks a
 * rule or goes quiet.  The request handlers (serve_*.c) share this state.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "conn.h"
#include "jail.h"
#include "options.h"
#include "rights.h"
#include "tls.h"
#include "xfer.h"

struct user;

/* The request being served, for its log line. */
struct request {
	/* A copy: the packet's bytes are overwritten by the transfer. */
	char path[PATH_LEN_MAX + 1];
	size_t pathlen;
	char to[PATH_LEN_MAX + 1];	/* RNM: the new name */
	size_t tolen;
	uint64_t bytes;
	uint64_t offset;		/* section 6: for a RRQ only */
	unsigned attrs;			/* OPT_MTIME, OPT_MODE: for a WRQ */
	uint64_t mtime;
	unsigned mode;
	int resume;			/* a resumable WRQ (docs/protocol.md) */
	uint64_t resume_size;		/* its whole size, announced */
	char result[ERRMSG_LEN_MAX * 4 + 64];	/* "ok", "ERR n message" */
	int upload_read;		/* the engine took the WRQ's data */
};

/*
 * pipeline (protocol.md, "Pipelining"): the downloads sent whole that
 * await their final ACK, oldest first, by their final block number.
 */
struct awaiting {
	uint16_t block[SERVER_PIPELINE_MAX];
	unsigned head, n;
};

/*
 * Pipelined uploads received whole and verified, held to be synced in
 * one batch, then published and acknowledged in order (serve_pipeline.c).
 */
struct held_upload {
	int fd, dirfd;			/* the O_TMPFILE, its directory */
	uint16_t block;			/* its final DAT: the ACK's number */
	char name[COMPONENT_LEN_MAX + 1];
	/* fd -1: not an upload but an OPT's OACK, sent in its turn. */
	uint16_t oack_len;
	uint8_t oack[PKT_OPCODE_LEN + OPT_BODY_MAX];
};

/* Up to SERVER_HOLD_MAX uploads, each with the OPT that came before it. */
struct held {
	struct held_upload u[SERVER_HOLD_MAX * 2];
	unsigned n;			/* entries */
	unsigned files;			/* of which uploads */
};

struct session {
	struct conn conn;
	struct request req;
	const struct server_config *cfg;
	const struct jail *jail;
	struct xfer_opts opts;		/* in force for the next transfers */
	struct awaiting awaiting;	/* pipelined downloads, unacknowledged */
	struct held held;		/* pipelined uploads, not yet published */
	char peer[64];			/* "address, port", for ps(1) */
	char client[64];		/* session_client_id: address or user */
	unsigned rights;		/* enum session_right, or-ed */
	/*
	 * With --users, who the client is (users.h): user->name names it
	 * (USER_ANONYMOUS for a key admitted by the `*` line), key is the
	 * fingerprint of the key it proved.  NULL and "" without --users.
	 */
	const struct user *user;
	char key[TLS_FINGERPRINT_LEN + 1];
	struct jail user_jail;		/* jail, moved to the user's root */
};

/* What a handler tells the request loop. */
enum serve_result {
	SERVE_NEXT,			/* read the next request */
	SERVE_CLOSE,			/* end the session */
};

/*
 * In the parent, once: encodes the greeting (the -n name, or the host
 * name) that every session sends first.  Returns 0, or -1 if it cannot
 * be encoded.
 */
int	session_prepare(const struct server_config *cfg);

/*
 * Runs the session on the connected socket fd and returns the child's exit
 * status.  peer is the client's address, already in plain form.
 */
int	session_run(int fd, const char *peer_addr, unsigned peer_port,
	    const struct server_config *cfg, const struct jail *jail);

/*
 * Refuses the current request with ERR code (1, 2, 6, 7, or 3 before any
 * data flows) and logs it; the session goes on.  Returns SERVE_NEXT, or
 * SERVE_CLOSE when even that could not be sent.
 */
enum serve_result session_refuse(struct session *s, uint16_t code,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Ends the session with ERR code and logs it.  The ERR is sent only if the
 * socket takes it at once (section 8); then the client's late bytes are
 * drained briefly, so that a reset does not destroy the ERR on its way.
 * Returns SERVE_CLOSE.
 */
enum serve_result session_abort(struct session *s, uint16_t code,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Ends the session after a send or receive failed: ERR 5 for a timeout,
 * ERR 4 (or 8) for a malformed packet, nothing for a broken ERR or a
 * vanished peer.  Returns SERVE_CLOSE.
 */
enum serve_result session_conn_failed(struct session *s, enum conn_status cs);

/*
 * Who the client is, for what the server keeps for it between sessions
 * (the parts of resumable uploads): its address today (behind a balancer,
 * the one the PROXY header gave); where users exist, the user's name.
 */
const char *session_client_id(const struct session *s);

/*
 * Adds the first bytes of fd, from its position, to the digest, and
 * leaves the position after them (serve_read.c).  0, or -1 with errno
 * (EIO when the file ends first).
 */
int	session_hash_prefix(int fd, uint64_t bytes, struct digest *d);

/* Refuses the request for a failed open or stat, by errno. */
enum serve_result session_refuse_errno(struct session *s, int err);

/*
 * The directory that is to hold a new name (WRQ, MKD): path checked
 * (section 5), split into parent (PATH_LEN_MAX + 1 bytes) and *name, and
 * the parent opened beneath DIR.  Returns its descriptor, or -1 once the
 * request (op) has been refused, with *r saying how the session goes on:
 * a bad name ERR 7, a missing parent ERR 1, and one that is no directory
 * ERR 2 for MKD (section 4), ERR 1 for WRQ as any place not found.
 */
int	session_open_parent(struct session *s, enum pkt_op op,
	    const char *path, size_t len, char *parent, const char **name,
	    enum serve_result *r);

/*
 * Ends a transfer that did not finish: sends what the result owes (ERR 4
 * for a violation, ERR 5 for a timeout, ERR 0 or 3 for a failing file),
 * and always returns SERVE_CLOSE, as an interrupted transfer closes the
 * connection (section 7).
 */
enum serve_result session_xfer_failed(struct session *s,
	    const struct xfer_result *res);

/*
 * The transfer parameters that the session's options say.  d is NULL for
 * a listing, which has no SUM; for a file, with a digest in force, d is
 * started and hung on xp, and the caller frees it with digest_free (also
 * safe when none was started).  Returns 0, or -1 when memory is short.
 */
int	session_xfer_params(const struct session *s, struct digest *d,
	    struct xfer_params *xp);

/*
 * tsize (section 6): announces a->size with an OACK, with a->mtime and
 * a->mode too when a->attrs (a RRQ with stat in force: "File
 * attributes"), and waits for ACK 0.  Returns SERVE_NEXT to go on with DAT 1,
 * SERVE_CLOSE otherwise.
 */
enum serve_result session_announce(struct session *s, struct announce *a);

/*
 * The pipeline extension (serve_pipeline.c).  pipeline_packet takes a
 * packet read between requests that the extension governs (an ACK for a
 * download, a request or OPT it forbids): 1 when it did, with *r set.
 */
int	pipeline_packet(struct session *s, const struct pkt *p,
	    enum serve_result *r);
/* A download or listing sent: pipelined, it awaits its ACK from now. */
enum serve_result pipeline_sent(struct session *s,
	    const struct xfer_result *res);
/* An upload received, or not: pipelined, its one answer, then on. */
enum serve_result pipeline_received(struct session *s,
	    const struct xfer_result *res);
/*
 * A pipelined upload received and verified, its file not yet synced:
 * held (taking *fd and *dirfd, set to -1) until the batch is published.
 */
enum serve_result pipeline_hold(struct session *s, int *fd, int *dirfd,
	    const char *name, uint16_t block);
/*
 * An OACK that must follow held uploads' answers: held behind them, so
 * that the OPT before each upload ("File attributes") costs no sync of
 * its own.  0, or -1 when nothing is held (the caller sends it).
 */
int	pipeline_hold_oack(struct session *s, const uint8_t *oack,
	    size_t len);
/*
 * Makes the held uploads durable (one sync), publishes them and sends
 * their answers in order.  Called before any other packet is sent and
 * before the session waits for the client.
 */
enum serve_result pipeline_flush(struct session *s);
/* Drops the held uploads unpublished: the session ended without them. */
void	pipeline_drop(struct session *s);
/*
 * A pipelined upload refused before its data: reads the DATs and SUM
 * that follow its WRQ and drops them.
 */
enum serve_result pipeline_discard(struct session *s, uint16_t block,
	    int sum_due);

/* Links an upload's O_TMPFILE fd as name in dirfd (serve_write.c). */
int	serve_write_link(const struct jail *j, int fd, int dirfd,
	    const char *name);

/* The request handlers, one per opcode. */
enum serve_result serve_read(struct session *s, const char *path,
	    size_t len);
enum serve_result serve_write(struct session *s, const char *path,
	    size_t len);
enum serve_result serve_list(struct session *s, const char *path,
	    size_t len);
enum serve_result serve_mkdir(struct session *s, const char *path,
	    size_t len);
/* OPT (serve_options.c): the options for the next transfers. */
enum serve_result serve_opt(struct session *s, const struct pkt *p);
/* The users extension's (serve_entries.c); RNM's new name is s->req.to. */
enum serve_result serve_delete(struct session *s, const char *path,
	    size_t len);
enum serve_result serve_rmdir(struct session *s, const char *path,
	    size_t len);
enum serve_result serve_rename(struct session *s, const char *path,
	    size_t len);

#endif
