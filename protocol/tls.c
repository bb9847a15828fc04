/*
 * TLS 1.3 under conn (see tls.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "tls.h"

/*
 * Read buffer: four full records, so that one read(2) takes several of
 * them (read-ahead) instead of a header and a body each.
 */
#define TLS_READ_BUFFER	(4 * (SSL3_RT_MAX_PLAIN_LENGTH + \
	    SSL3_RT_MAX_ENCRYPTED_OVERHEAD))

/*
 * Write buffer: records are gathered here and go out four at a time, one
 * write(2) for what would be four (tls_push sends the rest).
 */
#define TLS_WRITE_BUFFER	(4 * (SSL3_RT_MAX_PLAIN_LENGTH + \
	    SSL3_RT_MAX_ENCRYPTED_OVERHEAD))

static const char *reason(void);
static int	attach(SSL *, int);
static int	io_failed(SSL *, int, const char **);

/* OpenSSL's reason for the last failure, or a generic one. */
static const char *
reason(void)
{
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	return r != NULL ? r : "TLS failure";
}

SSL_CTX *
tls_context(enum tls_role role, char *why, size_t whylen)
{
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(role == TLS_SERVER ? TLS_server_method() :
	    TLS_client_method());
	if (ctx == NULL) {
		snprintf(why, whylen, "TLS context: %s", reason());
		return NULL;
	}
	/*
	 * No compression and no renegotiation: TLS 1.3 has neither, and the
	 * options keep them off should a build allow an older version.  No
	 * tickets: resumption is not offered, and a ticket would be bytes
	 * the client did not ask for.  An EOF without close_notify is an
	 * ordinary end: the protocol's framing (a short DAT, an ACK, an
	 * ERR) tells a whole exchange from a cut one, and a peer killed
	 * mid-session sends none.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
	    SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, TLS_READ_BUFFER);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, TLS_CIPHERSUITES) != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 0) != 1) {
		snprintf(why, whylen, "TLS context: %s", reason());
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (role == TLS_CLIENT) {
		/*
		 * The chain is checked, but a failure does not end the
		 * handshake: the caller accepts a pinned key instead.
		 */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		if (SSL_CTX_set_default_verify_paths(ctx) != 1)
			ERR_clear_error();	/* no trust store: pins only */
	}
	return ctx;
}

/*
 * ssl reads the socket fd straight, and writes it through a buffer of
 * TLS_WRITE_BUFFER.  0, or -1.
 */
static int
attach(SSL *ssl, int fd)
{
	BIO *sock, *buf = NULL;

	if ((sock = BIO_new_socket(fd, BIO_NOCLOSE)) == NULL ||
	    (buf = BIO_new(BIO_f_buffer())) == NULL ||
	    BIO_set_write_buffer_size(buf, TLS_WRITE_BUFFER) != 1 ||
	    BIO_up_ref(sock) != 1) {
		BIO_free(buf);
		BIO_free(sock);
		return -1;
	}
	/* One reference each for the read side and the chain's end. */
	SSL_set_bio(ssl, sock, BIO_push(buf, sock));
	return 0;
}

SSL *
tls_new(SSL_CTX *ctx, enum tls_role role, int fd, const char *host,
    char *why, size_t whylen)
{
	unsigned char addr[sizeof(struct in6_addr)];
	X509_VERIFY_PARAM *param;
	union {
		const char *in;
		char *out;
	} name;
	SSL *ssl;
	int ok, literal;

	ERR_clear_error();
	if ((ssl = SSL_new(ctx)) == NULL || attach(ssl, fd) == -1) {
		snprintf(why, whylen, "TLS: %s", reason());
		SSL_free(ssl);
		return NULL;
	}
	if (role == TLS_SERVER) {
		SSL_set_accept_state(ssl);
		return ssl;
	}
	SSL_set_connect_state(ssl);
	if (host == NULL)
		return ssl;
	/* A name is sent (SNI) and checked; an address is only checked. */
	literal = inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1;
	param = SSL_get0_param(ssl);
	/* The SNI macro casts its argument to void *: only the type is
	 * const, OpenSSL copies the name. */
	name.in = host;
	if (literal)
		ok = X509_VERIFY_PARAM_set1_ip_asc(param, host);
	else
		ok = SSL_set_tlsext_host_name(ssl, name.out) == 1 &&
		    SSL_set1_host(ssl, host) == 1;
	if (ok != 1) {
		snprintf(why, whylen, "TLS: %s: %s", host, reason());
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

/*
 * A call that returned ret <= 0, as a system call's failure: -1 with
 * errno, or 0 for the peer's close.
 */
static int
io_failed(SSL *ssl, int ret, const char **why)
{
	int saved = errno;

	switch (SSL_get_error(ssl, ret)) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		/* A blocking socket wants more only when interrupted. */
		errno = saved == EAGAIN || saved == EWOULDBLOCK ? saved :
		    EINTR;
		return -1;
	case SSL_ERROR_SYSCALL:
		if (saved == 0)
			saved = ECONNRESET;
		if (ERR_peek_last_error() == 0) {
			errno = saved;
			return -1;
		}
		break;
	default:
		break;
	}
	*why = reason();
	ERR_clear_error();
	errno = EPROTO;
	return -1;
}

int
tls_handshake(SSL *ssl, const char **why)
{
	int r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_do_handshake(ssl)) == 1)
		return 0;
	if (io_failed(ssl, r, why) == 0) {
		*why = "connection closed during the TLS handshake";
		errno = EPROTO;
	}
	return -1;
}

