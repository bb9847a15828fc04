/*
 * server DIR PORT: serves one directory over TCP, a forked child per
 * connection.  Kept thin so the logic links into tests (style.md 1).
 */
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "harden.h"
#include "landlock.h"
#include "jail.h"
#include "listener.h"
#include "log.h"
#include "syscall_filter.h"
#include "testhook.h"

extern char **environ;

static void	log_sandbox(const struct server_config *,
		    const struct jail *);

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
	if (abi > 0)
		log_notice("sandbox: Landlock ABI %d (beneath %s only), "
		    "seccomp %s, %s per child", abi, cfg->dir,
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

int
main(int argc, char *argv[])
{
	struct server_config cfg;
	struct listener l;
	struct jail jail;
	char why[512], host[256];

	setproctitle_init(argc, argv, environ);
	config_parse(&cfg, argc, argv);
	log_set_level(cfg.log_level);
	if (log_open(cfg.use_syslog, why, sizeof(why)) == -1) {
		log_error("%s", why);
		return 1;
	}
	/* A vanished client is EPIPE, never a dead server. */
	signal(SIGPIPE, SIG_IGN);

	listener_signals();
	/*
	 * The waits' polling is decided from /sys, once: here, before any
	 * chroot or Landlock, so that every child inherits the answer
	 * instead of finding /sys closed to it.
	 */
	(void)conn_poll_us();
	/* A user that does not exist is a bad argument: say so before
	 * anything is bound (issue 14). */
	if (cfg.user != NULL && getpwnam(cfg.user) == NULL) {
		log_error("unknown user %s", cfg.user);
		return 2;
	}
	if (jail_open(&jail, cfg.dir, why, sizeof(why)) == -1) {
		log_error("%s", why);
		return 1;
	}
	if (listener_open(&l, &cfg, why, sizeof(why)) == -1) {
		/* interface.md's text exactly: scripts match the line. */
		fprintf(stderr, "Unable to bind to port %u: %s. Sorry!\n",
		    cfg.port, why);
		return 1;
	}
	testhook_pause_confine();
	if (cfg.user != NULL &&
	    jail_confine(&jail, cfg.user, why, sizeof(why)) == -1) {
		log_error("%s", why);
		return 1;
	}
	/* interface.md: the host name, with -b too; scripts wait for it. */
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	log_sandbox(&cfg, &jail);
	printf("File server listening on %s port %u\n", host, l.port);
	fflush(stdout);
	setproctitle("listening on port %u", l.port);
	return listener_run(&l, &cfg, &jail);
}
