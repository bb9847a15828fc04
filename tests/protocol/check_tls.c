/*
 * Framed packet I/O over TLS (protocol/conn.c on protocol/tls.c), over a
 * socketpair: the peer is a forked process with a conn of its own.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <openssl/evp.h>

#include "conn.h"
#include "tls.h"
#include "conn_pair.h"
#include "check_main.h"

#define NDATS	16

static SSL_CTX *server_ctx, *client_ctx;
static char server_fp[TLS_FINGERPRINT_LEN + 1];

static void
setup(void)
{
	char why[256];
	EVP_PKEY *key;
	X509 *cert;

	conn_pair_open();
	server_ctx = tls_context(TLS_SERVER, why, sizeof(why));
	client_ctx = tls_context(TLS_CLIENT, why, sizeof(why));
	ck_assert_ptr_nonnull(server_ctx);
	ck_assert_ptr_nonnull(client_ctx);
	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ck_assert_ptr_nonnull(key);
	cert = tls_self_signed(key, "check", why, sizeof(why));
	ck_assert_ptr_nonnull(cert);
	ck_assert_int_eq(SSL_CTX_use_certificate(server_ctx, cert), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(server_ctx, key), 1);
	ck_assert_int_eq(tls_key_fingerprint(key, server_fp,
	    sizeof(server_fp)), 0);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void
teardown(void)
{
	conn_pair_close();
	SSL_CTX_free(server_ctx);
	SSL_CTX_free(client_ctx);
}

/* The peer's side: a server conn over sv[1], after its handshake. */
static int
peer_start(struct conn *p)
{
	char why[256];
	SSL *ssl;

	close(sv[0]);
	if (conn_init(p, sv[1], NULL, NULL) == -1 ||
	    (ssl = tls_new(server_ctx, TLS_SERVER, sv[1], NULL, why,
	    sizeof(why))) == NULL)
		return -1;
	return conn_tls_start(p, ssl) == CONN_OK ? 0 : -1;
}

/* Our side: a client conn over sv[0]. */
static enum conn_status
client_start(void)
{
	char why[256];
	SSL *ssl;

	ssl = tls_new(client_ctx, TLS_CLIENT, sv[0], "check", why,
	    sizeof(why));
	ck_assert_ptr_nonnull(ssl);
	return conn_tls_start(&c, ssl);
}

static void
peer_done(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}

START_TEST(packets_both_ways_then_close_notify)
{
	static const uint8_t rrq[] = "\0\1some/file\0octet";
	static uint8_t data[] = "hello, inside TLS";
	uint8_t hdr[PKT_DAT_HDR_LEN] = { 0, 3, 0, 1, 0, sizeof(data) };
	char fp[TLS_FINGERPRINT_LEN + 1];
	struct iovec iov[3];
	struct conn peer;
	struct pkt p;
	pid_t pid;

	if ((pid = fork()) == 0) {
		if (peer_start(&peer) == -1 ||
		    conn_recv(&peer, 512, &p) != CONN_OK || p.op != PKT_RRQ ||
		    strcmp(p.u.req.path, "some/file") != 0)
			_exit(1);
		/* A DAT in three pieces, then two ACKs, the first held. */
		iov[0].iov_base = hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = data;
		iov[1].iov_len = 5;
		iov[2].iov_base = data + 5;
		iov[2].iov_len = sizeof(data) - 5;
		if (conn_sendv(&peer, iov, 3) != CONN_OK ||
		    conn_send_more(&peer, "\0\4\0\7", 4) != CONN_OK ||
		    conn_send_ack(&peer, 8) != CONN_OK)
			_exit(1);
		conn_free(&peer);	/* close_notify */
		_exit(0);
	}
	ck_assert_int_eq(client_start(), CONN_OK);
	ck_assert_int_eq(tls_peer_fingerprint(c.tls, fp, sizeof(fp)), 0);
	ck_assert_str_eq(fp, server_fp);
	ck_assert_int_eq(tls_peer_trusted(c.tls), 0);	/* self-signed */
	ck_assert_int_eq(conn_send(&c, rrq, sizeof(rrq)), CONN_OK);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_DAT);
	ck_assert_uint_eq(p.u.dat.size, sizeof(data));
	ck_assert_mem_eq(p.u.dat.data, data, sizeof(data));
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_uint_eq(p.u.ack.block, 7);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_uint_eq(p.u.ack.block, 8);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_EOF);
	peer_done(pid);
}
END_TEST

