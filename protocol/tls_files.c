/*
 * Keys and certificates on disk, for both ends (see tls.h).
 *
 * A file is written whole to a temporary name beside its own (mkstemp:
 * mode 0600 until chosen), synced, and linked into place without
 * replacing anything: two processes making one at once end with one, the
 * first, and a crash never leaves half a key under the real name.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "tls.h"

/* A self-signed certificate's life: the pin, not the date, is trusted. */
#define CERT_DAYS	(100 * 365)
/* The longest commonName (RFC 5280's ub-common-name). */
#define CN_MAX		64

static int	publish(const char *, mode_t, int (*)(FILE *, void *), void *,
		    char *, size_t);
static int	write_key(FILE *, void *);
static int	write_cert(FILE *, void *);
static EVP_PKEY	*read_key(const char *, char *, size_t);

void
tls_why(char *why, size_t whylen, const char *what)
{
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	snprintf(why, whylen, "%s: %s", what, r != NULL ? r : "failed");
	ERR_clear_error();
}

int
tls_mkdir(const char *dir, char *why, size_t whylen)
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
 * Writes a file of mode with emit(f, ctx) beside path and links it to
 * path, never replacing: 1 made, 0 another's is there, -1 with a reason.
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
		tls_why(why, whylen, path);
	return key;
}

EVP_PKEY *
tls_key_file(const char *path, int *made, char *why, size_t whylen)
{
	EVP_PKEY *key;
	int r;

	*made = 0;
	if (access(path, F_OK) == -1) {
		if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
			tls_why(why, whylen, "Ed25519 key");
			return NULL;
		}
		r = publish(path, 0600, write_key, key, why, whylen);
		EVP_PKEY_free(key);
		if (r == -1)
			return NULL;
		*made = r;
	}
	return read_key(path, why, whylen);
}

X509 *
tls_self_signed(EVP_PKEY *key, const char *cn, char *why, size_t whylen)
{
	char name_text[CN_MAX + 1];
	uint64_t serial;
	X509_NAME *name;
	X509 *cert;

	strlcpy(name_text, cn, sizeof(name_text));
	/* A positive serial of 63 random bits (RFC 5280, 4.1.2.2). */
	if ((cert = X509_new()) == NULL ||
	    X509_set_version(cert, X509_VERSION_3) != 1 ||
	    RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1 ||
	    ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert),
	    (serial >> 1) | 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), CERT_DAYS, 0,
	    NULL) == NULL ||
	    (name = X509_get_subject_name(cert)) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)name_text, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, name) != 1 ||
	    X509_set_pubkey(cert, key) != 1 ||
	    X509_sign(cert, key, NULL) <= 0) {
		tls_why(why, whylen, "self-signed certificate");
		X509_free(cert);
		return NULL;
	}
	return cert;
}

int
tls_cert_file(const char *path, X509 *cert, char *why, size_t whylen)
{
	return publish(path, 0644, write_cert, cert, why, whylen) == -1 ?
	    -1 : 0;
}
