/*
 * The server's TLS identity (see identity.h).
 *
 * Made once, by whichever server starts first: the key and the
 * certificate are each linked into place without replacing anything
 * (tls_key_file, tls_cert_file), so two servers starting together over
 * one state directory (the cluster's instances) end with one key.  A
 * certificate is always made from the key on disk.
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
#include <openssl/x509.h>

#include "dirwalk.h"
#include "identity.h"
#include "log.h"

#define KEY_NAME	"tls-key.pem"
#define CERT_NAME	"tls-cert.pem"

static int	inside(const char *, const char *);
static int	make_identity(const char *, const char *, char *, size_t);
static int	join(char *, size_t, const char *, const char *);

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

/*
 * Whether path (which need not exist yet) lies in dir or beneath it: its
 * nearest existing directory is walked up by device and inode
 * (dirwalk.c), as the spool's place is judged, so neither a link nor a
 * bind mount nor a name's spelling can hide it.  A walk that cannot be
 * made counts as inside: the start-up is refused rather than risk it.
 */
static int
inside(const char *path, const char *dir)
{
	char up[PATH_MAX], *slash;
	struct stat top;
	int fd, rc;

	if (stat(dir, &top) == -1 ||
	    strlcpy(up, path, sizeof(up)) >= sizeof(up))
		return 1;
	while ((fd = open(up, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT && errno != ENOTDIR)
			return 1;
		if ((slash = strrchr(up, '/')) == NULL)
			strlcpy(up, ".", sizeof(up));
		else if (slash == up)
			up[1] = '\0';
		else
			*slash = '\0';
	}
	rc = dir_beneath(fd, &top);
	close(fd);
	return rc != 0;
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
	char host[256];
	EVP_PKEY *key;
	X509 *cert;
	int made, r;

	if ((key = tls_key_file(keypath, &made, why, whylen)) == NULL)
		return -1;
	if (made)
		log_notice("made a TLS key: %s", keypath);
	if (access(certpath, F_OK) == 0) {
		EVP_PKEY_free(key);
		return 0;
	}
	if (gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	cert = tls_self_signed(key, host, why, whylen);
	EVP_PKEY_free(key);
	if (cert == NULL)
		return -1;
	r = tls_cert_file(certpath, cert, why, whylen);
	X509_free(cert);
	return r;
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
		if (tls_mkdir(dir, why, whylen) == -1)
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
		tls_why(why, whylen, cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(*ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_why(why, whylen, key);
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
	log_debug("%s, %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
	return 0;
}