START_TEST(large_gather_list_arrives_whole)
{
	static uint8_t data[NDATS][BLKSIZE_MAX];
	uint8_t hdr[NDATS][PKT_DAT_HDR_LEN];
	struct iovec iov[2 * NDATS];
	struct conn peer;
	struct pkt p;
	pid_t pid;
	int i;

	for (i = 0; i < NDATS; i++) {
		memset(data[i], 'a' + i, sizeof(data[i]));
		pkt_put_dat_header(hdr[i], (uint16_t)(i + 1), BLKSIZE_MAX);
		iov[2 * i].iov_base = hdr[i];
		iov[2 * i].iov_len = sizeof(hdr[i]);
		iov[2 * i + 1].iov_base = data[i];
		iov[2 * i + 1].iov_len = sizeof(data[i]);
	}
	if ((pid = fork()) == 0) {
		/* A megabyte: far more than the socket and wbuf hold. */
		if (peer_start(&peer) == -1 ||
		    conn_sendv(&peer, iov, 2 * NDATS) != CONN_OK)
			_exit(1);
		conn_free(&peer);
		_exit(0);
	}
	ck_assert_int_eq(client_start(), CONN_OK);
	for (i = 0; i < NDATS; i++) {
		ck_assert_int_eq(conn_recv(&c, BLKSIZE_MAX, &p), CONN_OK);
		ck_assert_uint_eq(p.u.dat.block, (unsigned)(i + 1));
		ck_assert_uint_eq(p.u.dat.size, BLKSIZE_MAX);
		ck_assert_mem_eq(p.u.dat.data, data[i], BLKSIZE_MAX);
	}
	ck_assert_int_eq(conn_recv(&c, BLKSIZE_MAX, &p), CONN_EOF);
	peer_done(pid);
}
END_TEST

START_TEST(silent_peer_handshake_asks_the_hook)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);		/* no SA_RESTART */
	alarm(1);
	/* sv[1] never answers the ClientHello. */
	ck_assert_int_eq(client_start(), CONN_TIMEOUT);
}
END_TEST

START_TEST(tls12_peer_is_refused)
{
	char why[256];
	SSL_CTX *old;
	SSL *ssl;
	pid_t pid;

	if ((pid = fork()) == 0) {
		close(sv[0]);
		/* A peer that offers TLS 1.2 at most. */
		old = SSL_CTX_new(TLS_client_method());
		if (old == NULL ||
		    SSL_CTX_set_max_proto_version(old, TLS1_2_VERSION) != 1 ||
		    (ssl = SSL_new(old)) == NULL ||
		    SSL_set_fd(ssl, sv[1]) != 1)
			_exit(1);
		_exit(SSL_connect(ssl) == 1 ? 1 : 0);
	}
	close(sv[1]);
	sv[1] = -1;
	ssl = tls_new(server_ctx, TLS_SERVER, sv[0], NULL, why, sizeof(why));
	ck_assert_ptr_nonnull(ssl);
	ck_assert_int_eq(conn_tls_start(&c, ssl), CONN_IO);
	ck_assert_str_eq(conn_status_str(&c, CONN_IO),
	    "unsupported protocol");
	peer_done(pid);
}
END_TEST

START_TEST(nowait_err_inside_tls)
{
	struct conn peer;
	struct pkt p;
	pid_t pid;

	if ((pid = fork()) == 0) {
		if (peer_start(&peer) == -1 ||
		    conn_send_err_nowait(&peer, 5, "Idle timeout") != 0)
			_exit(1);
		conn_free(&peer);
		_exit(0);
	}
	ck_assert_int_eq(client_start(), CONN_OK);
	ck_assert_int_eq(conn_recv(&c, 512, &p), CONN_OK);
	ck_assert_int_eq(p.op, PKT_ERR);
	ck_assert_uint_eq(p.u.err.code, 5);
	ck_assert_str_eq(p.u.err.msg, "Idle timeout");
	peer_done(pid);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("conn over TLS");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, packets_both_ways_then_close_notify);
	tcase_add_test(tc, large_gather_list_arrives_whole);
	tcase_add_test(tc, silent_peer_handshake_asks_the_hook);
	tcase_add_test(tc, tls12_peer_is_refused);
	tcase_add_test(tc, nowait_err_inside_tls);
	suite_add_tcase(s, tc);
	return s;
}
