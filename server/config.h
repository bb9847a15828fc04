/*
 * The server's command line (interface.md, "server"), parsed into one
 * read-only configuration that the rest of the server consults.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdint.h>

#include "log.h"

struct users;

/* The server's own ceilings for negotiated values (docs/protocol.md). */
#define SERVER_BLKSIZE_MAX	65464
#define SERVER_WINDOWSIZE_MAX	65535
/*
 * pipeline: at most this many requests ahead.  The answers to that many
 * uploads (516 bytes at most each) fit in any receive buffer, so the
 * server never waits to write them (protocol.md, "Pipelining").
 */
#define SERVER_PIPELINE_MAX	64
/*
 * Pipelined uploads held for one sync (syncfs) before they are published
 * and acknowledged together; each holds two descriptors, within the
 * child's 32 (harden.c).
 */
#define SERVER_HOLD_MAX		8
/*
 * An upload's mode option ("File attributes"): group and others never
 * write, and the owner (this server) can always read what it publishes,
 * so that it stays listed and served.
 */
#define SERVER_UPLOAD_MODE_MASK	0755
#define SERVER_UPLOAD_MODE_MIN	0400
#define SERVER_CLIENTS_MAX	4096
#define DRAIN_TIMEOUT_DEFAULT	60

/*
 * Memory per child (issue 13, finding 2).  A listing is held as its text
 * plus 4 bytes a line, within SERVER_LISTING_MAX: a million entries with
 * names of up to 40 bytes fit, or 230,000 of 255; a directory that needs
 * more is ERR 0.
 * Everything else a session holds is under a megabyte (a receive buffer
 * of 128 KiB, grown to 192 KiB once an upload's data is held there, and a
 * send stage of 128 KiB), so the child's data segment (RLIMIT_DATA) is
 * bounded at SERVER_CHILD_DATA_MAX, which a listing at its bound never
 * meets.
 */
/*
 * 1 in a build with AddressSanitizer (gcc says __SANITIZE_ADDRESS__,
 * clang __has_feature): its runtime reserves terabytes of address space
 * and spawns a symbolizer, which the child's limits must allow for.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SERVER_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SERVER_SANITIZED	1
#endif
#endif
#ifndef SERVER_SANITIZED
#define SERVER_SANITIZED	0
#endif

#define SERVER_LISTING_MAX	((size_t)64 << 20)
#define SERVER_CHILD_DATA_MAX	((size_t)128 << 20)
#define SERVER_SPARES_MAX	64

struct server_config {
	const char *dir;
	uint16_t port;
	unsigned timeout;		/* -t, seconds */
	unsigned max_clients;		/* -c */
	unsigned max_per_ip;		/* -p */
	int read_only;			/* -r */
	int has_max_upload;		/* -m given */
	uint64_t max_upload;		/* -m, bytes */
	const char *bind_addr;		/* -b, or NULL for all */
	const char *name;		/* -n, or NULL for the host name */
	const char *user;		/* -u, or NULL */
	enum log_level log_level;	/* -q, -v */
	const char *spool;		/* -s, or NULL: uploads in O_TMPFILE */
	/* Resumable uploads (docs/protocol.md): off without --parts. */
	const char *parts;		/* --parts, or NULL */
	unsigned part_ttl;		/* --part-ttl, seconds */
	uint64_t parts_max;		/* --parts-max, bytes */
	int proxy_protocol;		/* --proxy-protocol */
	unsigned drain_timeout;		/* --drain-timeout, seconds */
	unsigned spares;		/* --spares: children forked ahead */
	int inetd;			/* -i: the connection is stdin */
	int has_port;			/* PORT given (optional with -i or
					 * socket activation) */
	int use_syslog;			/* --syslog */
	int tls;			/* --tls */
	const char *tls_cert, *tls_key;	/* --tls-cert, --tls-key, or NULL */
	const char *state_dir;		/* --state, or NULL: the default */
	int fingerprint;		/* --fingerprint: print it, exit */
	const char *users_file;		/* --users, or NULL */
	const struct users *users;	/* with --users: the file read
					 * (users.h), set by main */
	struct ssl_ctx_st *tls_ctx;	/* with --tls: every child's context
					 * (identity.h), set by main */
};

/*
 * Fills *cfg from argv.  Exits 0 after -h or -V, and 2 with a reason and
 * the usage line on standard error when the arguments are wrong.  PORT
 * may be left out with -i, or when systemd passes sockets (LISTEN_PID is
 * this process): then cfg->has_port is 0.
 */
void	config_parse(struct server_config *cfg, int argc, char *argv[]);

/*
 * A bad argument found after parsing (a spool that cannot serve): the
 * reason and the usage line on standard error, exit 2, as config_parse.
 */
void	config_usage_error(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
