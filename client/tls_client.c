/*
 * The client's TLS (see tls_client.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "known_hosts.h"
#include "signals.h"
#include "tls.h"
#include "tls_client.h"

#define OWN_KEY_NAME	"client-key.pem"
#define KNOWN_HOSTS	"known_hosts"
/* "[" IPv6 "]:" port, or a host name of up to 255 bytes and its port. */
#define ENTRY_MAX	(255 + 8)

/* The exit status when TLS cannot start: as for an unreachable server. */
#define TLS_EXIT	3

/* One context for the process, made by tls_client_init. */
static SSL_CTX *client_ctx;

static EVP_PKEY	*own_key(const struct client_config *, char *, size_t,
		    char *, size_t);
static int	ask(const char *, const char *);
/* Whom a handshake is with, and where its failure is said. */
struct peer {
	const struct client_config *cfg;
	char *why;
	size_t whylen;
};

static int	verify(const struct peer *, const char *);
static int	refuse(const struct peer *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* The client's key: -i FILE, or made on first use in the data dir. */
static EVP_PKEY *
own_key(const struct client_config *cfg, char *path, size_t pathlen,
    char *why, size_t whylen)
{
	int made;

	if (cfg->identity != NULL)
		strlcpy(path, cfg->identity, pathlen);
	else if (known_hosts_data_path(path, pathlen, OWN_KEY_NAME) == -1) {
		snprintf(why, whylen, "no place for the client's key (HOME is "
		    "not set): give -i FILE");
		return NULL;
	} else {
		char dir[PATH_MAX], *slash;

		strlcpy(dir, path, sizeof(dir));
		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		if (tls_mkdir(dir, why, whylen) == -1)
			return NULL;
	}
	/* A named key is never made: a typo must not become a new key. */
	if (cfg->identity != NULL && access(path, F_OK) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	return tls_key_file(path, &made, why, whylen);
}

int
tls_client_init(const struct client_config *cfg)
{
	char path[PATH_MAX], entry[ENTRY_MAX], fp[TLS_FINGERPRINT_LEN + 1];
	char why[PATH_MAX + 256];
	struct known_host kh;
	EVP_PKEY *key;
	X509 *cert = NULL;

	if (cfg->fingerprint) {
		if ((key = own_key(cfg, path, sizeof(path), why,
		    sizeof(why))) == NULL ||
		    tls_key_fingerprint(key, fp, sizeof(fp)) == -1) {
			fprintf(stderr, "client: %s\n", key == NULL ? why :
			    "no public key");
			EVP_PKEY_free(key);
			exit(1);
		}
		EVP_PKEY_free(key);
		printf("%s\n", fp);
		exit(0);
	}
	if (!cfg->tls) {
		/* Never in plaintext to a host pinned to TLS. */
		if (known_hosts_data_path(path, sizeof(path), KNOWN_HOSTS) ==
		    -1 || known_hosts_entry(entry, sizeof(entry), cfg->host,
		    cfg->port) == -1)
			return 0;
		if (known_hosts_find(path, entry, NULL, &kh, why,
		    sizeof(why)) == -1) {
			fprintf(stderr, "client: %s\n", why);
			return TLS_EXIT;
		}
		if (kh.found) {
			fprintf(stderr, "client: %s is pinned to TLS (%s, line "
			    "%u): refusing plaintext; use --tls\n", entry,
			    path, kh.line);
			return TLS_EXIT;
		}
		return 0;
	}
	if ((client_ctx = tls_context(TLS_CLIENT, why, sizeof(why))) ==
	    NULL) {
		fprintf(stderr, "client: %s\n", why);
		return TLS_EXIT;
	}
	/* Shown only to a server that asks for it. */
	if ((key = own_key(cfg, path, sizeof(path), why, sizeof(why))) ==
	    NULL || (cert = tls_self_signed(key, "fileclient", why,
	    sizeof(why))) == NULL ||
	    SSL_CTX_use_certificate(client_ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(client_ctx, key) != 1) {
		if (key != NULL && cert != NULL)
			tls_why(why, sizeof(why), path);
		fprintf(stderr, "client: %s\n", why);
		EVP_PKEY_free(key);
		X509_free(cert);
		return TLS_EXIT;
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	return 0;
}

static int
refuse(const struct peer *pe, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pe->why, pe->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * At a terminal, as ssh asks: yes to pin the key, no (or end of input,
 * or Ctrl-C) not to.
 */
static int
ask(const char *entry, const char *fp)
{
	char answer[16];
	size_t len;
	ssize_t n;
	char ch;

	fprintf(stderr, "The authenticity of host '%s' can't be "
	    "established.\nIts TLS key fingerprint is %s.\n"
	    "Are you sure you want to continue connecting (yes/no)? ",
	    entry, fp);
	for (;;) {
		fflush(stderr);
		len = 0;
		for (;;) {
			n = read(STDIN_FILENO, &ch, 1);
			if (n == -1 && errno == EINTR && !sig_intr_pending())
				continue;	/* the clock's tick */
			if (n != 1)
				return 0;
			if (ch == '\n')
				break;
			if (len < sizeof(answer) - 1)
				answer[len++] = ch;
		}
		answer[len] = '\0';
		if (strcmp(answer, "yes") == 0)
			return 1;
		if (strcmp(answer, "no") == 0)
			return 0;
		fprintf(stderr, "Please type 'yes' or 'no': ");
	}
}

/* The server's key fp, judged as tls_client.h says. */
static int
verify(const struct peer *pe, const char *fp)
{
	const struct client_config *cfg = pe->cfg;
	char path[PATH_MAX], entry[ENTRY_MAX], why[PATH_MAX + 256];
	struct known_host kh;
	int interactive;

	if (known_hosts_entry(entry, sizeof(entry), cfg->host, cfg->port) ==
	    -1)
		return refuse(pe, "%s: host name too long", cfg->host);
	if (known_hosts_data_path(path, sizeof(path), KNOWN_HOSTS) == -1)
		return refuse(pe, "%s: no known_hosts (HOME is not set)",
		    entry);
	if (known_hosts_find(path, entry, fp, &kh, why, sizeof(why)) == -1)
		return refuse(pe, "%s", why);
	if (kh.found && !kh.matched)
		return refuse(pe, "WARNING: the TLS key of %s has CHANGED: "
		    "pinned %s (%s, line %u), offered %s; someone may be "
		    "intercepting the connection: refusing", entry, kh.key,
		    path, kh.line, fp);
	if (cfg->host_key != NULL && strcmp(cfg->host_key, fp) != 0)
		return refuse(pe, "the TLS key of %s is %s, not %s as "
		    "--host-key says: refusing", entry, fp, cfg->host_key);
	if (kh.found)
		return 0;
	interactive = cfg->cmd == NULL && cfg->batch == NULL &&
	    isatty(STDIN_FILENO);
	if (cfg->host_key == NULL && !cfg->accept_new) {
		if (!interactive)
			return refuse(pe, "%s is not a known host (its TLS key "
			    "is %s): give --accept-new or --host-key to pin "
			    "it", entry, fp);
		if (!ask(entry, fp))
			return refuse(pe, "%s: host key not accepted", entry);
	}
	if (known_hosts_add(path, entry, fp, why, sizeof(why)) == -1)
		return refuse(pe, "%s", why);
	if (!cfg->quiet)
		fprintf(stderr, "client: pinned the TLS key of %s, %s, in "
		    "%s\n", entry, fp, path);
	return 0;
}

int
tls_client_start(struct conn *conn, const struct client_config *cfg,
    char *reason, size_t reasonlen)
{
	const struct peer pe = { cfg, reason, reasonlen };
	char why[256], fp[TLS_FINGERPRINT_LEN + 1];
	enum conn_status cs;
	SSL *ssl;

	if ((ssl = tls_new(client_ctx, TLS_CLIENT, conn->fd, cfg->host,
	    why, sizeof(why))) == NULL)
		return refuse(&pe, "%s", why);
	if ((cs = conn_tls_start(conn, ssl)) != CONN_OK)
		return refuse(&pe, "TLS handshake with %s port %s: %s%s",
		    cfg->host, cfg->port, conn_status_str(conn, cs),
		    cs == CONN_IO ? " (is the server started with --tls?)" :
		    "");
	if (tls_peer_trusted(ssl))
		return 0;
	if (tls_peer_fingerprint(ssl, fp, sizeof(fp)) == -1)
		return refuse(&pe, "%s port %s showed no key", cfg->host,
		    cfg->port);
	return verify(&pe, fp);
}
