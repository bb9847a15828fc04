/*
 * server DIR PORT: serves one directory over TCP, a forked child per
 * connection; or, started by inetd (-i) or systemd (socket activation),
 * the connection or sockets it is given.  Kept thin so the logic links
 * into tests (style.md 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "child.h"
#include "config.h"
#include "conn.h"
#include "digestcache.h"
#include "harden.h"
#include "hashslot.h"
#include "identity.h"
#include "landlock.h"
#include "jail.h"
#include "listener.h"
#include "log.h"
#include "peer.h"
#include "session.h"
#include "signals.h"
#include "sockets.h"
#include "syscall_filter.h"
#include "testhook.h"
#include "users.h"

extern char **environ;

static void	log_sandbox(const struct server_config *,
		    const struct jail *);
static int	serve_one(int, const struct server_config *,
		    const struct jail *);
static int	load_identity(struct server_config *);
static void	announce(unsigned);
static int	load_users(struct server_config *, struct users *);
static int	open_sockets(const struct server_config *, struct sockets *,
		    int *);
static int	prepare(const struct server_config *, struct jail *, char *,
		    size_t);

/* What confines each child, said once at start-up (issue 13). */
static void
log_sandbox(const struct server_config *cfg, const struct jail *jail)
{
	char data[64];
	int abi = landlock_abi();

	if (harden_data_limit() > 0)
		snprintf(data, sizeof(data), "data limited to %zu MiB",
		    harden_data_limit() >> 20);
	else
		snprintf(data, sizeof(data), "no data limit (sanitizer "
		    "build)");
	/* The spool and the parts are the other places a child may write. */
	if (abi > 0)
		log_notice("sandbox: Landlock ABI %d (beneath %s%s%s%s%s "
		    "only), seccomp %s, %s per child", abi, cfg->dir,
		    cfg->spool != NULL ? " and the spool " : "",
		    cfg->spool != NULL ? cfg->spool : "",
		    cfg->parts != NULL ? " and the parts " : "",
		    cfg->parts != NULL ? cfg->parts : "",
		    filter_available() ? "allow-list" : "not in this kernel",
		    data);
	else
		log_notice("sandbox: no Landlock in this kernel, seccomp %s, "
		    "%s per child", filter_available() ? "allow-list" :
		    "not in this kernel", data);
	if (jail->procfd != -1)
		log_notice("warning: Linux before 6.10: each child keeps a "
		    "descriptor to /proc, to link its uploads as %s",
		    cfg->user);
	if (cfg->user == NULL && geteuid() == 0)
		log_notice("warning: running as root without -u: each child "
		    "keeps root's privileges, held only by Landlock, the "
		    "seccomp filter and openat2");
}

/*
 * One connection, as from inetd: the process is its own child.  Standard
 * error may be the socket itself (inetd without a log), where a log line
 * would break the protocol: then the lines go nowhere.
 */
static int
serve_one(int fd, const struct server_config *cfg, const struct jail *jail)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct peer_name peer;
	struct stat sock, err;
	int one = 1, null;

	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		log_error("-i: standard input is not a connected socket: %s",
		    strerror(errno));
		return 1;
	}
	if (fstat(fd, &sock) == 0 && fstat(STDERR_FILENO, &err) == 0 &&
	    sock.st_dev == err.st_dev && sock.st_ino == err.st_ino &&
	    (null = open("/dev/null", O_WRONLY)) != -1) {
		dup2(null, STDERR_FILENO);
		close(null);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setproctitle("serving one connection");
	if (child_signals() == -1) {
		log_error("signals: %s", strerror(errno));
		return 1;
	}
	memset(&peer, 0, sizeof(peer));
	peer_addr_str(&ss, peer.addr, sizeof(peer.addr), &peer.port);
	return child_serve(fd, &peer, cfg, jail, -1);
}

/*
 * What every child to come shares, set up once before any socket is
 * bound: the system-call filter, the jail, the spool, the greeting and
 * the sandbox's rules.  Returns 0, or -1 with the reason.
 */
static int
prepare(const struct server_config *cfg, struct jail *jail, char *why,
    size_t whylen)
{
	int trap;

	/* Once for every child to come (syscall_filter.h). */
	if (filter_available()) {
		if ((trap = testhook_seccomp_trap()) == -1) {
			snprintf(why, whylen, "SIGSYS: %s", strerror(errno));
			return -1;
		}
		if (filter_prepare(trap, why, whylen) == -1)
			return -1;
	}
	if (jail_open(jail, cfg->dir, why, whylen) == -1)
		return -1;
	/* A spool that cannot serve is a bad argument (interface.md). */
	if (cfg->spool != NULL && spool_open(&jail->spool, cfg->spool,
	    jail->rootfd, why, whylen) == -1)
		config_usage_error("%s", why);
	if (cfg->parts != NULL && parts_open(&jail->parts, cfg->parts,
	    jail->rootfd, cfg->part_ttl, cfg->parts_max, why, whylen) == -1)
		config_usage_error("%s", why);
	if (session_prepare(cfg) == -1) {
		snprintf(why, whylen, "cannot encode the greeting");
		return -1;
	}
	if (harden_prepare(jail, why, whylen) == -1 ||
	    hashslot_prepare(why, whylen) == -1 ||
	    digestcache_prepare(why, whylen) == -1)
		return -1;
	/* Issue 12: a FUSE or network file system has no O_TMPFILE. */
	if (cfg->spool == NULL && !cfg->read_only &&
	    !spool_probe_tmpfile(jail->rootfd))
		log_error("%s: no O_TMPFILE on this file system: uploads are "
		    "refused unless --spool names a staging directory",
		    cfg->dir);
	return 0;
}

