/*
 * The command lines' shared shape (see cli.h): messages and exits only,
 * no option of either program.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void
cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(cli->usage, stderr);
	exit(2);
}

long long
cli_number(const struct cli *cli, const char *what, const char *s,
    long long min, long long max)
{
	const char *errstr;
	long long v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		cli_usage_error(cli, "%s %s: %s (%lld to %lld)", what, s,
		    errstr, min, max);
	return v;
}

void
cli_other_option(const struct cli *cli, int ch, char *const argv[])
{
	switch (ch) {
	case 'h':
		fputs(cli->usage, stdout);
		exit(0);
	case 'V':
		printf("%s %s\n", cli->prog, cli->version);
		exit(0);
	case ':':
		cli_usage_error(cli, "option requires an argument: %s",
		    argv[optind - 1]);
	default:
		cli_usage_error(cli, "unknown option: %s", argv[optind - 1]);
	}
}

int
cli_host_port(const char *operand, char *host, size_t size,
    const char **port, const char **why)
{
	const char *end, *colon;
	size_t len;

	*port = NULL;
	if (operand[0] == '[') {
		/* RFC 3986's IP-literal: the brackets keep its colons. */
		if ((end = strchr(operand, ']')) == NULL) {
			*why = "no closing ]";
			return -1;
		}
		if (end[1] != '\0' && end[1] != ':') {
			*why = "only :PORT may follow ]";
			return -1;
		}
		if (end[1] == ':')
			*port = end + 2;
		operand++;
		len = (size_t)(end - operand);
	} else if ((colon = strchr(operand, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		*port = colon + 1;
		len = (size_t)(colon - operand);
	} else
		len = strlen(operand);	/* a name, or a bare IPv6 literal */
	if (len == 0) {
		*why = "no host";
		return -1;
	}
	if (len >= size) {
		*why = "host name too long";
		return -1;
	}
	memcpy(host, operand, len);
	host[len] = '\0';
	return 0;
}
