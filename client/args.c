/*
 * The client's command line (see args.h).  Numbers go through strtonum
 * with their ranges; the shape both programs share is protocol/cli.c's.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "cli.h"
#include "known_hosts.h"
#include "proto_limits.h"

static const char usage_line[] =
    "usage: client [-fq] [-B blksize] [-b batchfile] [-t timeout] "
    "[-w windowsize]\n"
    "              [--digest xxh128|sha256|none] [--no-options]\n"
    "              [--tls [--accept-new] [--host-key SHA256:...] "
    "[-i keyfile]]\n"
    "              host port | host[:port] [command [arg ...]]\n"
    "       client --fingerprint [-i keyfile]\n";

static const struct cli cli = { "client", usage_line, VERSION };

enum {
	OPT_NO_OPTIONS = 256,
	OPT_DIGEST_ALG,
	OPT_TLS,
	OPT_ACCEPT_NEW,
	OPT_HOST_KEY,
	OPT_FINGERPRINT,
};

static const struct option long_opts[] = {
	{ "batch", required_argument, NULL, 'b' },
	{ "force", no_argument, NULL, 'f' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "timeout", required_argument, NULL, 't' },
	{ "blksize", required_argument, NULL, 'B' },
	{ "windowsize", required_argument, NULL, 'w' },
	{ "no-options", no_argument, NULL, OPT_NO_OPTIONS },
	{ "digest", required_argument, NULL, OPT_DIGEST_ALG },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "accept-new", no_argument, NULL, OPT_ACCEPT_NEW },
	{ "host-key", required_argument, NULL, OPT_HOST_KEY },
	{ "identity", required_argument, NULL, 'i' },
	{ "fingerprint", no_argument, NULL, OPT_FINGERPRINT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int	only_digits(const char *);
static void	operands(struct client_config *, int, char *[]);

static int
only_digits(const char *s)
{
	return s[0] != '\0' && s[strspn(s, "0123456789")] == '\0';
}

/*
 * HOST PORT or HOST[:PORT] (interface.md): a second operand made only of
 * digits is always the PORT of the first form; in the second, PORT
 * defaults to the package's.  A bare IPv6 literal ("::1") is HOST whole,
 * so its port is the separate operand, or it is written "[::1]:PORT".
 */
static void
operands(struct client_config *cfg, int argc, char *argv[])
{
	const char *port, *why;

	if (argc == 0)
		cli_usage_error(&cli, "missing host");
	if (cli_host_port(argv[0], cfg->host_buf, sizeof(cfg->host_buf),
	    &port, &why) == -1)
		cli_usage_error(&cli, "host %s: %s", argv[0], why);
	cfg->host = cfg->host_buf;
	if (argc > 1 && only_digits(argv[1])) {
		if (port != NULL)
			cli_usage_error(&cli, "%s %s: the port given twice",
			    argv[0], argv[1]);
		port = argv[1];
		argc--;
		argv++;
	}
	cfg->port = port != NULL ? port : CLIENT_PORT_DEFAULT;
	cli_number(&cli, "port", cfg->port, 1, 65535);
	if (argc > 1) {
		cfg->cmd = argv + 1;
		cfg->ncmd = argc - 1;
	}
}

void
args_parse(struct client_config *cfg, int argc, char *argv[])
{
	int ch;

	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout = TIMEOUT_DEFAULT;
	cfg->blksize = CLIENT_BLKSIZE_DEFAULT;
	cfg->windowsize = CLIENT_WINDOWSIZE_DEFAULT;
	cfg->digest = DIGEST_XXH128;

	opterr = 0;
	/* "+": options end at HOST, so a command's own "-x" is its own. */
	while ((ch = getopt_long(argc, argv, "+:b:fi:qt:B:w:hV", long_opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			cfg->batch = optarg;
			break;
		case 'f':
			cfg->force = 1;
			break;
		case 'q':
			cfg->quiet = 1;
			break;
		case 't':
			cfg->timeout = (unsigned)cli_number(&cli, "timeout",
			    optarg, 1, TIMEOUT_MAX);
			break;
		case 'B':
			cfg->blksize = (uint16_t)cli_number(&cli, "blksize",
			    optarg, BLKSIZE_MIN, BLKSIZE_MAX);
			break;
		case 'w':
			cfg->windowsize = (uint16_t)cli_number(&cli,
			    "windowsize", optarg, WINDOWSIZE_MIN,
			    WINDOWSIZE_MAX);
			break;
		case OPT_NO_OPTIONS:
			cfg->no_options = 1;
			break;
		case OPT_DIGEST_ALG:
			if ((cfg->digest = digest_from_name(optarg)) ==
			    DIGEST_NONE && strcasecmp(optarg, "none") != 0)
				cli_usage_error(&cli, "digest %s: not xxh128, "
				    "sha256 or none", optarg);
			break;
		case OPT_TLS:
			cfg->tls = 1;
			break;
		case OPT_ACCEPT_NEW:
			cfg->accept_new = 1;
			break;
		case OPT_HOST_KEY:
			if (!known_hosts_valid_key(optarg))
				cli_usage_error(&cli, "host-key %s: not "
				    "SHA256: and 43 base64 characters", optarg);
			cfg->host_key = optarg;
			break;
		case 'i':
			cfg->identity = optarg;
			break;
		case OPT_FINGERPRINT:
			cfg->fingerprint = 1;
			break;
		default:
			cli_other_option(&cli, ch, argv);
		}
	}
	if ((cfg->accept_new || cfg->host_key != NULL) && !cfg->tls)
		cli_usage_error(&cli, "%s needs --tls", cfg->accept_new ?
		    "--accept-new" : "--host-key");
	if (cfg->fingerprint && argc == optind)
		return;
	operands(cfg, argc - optind, argv + optind);
	if (cfg->batch != NULL && cfg->cmd != NULL)
		cli_usage_error(&cli, "-b and a command cannot be used "
		    "together");
}
