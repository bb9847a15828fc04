/*
 * TLS 1.3 under conn (docs/protocol.md, "TLS"): the one file that knows
 * OpenSSL's I/O.  Contexts allow TLS 1.3 only, AES-GCM and
 * ChaCha20-Poly1305, no compression, no renegotiation and no session
 * tickets (nothing is ever sent that the peer did not ask for, so a quiet
 * socket between requests still means a quiet peer).
 *
 * The socket stays blocking, as a plaintext conn's is: a call that the
 * owner's tick interrupts comes back from OpenSSL as SSL_ERROR_WANT_READ
 * or _WRITE, which these functions report as EINTR, so that conn asks its
 * owner's hook whether to go on, exactly as for recv(2) and sendmsg(2).
 * The calls below return as system calls do: a count, 0 for the peer's
 * close, or -1 with errno; EPROTO is a TLS failure, and then *why names
 * it (OpenSSL's static reason text).
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

/* The suites allowed, in the server's order of preference. */
#define TLS_CIPHERSUITES	"TLS_AES_128_GCM_SHA256:" \
	"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

/* "SHA256:" and 43 characters of unpadded base64 (ssh-keygen -l). */
#define TLS_FINGERPRINT_LEN	(7 + 43)

enum tls_role {
	TLS_SERVER,
	TLS_CLIENT,
};

/*
 * A context with the rules above.  A client's also loads the system's
 * trust store, and verifies without failing the handshake: the caller
 * judges the result (tls_peer_trusted) and, failing that, the pinned key.
 * Returns NULL with a reason in why.
 */
SSL_CTX	*tls_context(enum tls_role role, char *why, size_t whylen);

/*
 * One connection's TLS over the connected socket fd (not taken), in role's
 * part.  For a client, host is the name (or address) the certificate must
 * name.  Returns NULL with a reason in why.
 */
SSL	*tls_new(SSL_CTX *ctx, enum tls_role role, int fd, const char *host,
	    char *why, size_t whylen);

/* One step of the handshake: 0 done, or -1 with errno (EINTR: again). */
int	tls_handshake(SSL *ssl, const char **why);

ssize_t	tls_read(SSL *ssl, void *buf, size_t len, const char **why);
ssize_t	tls_write(SSL *ssl, const void *buf, size_t len, const char **why);

/*
 * tls_write's records are gathered in a buffer: this sends what it holds.
 * 0, or -1 with errno (EINTR: again).
 */
int	tls_push(SSL *ssl);

/*
 * The plaintext bytes one tls_write can take now without touching the
 * socket: what the write buffer has room for, less a record's framing.
 * A write of at most that many never waits and never leaves a record half
 * written, so nothing has to be retried with the same bytes.
 */
size_t	tls_write_room(SSL *ssl);

/* 1 when decrypted bytes wait inside OpenSSL (no read needed for them). */
int	tls_pending(const SSL *ssl);

/*
 * Sends close_notify if the socket takes it at once (never waits), then
 * frees ssl.
 */
void	tls_close(SSL *ssl);

/*
 * The fingerprint of a public key: "SHA256:" and the unpadded base64 of
 * the SHA-256 of its DER SubjectPublicKeyInfo, NUL-terminated in
 * out[TLS_FINGERPRINT_LEN + 1].  0, or -1.
 */
int	tls_key_fingerprint(EVP_PKEY *key, char *out, size_t outlen);

/* The same for the peer's certificate's key, after the handshake. */
int	tls_peer_fingerprint(SSL *ssl, char *out, size_t outlen);

/*
 * 1 when the peer's certificate chains to the trust store and names the
 * host given to tls_new; 0 otherwise (a self-signed one, say).
 */
int	tls_peer_trusted(SSL *ssl);

/*
 * Keys and certificates on disk (tls_files.c), for the server's identity
 * and the client's own key.
 */

/* OpenSSL's reason for the last failure, after what, into why. */
void	tls_why(char *why, size_t whylen, const char *what);

/* mkdir -p dir, each directory made 0700.  0, or -1 with a reason. */
int	tls_mkdir(const char *dir, char *why, size_t whylen);

/*
 * The private key in path (PEM); where there is none, an Ed25519 key is
 * made first (mode 0600, linked into place without replacing another's:
 * *made is 1).  NULL with a reason.
 */
EVP_PKEY *tls_key_file(const char *path, int *made, char *why,
	    size_t whylen);

/* A self-signed certificate of key, naming cn.  NULL with a reason. */
X509	*tls_self_signed(EVP_PKEY *key, const char *cn, char *why,
	    size_t whylen);

/*
 * Writes cert to path (PEM, mode 0644) unless a file is there already.
 * 0, or -1 with a reason.
 */
int	tls_cert_file(const char *path, X509 *cert, char *why,
	    size_t whylen);

#endif
