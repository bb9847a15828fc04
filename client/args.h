/*
 * The client's command line (interface.md, "client"), parsed into one
 * read-only configuration.
 */
#ifndef ARGS_H
#define ARGS_H

#include <stdint.h>

#include "digest.h"

#define CLIENT_BLKSIZE_DEFAULT		65464
#define CLIENT_WINDOWSIZE_DEFAULT	32	/* fastest measured here (issue 5) */
/* The Debian package's port, for HOST without :PORT (interface.md). */
#define CLIENT_PORT_DEFAULT		"10000"
/* A host name or address literal: getaddrinfo's NI_MAXHOST. */
#define CLIENT_HOST_LEN_MAX		1024

struct client_config {
	const char *host;		/* host_buf: HOST without [] or :PORT */
	const char *port;		/* PORT, or CLIENT_PORT_DEFAULT */
	char host_buf[CLIENT_HOST_LEN_MAX + 1];
	const char *batch;		/* -b FILE, or NULL */
	int force;			/* -f */
	int quiet;			/* -q */
	unsigned timeout;		/* -t, seconds */
	uint16_t blksize;		/* -B */
	uint16_t windowsize;		/* -w */
	int no_options;			/* --no-options */
	enum digest_alg digest;		/* --digest; DIGEST_NONE: none */
	unsigned text_flags;		/* text_escape's, from the locale */
	int tls;			/* --tls */
	int accept_new;			/* --accept-new */
	const char *host_key;		/* --host-key SHA256:..., or NULL */
	const char *identity;		/* -i FILE, or NULL: the default */
	int fingerprint;		/* --fingerprint: print it, exit */
	char **cmd;			/* COMMAND [ARG ...], or NULL */
	int ncmd;
};

/*
 * Fills *cfg from argv.  Exits 0 after -h or -V, and 2 with a reason and
 * the usage line on standard error when the arguments are wrong.
 */
void	args_parse(struct client_config *cfg, int argc, char *argv[]);

#endif
