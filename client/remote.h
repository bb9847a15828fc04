/*
 * The client's side of one session with the server: connecting, the
 * greeting, option negotiation, and one request at a time (protocol.md
 * sections 3 to 6).  It reconnects when a previous request ended the
 * session.  It knows the protocol, not the terminal or local files: bytes
 * come and go through the callbacks of the transfer engine, and its waits
 * are bounded by the clock of signals.h.  The session (connecting,
 * negotiating, requests and their failures) is remote.c's, the transfers
 * remote_transfer.c's; the socket is dial.c's, and listings line by line
 * are remote_list.c's.
 */
#ifndef REMOTE_H
#define REMOTE_H

#include <stdint.h>

#include "args.h"
#include "conn.h"
#include "local_limits.h"
#include "options.h"
#include "xfer.h"

/* Command outcomes, which are also the exit statuses of interface.md. */
enum {
	RC_OK = 0,
	RC_FAILED = 1,		/* the command failed; the reason is in why */
	RC_LOST = 3,		/* no connection, lost without ERR, or silent */
};

#define SIZE_UNKNOWN	UINT64_MAX

/* Requests a client keeps outstanding with the pipeline extension. */
#define CLIENT_PIPELINE	64

struct outq;

/* Someone watching a transfer: the progress bar. */
struct watch {
	/* offset: bytes held before (a resumed get); size: bytes to come,
	 * or SIZE_UNKNOWN. */
	void	(*start)(void *ctx, uint64_t offset, uint64_t size);
	void	(*update)(void *ctx, uint64_t bytes);
	void	(*tick)(void *ctx);	/* a second passed with no packet */
	void *ctx;
};

/*
 * Where a download goes: the engine's sink callbacks, and for a resumed
 * one (get -a) the bytes already there.
 */
struct remote_sink {
	xfer_write_fn write;
	xfer_finish_fn finish;		/* only when every byte arrived */
	void *ctx;
	uint64_t offset;		/* bytes held already: asked for */
	/* Adds those bytes to the digest; 0, or -1 with errno. */
	int	(*hash_prefix)(void *ctx, struct digest *d);
	/* The server could not resume: start again from byte 0. */
	int	(*restart)(void *ctx);
	/* The size is announced: 0 when it fits, or -1 with errno. */
	int	(*expect)(void *ctx, uint64_t bytes);
	/*
	 * With stat in force, the file's size, mtime and mode as announced
	 * (docs/protocol.md, "File attributes"), before any byte: 0, or -1
	 * with errno.  NULL: not wanted.
	 */
	int	(*announced)(void *actx, const struct announce *a);
	void *actx;
};

struct remote {
	const struct client_config *cfg;
	int fd;				/* -1 when not connected */
	struct conn conn;
	int use_options;		/* negotiate on each connection */
	int negotiated;			/* this connection's OACK came */
	struct xfer_opts opts;		/* in force */
	const struct watch *watch;	/* of the transfer under way */
	char cwd[PATH_LEN_MAX + 1];	/* "" is the served root */
	char why[REMOTE_WHY_SIZE];	/* the last failure, one line */
	int errcode;			/* the server's ERR for it, or -1 */
	int integrity_failed;		/* it was a SUM mismatch */
	int refused;			/* the ERR answered the request itself */
	enum digest_alg verified;	/* the last transfer's check, if any */
	/*
	 * A pipeline run (pipeline_run.c): requests other than WRQ were
	 * written ahead, so a request only reads its answer, and a
	 * download's final ACK joins the bytes written ahead (outq.h).  NULL outside a run.
	 */
	struct outq *ahead;
	uint16_t final_block;		/* a pipelined upload's last DAT */
	int hold_int;			/* Ctrl-C waits: an answer is due */
	/*
	 * pipeline is asked for in runs only: a lone request goes as
	 * without it (a WRQ waits for its ACK 0, so an upload the server
	 * refuses costs no data).  An OPT goes in front of the next request
	 * when the wish changed since the last one sent.
	 */
	int want_pipeline, asked_pipeline;
	/*
	 * The attributes the next WRQ gives its file (OPT_MTIME, OPT_MODE:
	 * "File attributes"), spent by it; and the options asked for with
	 * the last request, whose OACK a pipelined upload reads later.
	 */
	struct announce announced;	/* the last download's OACK */
	unsigned next_attrs;
	uint64_t next_mtime;
	unsigned next_mode;
	int opt_sent;
	struct xfer_opts asked;
	/*
	 * Resumable uploads (docs/protocol.md): the next WRQ asks the server
	 * for what it keeps of a file of resume_size bytes; resumed_at says
	 * where the last upload went on from (0: the start).
	 */
	int want_resume;
	uint64_t resume_size, resumed_at;
};

void	remote_init(struct remote *r, const struct client_config *cfg);

/*
 * Connects, reads the greeting (printed escaped unless quiet or !show)
 * and acknowledges it.  Options are negotiated with the first request.
 * Already connected, it connects again only if the server has ended the
 * session meanwhile (its idle timeout, say).  RC_OK or RC_LOST.
 */
int	remote_connect(struct remote *r, int show_greeting);
void	remote_disconnect(struct remote *r);

/*
 * Downloads path (op PKT_RRQ) or its listing (PKT_DRQ) into the sink.
 * A file is checked against the server's SUM when a digest is in force
 * (r->verified says which), from the sink's offset when it has one.
 * RC_OK, RC_FAILED or RC_LOST with the reason in r->why.
 */
int	remote_download(struct remote *r, enum pkt_op op, const char *path,
	    const struct remote_sink *sink, const struct watch *w);

/*
 * Uploads size bytes from the source to path, with a SUM when a digest
 * is in force.  As remote_download.
 */
int	remote_upload(struct remote *r, const char *path, xfer_read_fn read,
	    void *ctx, uint64_t size, const struct watch *w);

/*
 * Skips an upload source's first bytes, adding them to the digest (d
 * NULL: none in force), so that it reads on from there.  0, or -1 with
 * errno.
 */
typedef int	(*remote_skip_fn)(void *ctx, uint64_t bytes, struct digest *d);

/*
 * put -a: as remote_upload, but asks the server (resume, with the
 * digest in force) for what it kept of an earlier upload of path from
 * this client, and sends only the rest (skip); r->resumed_at says from
 * where.  A server that keeps nothing, or offers no resuming, takes the
 * whole file as remote_upload's does.
 */
int	remote_upload_resume(struct remote *r, const char *path,
	    xfer_read_fn read, remote_skip_fn skip, void *ctx, uint64_t size,
	    const struct watch *w);

/*
 * Pipelined (protocol.md, "Pipelining"): the one answer to an upload sent
 * whole, whose final DAT was block; asked (NULL: none) the options of
 * the OPT sent before its WRQ, whose OACK comes first.  As
 * remote_download.
 */
int	remote_upload_answer(struct remote *r, uint16_t block,
	    const struct xfer_opts *asked);

/* Makes the directory path (MKD).  As remote_download. */
int	remote_mkdir(struct remote *r, const char *path);

/*
 * A request that changes one entry and is answered by ACK 0: MKD, and
 * the users extension's (docs/protocol.md, "Delete and rename"), which
 * remove path (PKT_DEL, PKT_RMD) or give it the name to (PKT_RNM; to is
 * NULL otherwise).  As remote_download; RC_LOST once connected means
 * the change may or may not have been made.
 */
int	remote_entry(struct remote *r, enum pkt_op op, const char *path,
	    const char *to);

#endif
