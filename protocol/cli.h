/*
 * What the server's and the client's command lines share (interface.md):
 * the usage error, numbers in their ranges, the options every program
 * ends its switch with (-h, -V, a missing argument, an unknown option),
 * and the client's HOST[:PORT] operand.  Each program keeps its own
 * options, defaults and operands (server/config.c, client/args.c).
 */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>

/* One program's command line, as its messages name it. */
struct cli {
	const char *prog;	/* "server", "client": starts each message */
	const char *usage;	/* the usage lines, each ending in '\n' */
	const char *version;	/* what -V prints after prog */
};

/*
 * Prints "PROG: " and the reason on one line, then the usage lines, on
 * standard error, and exits 2.
 */
void	cli_usage_error(const struct cli *cli, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/*
 * s as a number from min to max (strtonum), or a usage error naming
 * what, s, the reason and the range.
 */
long long cli_number(const struct cli *cli, const char *what, const char *s,
	    long long min, long long max);

/*
 * The end of every getopt_long switch: ch 'h' prints the usage lines on
 * standard output and 'V' "PROG VERSION", both exit 0; ':' (optstring
 * starts with ':', a missing argument) and anything else (an unknown
 * option) are usage errors naming argv[optind - 1].
 */
void	cli_other_option(const struct cli *cli, int ch, char *const argv[])
	    __attribute__((noreturn));

/*
 * Splits a HOST[:PORT] operand: "name", "name:port", "192.0.2.1:port",
 * "[2001:db8::1]", "[2001:db8::1]:port".  An operand with more than one
 * ':' outside brackets is a bare IPv6 literal, HOST whole, with no PORT
 * (its port can only be a separate operand).  Writes HOST into
 * host[0..size) and points *port into operand at PORT's text ("" for a
 * trailing ':'), or sets it to NULL when there is none.  Returns 0, or
 * -1 with a static reason in *why: an empty HOST, an unclosed '[', text
 * after ']' that is not ":PORT", or a HOST longer than size - 1.
 */
int	cli_host_port(const char *operand, char *host, size_t size,
	    const char **port, const char **why);

#endif
