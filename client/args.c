/*
 * The client's command line (see args.h).  Numbers go through strtonum
 * with their ranges.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "proto_limits.h"

static const char usage_line[] =
    "usage: client [-fq] [-B blksize] [-b batchfile] [-t timeout] "
    "[-w windowsize]\n"
    "              [--digest xxh128|sha256|none] [--no-options] host port\n"
    "              [command [arg ...]]\n";

enum { OPT_NO_OPTIONS = 256, OPT_DIGEST_ALG };

static const struct option long_opts[] = {
	{ "batch", required_argument, NULL, 'b' },
	{ "force", no_argument, NULL, 'f' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "timeout", required_argument, NULL, 't' },
	{ "blksize", required_argument, NULL, 'B' },
	{ "windowsize", required_argument, NULL, 'w' },
	{ "no-options", no_argument, NULL, OPT_NO_OPTIONS },
	{ "digest", required_argument, NULL, OPT_DIGEST_ALG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void	usage_error(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
static long long number(const char *, const char *, long long, long long);

static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("client: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_line, stderr);
	exit(2);
}

static long long
number(const char *what, const char *s, long long min, long long max)
{
	const char *errstr;
	long long v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		usage_error("%s %s: %s (%lld to %lld)", what, s, errstr, min,
		    max);
	return v;
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
	while ((ch = getopt_long(argc, argv, "+:b:fqt:B:w:hV", long_opts,
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
			cfg->timeout = (unsigned)number("timeout", optarg, 1,
			    TIMEOUT_MAX);
			break;
		case 'B':
			cfg->blksize = (uint16_t)number("blksize", optarg,
			    BLKSIZE_MIN, BLKSIZE_MAX);
			break;
		case 'w':
			cfg->windowsize = (uint16_t)number("windowsize",
			    optarg, WINDOWSIZE_MIN, WINDOWSIZE_MAX);
			break;
		case OPT_NO_OPTIONS:
			cfg->no_options = 1;
			break;
		case OPT_DIGEST_ALG:
			if ((cfg->digest = digest_from_name(optarg)) ==
			    DIGEST_NONE && strcasecmp(optarg, "none") != 0)
				usage_error("digest %s: not xxh128, sha256 or "
				    "none", optarg);
			break;
		case 'h':
			fputs(usage_line, stdout);
			exit(0);
		case 'V':
			printf("client %s\n", VERSION);
			exit(0);
		case ':':
			usage_error("option requires an argument: %s",
			    argv[optind - 1]);
		default:
			usage_error("unknown option: %s", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage_error("missing %s", argc == 0 ? "host and port" : "port");
	cfg->host = argv[0];
	cfg->port = argv[1];
	number("port", cfg->port, 1, 65535);
	if (argc > 2) {
		cfg->cmd = argv + 2;
		cfg->ncmd = argc - 2;
	}
	if (cfg->batch != NULL && cfg->cmd != NULL)
		usage_error("-b and a command cannot be used together");
}
