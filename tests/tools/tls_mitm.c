/*
 * Test-only man in the middle for TLS (tests/client/test_tls.sh):
 *
 *   tls_mitm [-p] PORT
 *
 * Listens on 127.0.0.1 port 0 and prints "mitm port N", then "mitm key
 * SHA256:..." (a fresh Ed25519 key of its own, in a self-signed
 * certificate).  Each connection in turn is TLS-accepted with that key,
 * relayed in plaintext to a TLS connection of its own to 127.0.0.1 PORT
 * (the real server, whose certificate it does not check, as an attacker
 * would not), and when either side closes it prints "from client N
 * bytes": what the client sent through it.  Runs until killed.
 *
 * -p: it is a balancer instead, sending the server a PROXY v1 header
 * (client 192.0.2.7 port 5555) before its ClientHello, as HAProxy's
 * send-proxy does in front of a TLS server.
 */
#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tls.h"

#define PROXY_LINE	"PROXY TCP4 192.0.2.7 127.0.0.1 5555 10000\r\n"

static int	listen_any(uint16_t *);
static int	dial(uint16_t);
static unsigned long long relay(SSL *, SSL *);

static int
listen_any(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 8) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		err(1, "listen");
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
dial(uint16_t port)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Plaintext both ways until either side ends; bytes from the client. */
static unsigned long long
relay(SSL *client, SSL *server)
{
	struct pollfd pfd[2] = {
		{ SSL_get_fd(client), POLLIN, 0 },
		{ SSL_get_fd(server), POLLIN, 0 },
	};
	unsigned long long from_client = 0;
	char buf[16384];
	const char *why;
	ssize_t n;
	int i;

	for (;;) {
		if (!tls_pending(client) && !tls_pending(server) &&
		    poll(pfd, 2, -1) == -1)
			return from_client;
		for (i = 0; i < 2; i++) {
			SSL *in = i == 0 ? client : server;
			SSL *out = i == 0 ? server : client;

			if (!tls_pending(in) && !(pfd[i].revents &
			    (POLLIN | POLLHUP | POLLERR)))
				continue;
			if ((n = tls_read(in, buf, sizeof(buf), &why)) <= 0)
				return from_client;
			if (i == 0)
				from_client += (unsigned long long)n;
			if (tls_write(out, buf, (size_t)n, &why) != n ||
			    tls_push(out) == -1)
				return from_client;
		}
		pfd[0].revents = pfd[1].revents = 0;
	}
}

int
main(int argc, char *argv[])
{
	char why[256], fp[TLS_FINGERPRINT_LEN + 1];
	SSL_CTX *sctx, *cctx;
	SSL *front, *back;
	EVP_PKEY *key;
	X509 *cert;
	uint16_t port, server_port;
	int lfd, cfd, sfd, proxy = 0;
	const char *errstr;

	if (argc == 3 && strcmp(argv[1], "-p") == 0) {
		proxy = 1;
		argc--;
		argv++;
	}
	if (argc != 2)
		errx(2, "usage: tls_mitm [-p] PORT");
	server_port = (uint16_t)strtonum(argv[1], 1, 65535, &errstr);
	if (errstr != NULL)
		errx(2, "port %s: %s", argv[1], errstr);
	if ((sctx = tls_context(TLS_SERVER, why, sizeof(why))) == NULL ||
	    (cctx = tls_context(TLS_CLIENT, why, sizeof(why))) == NULL)
		errx(1, "%s", why);
	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL ||
	    (cert = tls_self_signed(key, "mitm", why, sizeof(why))) == NULL ||
	    SSL_CTX_use_certificate(sctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(sctx, key) != 1 ||
	    tls_key_fingerprint(key, fp, sizeof(fp)) == -1)
		errx(1, "the mitm's key");
	lfd = listen_any(&port);
	printf("mitm port %u\nmitm key %s\n", port, fp);
	fflush(stdout);
	for (;;) {
		if ((cfd = accept(lfd, NULL, NULL)) == -1)
			continue;
		front = back = NULL;
		sfd = dial(server_port);
		if (sfd != -1 && proxy && write(sfd, PROXY_LINE,
		    strlen(PROXY_LINE)) != (ssize_t)strlen(PROXY_LINE)) {
			close(sfd);
			sfd = -1;
		}
		if (sfd != -1 &&
		    (front = tls_new(sctx, TLS_SERVER, cfd, NULL, why,
		    sizeof(why))) != NULL &&
		    (back = tls_new(cctx, TLS_CLIENT, sfd, "127.0.0.1", why,
		    sizeof(why))) != NULL &&
		    tls_handshake(back, &errstr) == 0 &&
		    tls_handshake(front, &errstr) == 0) {
			printf("from client %llu bytes\n", relay(front, back));
			fflush(stdout);
		}
		tls_close(front);
		tls_close(back);
		close(cfd);
		if (sfd != -1)
			close(sfd);
	}
}
