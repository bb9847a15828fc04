/*
 * The client's TLS (docs/protocol.md, "TLS" and "Known hosts"): its own
 * key, and the verification of every server, always on.  A server is
 * accepted when its certificate chains to the system's trust store and
 * names HOST; otherwise by its key, pinned in known_hosts: at first
 * contact at a terminal the user is asked, as ssh asks; in a batch or one
 * command only --accept-new or --host-key pins it.  A key that differs
 * from the pinned one is refused, before a byte of the protocol is sent.
 */
#ifndef TLS_CLIENT_H
#define TLS_CLIENT_H

#include <stddef.h>

#include "args.h"
#include "conn.h"

/*
 * At start, before any connection: prints the client's own fingerprint
 * and exits with --fingerprint; refuses plaintext to a host pinned to
 * TLS; with --tls, loads the client's key (made on first use) and the
 * trust store.  0 to go on, or the exit status after a one-line reason.
 */
int	tls_client_init(const struct client_config *cfg);

/*
 * Right after conn's socket to cfg's host is connected, its clock
 * running: the handshake and the verification above.  0, or -1 with the
 * reason in why (the caller disconnects).
 */
int	tls_client_start(struct conn *conn, const struct client_config *cfg,
	    char *why, size_t whylen);

#endif