/*
 * The TLS identity, with --tls or --fingerprint: read or made, by the
 * parent, before any sandbox or chroot.  Returns -1 to go on, or the exit
 * status: 0 once --fingerprint has printed it, 1 when it cannot be had.
 */
static int
load_identity(struct server_config *cfg)
{
	char why[512], fp[TLS_FINGERPRINT_LEN + 1];

	if (!cfg->tls && !cfg->fingerprint)
		return -1;
	if (identity_load(cfg, cfg->dir, &cfg->tls_ctx, fp, sizeof(fp), why,
	    sizeof(why)) == -1) {
		log_error("%s", why);
		return 1;
	}
	if (cfg->fingerprint) {
		printf("%s\n", fp);
		SSL_CTX_free(cfg->tls_ctx);
		return 0;
	}
	log_notice("TLS 1.3, key %s", fp);
	return -1;
}

/* The listening line, exactly as interface.md says: scripts wait for it. */
static void
announce(unsigned port)
{
	char host[256];

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	printf("File server listening on %s port %u\n", host, port);
	fflush(stdout);
}

/*
 * -u's account and the users file (--users): checked and read, like the
 * key, before anything is bound or sandboxed.  0, or the exit status.
 */
static int
load_users(struct server_config *cfg, struct users *users)
{
	char why[512];

	/* A user that does not exist is a bad argument: say so before
	 * anything is bound (issue 14). */
	if (cfg->user != NULL && getpwnam(cfg->user) == NULL) {
		log_error("unknown user %s", cfg->user);
		return 2;
	}
	if (cfg->users_file != NULL) {
		if (users_load(users, cfg->users_file, why, sizeof(why)) == -1)
			config_usage_error("%s", why);
		cfg->users = users;
		tls_ask_peer_key(cfg->tls_ctx);
	}
	return 0;
}

/*
 * The one connection (-i), or the listening sockets: given by systemd
 * (1), or bound here (0).  -1 once it has said why not.
 */
static int
open_sockets(const struct server_config *cfg, struct sockets *socks,
    int *conn_fd)
{
	char why[512];
	int activated;

	if (cfg->inetd) {
		*conn_fd = STDIN_FILENO;
		return 0;
	}
	if ((activated = sockets_inherit(socks, conn_fd, why,
	    sizeof(why))) == -1) {
		log_error("socket activation: %s", why);
		return -1;
	}
	if (!activated && sockets_open(socks, cfg, why, sizeof(why)) == -1) {
		/* interface.md's text exactly: scripts match the line. */
		fprintf(stderr, "Unable to bind to port %u: %s. Sorry!\n",
		    cfg->port, why);
		return -1;
	}
	return activated;
}

int
main(int argc, char *argv[])
{
	struct server_config cfg;
	struct sockets socks;
	struct users users;
	struct jail jail;
	char why[512];
	int activated = 0, conn_fd = -1, status;

	setproctitle_init(argc, argv, environ);
	config_parse(&cfg, argc, argv);
	log_set_level(cfg.log_level);
	if (log_open(cfg.use_syslog, testhook_syslog_path(), why,
	    sizeof(why)) == -1) {
		log_error("%s", why);
		return 1;
	}
	/* A vanished client is EPIPE, never a dead server. */
	if (signals_install(SIGPIPE, SIG_IGN) == -1 ||
	    listener_signals() == -1) {
		log_error("signals: %s", strerror(errno));
		return 1;
	}
	/* The TLS identity: read (or made) before any sandbox or chroot. */
	if ((status = load_identity(&cfg)) != -1)
		return status;
	/*
	 * The waits' polling is decided from /sys, once: here, before any
	 * chroot or Landlock, so that every child inherits the answer
	 * instead of finding /sys closed to it.
	 */
	(void)conn_poll_us();
	if ((status = load_users(&cfg, &users)) != 0)
		return status;
	if (prepare(&cfg, &jail, why, sizeof(why)) == -1) {
		log_error("%s", why);
		return 1;
	}
	if (cfg.users != NULL && users_check_roots(&users, jail.rootfd, why,
	    sizeof(why)) == -1)
		config_usage_error("%s", why);
	if ((activated = open_sockets(&cfg, &socks, &conn_fd)) == -1)
		return 1;
	testhook_pause_confine();
	if (cfg.user != NULL &&
	    jail_confine(&jail, cfg.user, why, sizeof(why)) == -1) {
		log_error("%s", why);
		return 1;
	}
	/*
	 * Ended as a forked child ends, with _exit: once sandboxed, the
	 * process may not do what exit handlers might (the sanitizer's leak
	 * check traces the process, which the filter forbids).
	 */
	if (conn_fd != -1)
		_exit(serve_one(conn_fd, &cfg, &jail));
	log_sandbox(&cfg, &jail);
	/*
	 * interface.md: the host name, with -b too, as scripts wait for
	 * it; started by systemd, no listening line.
	 */
	if (!activated)
		announce(socks.port);
	setproctitle("listening on port %u", socks.port);
	status = listener_run(&socks, &cfg, &jail);
	SSL_CTX_free(cfg.tls_ctx);
	if (cfg.users != NULL)
		users_free(&users);
	return status;
}
