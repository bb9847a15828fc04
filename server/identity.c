/*
 * The server's TLS identity (see identity.h).
 *
 * Made once, by whichever server starts first: the key and the
 * certificate are each written to a temporary file (mkstemp: mode 0600),
 * synced, and linked into place without replacing anything, so that two
 * servers starting together over one state directory (the cluster's
 * instances) end with one key, and a crash never leaves half a key under
 * the real name.  A certificate is always made from the key on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "identity.h"
#include "log.h"

#define KEY_NAME	"tls-key.pem"
#define CERT_NAME	"tls-cert.pem"
/* A generated certificate's life: the pin, not the date, is trusted. */
#define CERT_DAYS	(100 * 365)

static int	mkdir_parents(const char *, char *, size_t);
static int	inside(const char *, const char *);
static int	publish(const char *, mode_t, int (*)(FILE *, void *), void *,
		    char *, size_t);
static void	ssl_why(char *, size_t, const char *);
static int	write_key(FILE *, void *);
static int	write_cert(FILE *, void *);
static EVP_PKEY *read_key(const char *, char *, size_t);
static X509	*self_signed(EVP_PKEY *, char *, size_t);
static int	make_identity(const char *, const char *, char *, size_t);
static int	join(char *, size_t, const char *, const char *);

/* OpenSSL's reason for the last failure, after what. */
static void
ssl_why(char *why, size_t whylen, const char *what)
{
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	snprintf(why, whylen, "%s: %s", what, r != NULL ? r : "failed");
	ERR_clear_error();
}

int
identity_state_dir(const struct server_config *cfg, char *out,
    size_t outlen, char *why, size_t whylen)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (cfg->state_dir != NULL)
		n = snprintf(out, outlen, "%s", cfg->state_dir);
	else if (geteuid() == 0)
		n = snprintf(out, outlen, "/var/lib/fileserver");
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, outlen, "%s/fileserver", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(out, outlen, "%s/.local/state/fileserver", home);
	else {
		snprintf(why, whylen, "no state directory: HOME is not set "
		    "(give --state)");
		return -1;
	}
	if (n < 0 || (size_t)n >= outlen) {
		snprintf(why, whylen, "state directory: name too long");
		return -1;
	}
	return 0;
}

/* mkdir -p, each directory made 0700.  0, or -1 with a reason. */
static int
mkdir_parents(const char *dir, char *why, size_t whylen)
{
	char path[PATH_MAX], c;
	size_t i;

	if (strlcpy(path, dir, sizeof(path)) >= sizeof(path)) {
		snprintf(why, whylen, "%s: name too long", dir);
		return -1;
	}
	for (i = 1; ; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		c = path[i];
		path[i] = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			return -1;
		}
		path[i] = c;
		if (c == '\0')
			return 0;
	}
}

/*
 * 1 when path (resolved) is dir (resolved) or beneath it.  A path not
 * made yet is judged by its nearest ancestor that exists: what would be
 * made beneath it stays beneath it.
 */
static int
inside(const char *path, const char *dir)
{
	char rp[PATH_MAX], rd[PATH_MAX], up[PATH_MAX], *slash;
	size_t n;

	if (strlcpy(up, path, sizeof(up)) >= sizeof(up))
		return 0;
	while (realpath(up, rp) == NULL) {
		if (errno != ENOENT)
			return 0;
		if ((slash = strrchr(up, '/')) == NULL)
			strlcpy(up, ".", sizeof(up));
		else if (slash == up)
			up[1] = '\0';
		else
			*slash = '\0';
	}
	if (realpath(dir, rd) == NULL)
		return 0;
	n = strlen(rd);
	if (strcmp(rd, "/") == 0)
		return 1;
	return strncmp(rp, rd, n) == 0 && (rp[n] == '\0' || rp[n] == '/');
}

/*
 * Writes a file of mode with emit(f, ctx) beside path and links it to path,
 * never replacing: 1 made, 0 someone else's is there, -1 with a reason.
 */
static int
publish(const char *path, mode_t mode, int (*emit)(FILE *, void *),
    void *ctx, char *why, size_t whylen)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, ok, made;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp)) {
		snprintf(why, whylen, "%s: name too long", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) == -1 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	ok = emit(f, ctx) == 1 && fflush(f) == 0 && fsync(fd) == 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		snprintf(why, whylen, "%s: cannot write", tmp);
		unlink(tmp);
		return -1;
	}
	made = link(tmp, path) == 0;
	if (!made && errno != EEXIST) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	unlink(tmp);
	return made;
}

static int
write_key(FILE *f, void *key)
{
	return PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
}

static int
write_cert(FILE *f, void *cert)
{
	return PEM_write_X509(f, cert);
}

static EVP_PKEY *
read_key(const char *path, char *why, size_t whylen)
{
	EVP_PKEY *key;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL)
		ssl_why(why, whylen, path);
	return key;
}

