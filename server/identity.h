/*
 * The server's TLS identity (docs/protocol.md, "TLS"): its key and
 * certificate, given with --tls-cert and --tls-key, or made on first start
 * in the state directory as sshd's host keys are, and the context every
 * child's handshake uses.  Read by the parent before any sandbox; no
 * descriptor to a key file stays open, so no child ever holds one.
 */
#ifndef IDENTITY_H
#define IDENTITY_H

#include <stddef.h>

#include "config.h"
#include "conn.h"
#include "tls.h"

/*
 * The state directory: --state, or /var/lib/fileserver for root, or
 * $XDG_STATE_HOME/fileserver, or ~/.local/state/fileserver.  0, or -1
 * with a reason.
 */
int	identity_state_dir(const struct server_config *cfg, char *out,
	    size_t outlen, char *why, size_t whylen);

/*
 * Loads the identity, making it first where there is none (an Ed25519 key,
 * mode 0600, and a self-signed certificate naming this host), refusing a
 * key or state directory inside the served directory (served_dir, or
 * NULL when there is none to check).  Builds the server context in *ctx
 * and writes the key's fingerprint (tls.h) into fp.  0, or -1 with a
 * reason.
 */
int	identity_load(const struct server_config *cfg, const char *served_dir,
	    SSL_CTX **ctx, char *fp, size_t fplen, char *why, size_t whylen);

/*
 * In the child, sandboxed: the handshake on c (conn_tls_start), within
 * the idle timeout.  0, or -1 after logging why it failed.
 */
int	identity_accept(struct conn *c, SSL_CTX *ctx);

#endif
