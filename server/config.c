/*
 * The server's command line (see config.h).  Every number goes through
 * strtonum with its range; nothing here opens a socket or a file but the
 * check that DIR is a readable directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"
#include "config.h"
#include "parts.h"
#include "proto_limits.h"

static const char usage_line[] =
    "usage: server [-iqrv] [-b address] [-c max-clients] [-m max-upload]\n"
    "              [-n name] [-p max-per-ip] [-s spool] [-t timeout] "
    "[-u user]\n"
    "              [--drain-timeout seconds] [--proxy-protocol] "
    "[--spares n]\n"
    "              [--syslog] [--tls [--tls-cert file --tls-key file]]\n"
    "              [--state dir] [--users file] [--parts dir [--part-ttl seconds]\n"
    "              [--parts-max bytes]] dir [port]\n"
    "       server --fingerprint [--state dir | --tls-cert file "
    "--tls-key file]\n"
    "              [dir]\n";

static const struct cli cli = { "server", usage_line, VERSION };

/* Long options without a letter: values past any character. */
enum {
	OPT_PROXY = 256,
	OPT_DRAIN,
	OPT_SYSLOG,
	OPT_SPARES,
	OPT_TLS,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_STATE,
	OPT_FINGERPRINT,
	OPT_USERS,
	OPT_PARTS,
	OPT_PART_TTL,
	OPT_PARTS_MAX,
};

static const struct option long_opts[] = {
	{ "timeout", required_argument, NULL, 't' },
	{ "max-clients", required_argument, NULL, 'c' },
	{ "max-per-ip", required_argument, NULL, 'p' },
	{ "read-only", no_argument, NULL, 'r' },
	{ "max-upload", required_argument, NULL, 'm' },
	{ "bind", required_argument, NULL, 'b' },
	{ "name", required_argument, NULL, 'n' },
	{ "user", required_argument, NULL, 'u' },
	{ "spool", required_argument, NULL, 's' },
	{ "inetd", no_argument, NULL, 'i' },
	{ "proxy-protocol", no_argument, NULL, OPT_PROXY },
	{ "drain-timeout", required_argument, NULL, OPT_DRAIN },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "spares", required_argument, NULL, OPT_SPARES },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "fingerprint", no_argument, NULL, OPT_FINGERPRINT },
	{ "users", required_argument, NULL, OPT_USERS },
	{ "parts", required_argument, NULL, OPT_PARTS },
	{ "part-ttl", required_argument, NULL, OPT_PART_TTL },
	{ "parts-max", required_argument, NULL, OPT_PARTS_MAX },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int	activated(void);

/*
 * sd_listen_fds(3): sockets are ours when LISTEN_PID names this process;
 * a LISTEN_FDS meant for another (a parent that forgot to unset it) is
 * not.  listener_inherit() checks the sockets themselves.
 */
static int
activated(void)
{
	const char *pid = getenv("LISTEN_PID"), *errstr;

	return pid != NULL && getenv("LISTEN_FDS") != NULL &&
	    strtonum(pid, 1, INT_MAX, &errstr) == (long long)getpid();
}