/* A self-signed certificate for key, naming this host. */
static X509 *
self_signed(EVP_PKEY *key, char *why, size_t whylen)
{
	char host[256];
	uint64_t serial;
	X509_NAME *name;
	X509 *cert;

	if (gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	if (strlen(host) > 64)		/* the longest commonName */
		host[64] = '\0';
	if ((cert = X509_new()) == NULL ||
	    X509_set_version(cert, X509_VERSION_3) != 1 ||
	    RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1 ||
	    ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert),
	    serial >> 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), CERT_DAYS, 0,
	    NULL) == NULL ||
	    (name = X509_get_subject_name(cert)) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)host, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, name) != 1 ||
	    X509_set_pubkey(cert, key) != 1 ||
	    X509_sign(cert, key, NULL) <= 0) {
		ssl_why(why, whylen, "self-signed certificate");
		X509_free(cert);
		return NULL;
	}
	return cert;
}

/* dir/name into out[0..len): 0, or -1 when it does not fit. */
static int
join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * The state directory's key and certificate, made where missing.  0, or
 * -1 with a reason.
 */
static int
make_identity(const char *keypath, const char *certpath, char *why,
    size_t whylen)
{
	EVP_PKEY *key;
	X509 *cert;
	int r;

	if (access(keypath, F_OK) == -1) {
		if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
			ssl_why(why, whylen, "Ed25519 key");
			return -1;
		}
		r = publish(keypath, 0600, write_key, key, why, whylen);
		EVP_PKEY_free(key);
		if (r == -1)
			return -1;
		if (r == 1)
			log_notice("made a TLS key: %s", keypath);
	}
	if (access(certpath, F_OK) == 0)
		return 0;
	if ((key = read_key(keypath, why, whylen)) == NULL)
		return -1;
	cert = self_signed(key, why, whylen);
	EVP_PKEY_free(key);
	if (cert == NULL)
		return -1;
	r = publish(certpath, 0644, write_cert, cert, why, whylen);
	X509_free(cert);
	return r == -1 ? -1 : 0;
}

int
identity_load(const struct server_config *cfg, const char *served_dir,
    SSL_CTX **ctx, char *fp, size_t fplen, char *why, size_t whylen)
{
	char dir[PATH_MAX], keybuf[PATH_MAX], certbuf[PATH_MAX];
	const char *key = cfg->tls_key, *cert = cfg->tls_cert;
	struct stat st;

	*ctx = NULL;
	if (key == NULL) {
		if (identity_state_dir(cfg, dir, sizeof(dir), why, whylen) ==
		    -1)
			return -1;
		if (served_dir != NULL && inside(dir, served_dir)) {
			snprintf(why, whylen, "state directory %s is inside "
			    "the served directory %s: its key would be served",
			    dir, served_dir);
			return -1;
		}
		if (mkdir_parents(dir, why, whylen) == -1)
			return -1;
		if (join(keybuf, sizeof(keybuf), dir, KEY_NAME) == -1 ||
		    join(certbuf, sizeof(certbuf), dir, CERT_NAME) == -1) {
			snprintf(why, whylen, "%s: name too long", dir);
			return -1;
		}
		if (make_identity(keybuf, certbuf, why, whylen) == -1)
			return -1;
		key = keybuf;
		cert = certbuf;
	}
	if (served_dir != NULL && inside(key, served_dir)) {
		snprintf(why, whylen, "TLS key %s is inside the served "
		    "directory %s", key, served_dir);
		return -1;
	}
	/* As sshd: a key that others may read is no secret. */
	if (stat(key, &st) == 0 && (st.st_mode & 077) != 0)
		log_notice("warning: TLS key %s can be read by others "
		    "(mode %04o)", key, (unsigned)(st.st_mode & 07777));
	if ((*ctx = tls_context(TLS_SERVER, why, whylen)) == NULL)
		return -1;
	if (SSL_CTX_use_certificate_chain_file(*ctx, cert) != 1) {
		ssl_why(why, whylen, cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(*ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_why(why, whylen, key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(*ctx) != 1) {
		snprintf(why, whylen, "%s does not match the certificate %s",
		    key, cert);
		goto fail;
	}
	if (tls_key_fingerprint(X509_get0_pubkey(SSL_CTX_get0_certificate(
	    *ctx)), fp, fplen) == -1) {
		snprintf(why, whylen, "%s: no public key", cert);
		goto fail;
	}
	return 0;
fail:
	ERR_clear_error();
	SSL_CTX_free(*ctx);
	*ctx = NULL;
	return -1;
}

int
identity_accept(struct conn *c, SSL_CTX *ctx)
{
	enum conn_status cs;
	char why[256];
	SSL *ssl;

	if ((ssl = tls_new(ctx, TLS_SERVER, c->fd, NULL, why,
	    sizeof(why))) == NULL) {
		log_event("Closed: %s", why);
		return -1;
	}
	if ((cs = conn_tls_start(c, ssl)) != CONN_OK) {
		log_event("Closed: TLS handshake: %s",
		    conn_status_str(c, cs));
		return -1;
	}
	return 0;
}