ssize_t
tls_read(SSL *ssl, void *buf, size_t len, const char **why)
{
	size_t n;
	int r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_read_ex(ssl, buf, len, &n)) == 1)
		return (ssize_t)n;
	return io_failed(ssl, r, why);
}

ssize_t
tls_write(SSL *ssl, const void *buf, size_t len, const char **why)
{
	size_t n;
	int r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_write_ex(ssl, buf, len, &n)) == 1)
		return (ssize_t)n;
	if (io_failed(ssl, r, why) == 0) {
		*why = "connection closed";
		errno = EPIPE;
	}
	return -1;
}

int
tls_push(SSL *ssl)
{
	BIO *out = SSL_get_wbio(ssl);
	int saved;

	errno = 0;
	if (BIO_flush(out) == 1)
		return 0;
	saved = errno;
	if (BIO_should_retry(out))
		errno = saved == EAGAIN || saved == EWOULDBLOCK ? saved :
		    EINTR;
	else if (saved == 0)
		errno = EPIPE;
	return -1;
}

size_t
tls_write_room(SSL *ssl)
{
	/* A TLS 1.3 record: 5 bytes of header, the content type, the tag. */
	const size_t framing = 5 + 1 + 16;
	size_t used = BIO_wpending(SSL_get_wbio(ssl));

	/* BIO_f_buffer copies a write only when it fits with a byte left. */
	if (used + framing + 1 >= TLS_WRITE_BUFFER)
		return 0;
	return TLS_WRITE_BUFFER - used - framing - 1;
}

int
tls_pending(const SSL *ssl)
{
	return SSL_has_pending(ssl);
}

void
tls_close(SSL *ssl)
{
	int fd, flags;

	if (ssl == NULL)
		return;
	/*
	 * close_notify only where the handshake finished and nothing
	 * failed; non-blocking, as the last words before a close must
	 * never hang (protocol.md section 8).
	 */
	fd = SSL_get_fd(ssl);
	if (SSL_is_init_finished(ssl) && !(SSL_get_shutdown(ssl) &
	    SSL_SENT_SHUTDOWN) && fd != -1 &&
	    (flags = fcntl(fd, F_GETFL)) != -1 &&
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) != -1) {
		(void)SSL_shutdown(ssl);
		(void)fcntl(fd, F_SETFL, flags);
	}
	ERR_clear_error();
	SSL_free(ssl);
}

int
tls_key_fingerprint(EVP_PKEY *key, char *out, size_t outlen)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned mdlen;
	int len, n;

	if (key == NULL || outlen < TLS_FINGERPRINT_LEN + 1 ||
	    (len = i2d_PUBKEY(key, &der)) <= 0)
		return -1;
	n = EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (n != 1)
		return -1;
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	/* ssh-keygen -l leaves out the padding. */
	while (n > 0 && b64[n - 1] == '=')
		n--;
	b64[n] = '\0';
	snprintf(out, outlen, "SHA256:%s", (const char *)b64);
	return 0;
}

int
tls_peer_fingerprint(SSL *ssl, char *out, size_t outlen)
{
	X509 *cert;
	int r;

	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL)
		return -1;
	r = tls_key_fingerprint(X509_get0_pubkey(cert), out, outlen);
	X509_free(cert);
	return r;
}

int
tls_peer_trusted(SSL *ssl)
{
	X509 *cert;

	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL)
		return 0;
	X509_free(cert);
	return SSL_get_verify_result(ssl) == X509_V_OK;
}