void
config_parse(struct server_config *cfg, int argc, char *argv[])
{
	struct stat st;
	int ch, fd;

	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout = TIMEOUT_DEFAULT;
	cfg->max_clients = 64;
	cfg->max_per_ip = 8;
	cfg->log_level = LOG_NORMAL;
	cfg->drain_timeout = DRAIN_TIMEOUT_DEFAULT;
	cfg->part_ttl = PARTS_TTL_DEFAULT;
	cfg->parts_max = PARTS_MAX_DEFAULT;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":t:c:p:rm:b:n:u:s:iqvhV",
	    long_opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			cfg->timeout = (unsigned)cli_number(&cli, "timeout",
			    optarg, 1, TIMEOUT_MAX);
			break;
		case 'c':
			cfg->max_clients = (unsigned)cli_number(&cli,
			    "max-clients", optarg, 1, SERVER_CLIENTS_MAX);
			break;
		case 'p':
			cfg->max_per_ip = (unsigned)cli_number(&cli,
			    "max-per-ip", optarg, 1, SERVER_CLIENTS_MAX);
			break;
		case 'r':
			cfg->read_only = 1;
			break;
		case 'm':
			cfg->has_max_upload = 1;
			cfg->max_upload = (uint64_t)cli_number(&cli,
			    "max-upload", optarg, 0, LLONG_MAX);
			break;
		case 'b':
			cfg->bind_addr = optarg;
			break;
		case 'n':
			/* The greeting must fit in one 512-byte block. */
			if (strlen(optarg) > GREETING_LEN_MAX -
			    sizeof("Hello from 's fileserver") + 1)
				cli_usage_error(&cli, "name too long: %s",
				    optarg);
			cfg->name = optarg;
			break;
		case 'u':
			cfg->user = optarg;
			break;
		case 's':
			cfg->spool = optarg;
			break;
		case 'i':
			cfg->inetd = 1;
			break;
		case OPT_PROXY:
			cfg->proxy_protocol = 1;
			break;
		case OPT_DRAIN:
			cfg->drain_timeout = (unsigned)cli_number(&cli,
			    "drain-timeout", optarg, 1, TIMEOUT_MAX);
			break;
		case OPT_SPARES:
			cfg->spares = (unsigned)cli_number(&cli, "spares",
			    optarg, 0, SERVER_SPARES_MAX);
			break;
		case OPT_SYSLOG:
			cfg->use_syslog = 1;
			break;
		case OPT_TLS:
			cfg->tls = 1;
			break;
		case OPT_TLS_CERT:
			cfg->tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			cfg->tls_key = optarg;
			break;
		case OPT_STATE:
			cfg->state_dir = optarg;
			break;
		case OPT_FINGERPRINT:
			cfg->fingerprint = 1;
			break;
		case OPT_USERS:
			cfg->users_file = optarg;
			break;
		case OPT_PARTS:
			cfg->parts = optarg;
			break;
		case OPT_PART_TTL:
			cfg->part_ttl = (unsigned)cli_number(&cli, "part-ttl",
			    optarg, 1, PARTS_TTL_MAX);
			break;
		case OPT_PARTS_MAX:
			cfg->parts_max = (uint64_t)cli_number(&cli,
			    "parts-max", optarg, 0, LLONG_MAX);
			break;
		case 'q':
			cfg->log_level = LOG_QUIET;
			break;
		case 'v':
			cfg->log_level = LOG_VERBOSE;
			break;
		default:
			cli_other_option(&cli, ch, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		cli_usage_error(&cli, "--tls-cert and --tls-key go together");
	if ((cfg->tls_cert != NULL || cfg->state_dir != NULL) && !cfg->tls &&
	    !cfg->fingerprint)
		cli_usage_error(&cli, "%s needs --tls", cfg->tls_cert != NULL ?
		    "--tls-cert" : "--state");
	/* Users are known by the key their TLS handshake proves. */
	if (cfg->users_file != NULL && !cfg->tls)
		cli_usage_error(&cli, "--users needs --tls");
	/* --fingerprint: DIR only to check that the key is not in it. */
	if (cfg->fingerprint && argc <= 1) {
		cfg->dir = argc == 1 ? argv[0] : NULL;
		return;
	}
	/* Started by inetd or systemd, the sockets come ready: no PORT. */
	if (argc == 0 || (argc == 1 && !cfg->inetd && !activated()))
		cli_usage_error(&cli, "missing %s", argc == 0 ?
		    "dir and port" : "port");
	if (argc > 2)
		cli_usage_error(&cli, "extra operand: %s", argv[2]);
	cfg->dir = argv[0];
	if (argc == 2) {
		cfg->has_port = 1;
		cfg->port = (uint16_t)cli_number(&cli, "port", argv[1], 0,
		    65535);
	}

	if ((fd = open(cfg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		cli_usage_error(&cli, "%s: %s", cfg->dir, strerror(errno));
	if (fstat(fd, &st) == -1 || faccessat(fd, ".", R_OK | X_OK,
	    AT_EACCESS) == -1)
		cli_usage_error(&cli, "%s: %s", cfg->dir, strerror(errno));
	close(fd);
	if (cfg->user != NULL && geteuid() != 0)
		cli_usage_error(&cli, "-u %s needs the server started as root",
		    cfg->user);
}

void
config_usage_error(const char *fmt, ...)
{
	char reason[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	cli_usage_error(&cli, "%s", reason);
}
