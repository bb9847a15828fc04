/*
 * The servers the client has met over TLS, and the key each showed
 * (docs/protocol.md, "Known hosts"): $XDG_DATA_HOME/fileserver/known_hosts,
 * or ~/.local/share/fileserver/known_hosts, one line a server:
 *
 *     host:port SHA256:<43 characters of base64> tls
 *
 * A server with a line is pinned: its key must be that one, and it is
 * never spoken to in plaintext.
 */
#ifndef KNOWN_HOSTS_H
#define KNOWN_HOSTS_H

#include <stddef.h>

/* Longest line read; a longer one is not a line of ours. */
#define KNOWN_HOSTS_LINE_MAX	1024

/* 1 when s is "SHA256:" and 43 characters of base64 (tls.h). */
int	known_hosts_valid_key(const char *s);

/*
 * The client's data directory ($XDG_DATA_HOME/fileserver or
 * ~/.local/share/fileserver), and the file name in it, into out.  0, or
 * -1 when there is no such place (no absolute HOME) or it is too long.
 */
int	known_hosts_data_path(char *out, size_t outlen, const char *name);

/*
 * HOST and PORT as a line's first field: "host:port", the host in lower
 * case, an IPv6 address in brackets.  0, or -1 when too long.
 */
int	known_hosts_entry(char *out, size_t outlen, const char *host,
	    const char *port);

struct known_host {
	int found;			/* a line names the entry */
	unsigned line;			/* the first such line */
	char key[64];			/* its key */
	int matched;			/* some line's key is the one offered */
};

/*
 * Looks entry up in path (a missing file knows no host): whether a line
 * names it, and whether any line for it has the key offered (NULL: do not
 * compare).  Lines that are not of the form above are passed over.  0, or
 * -1 with a reason when the file cannot be read.
 */
int	known_hosts_find(const char *path, const char *entry,
	    const char *offered, struct known_host *kh, char *why,
	    size_t whylen);

/*
 * Appends entry's line with key, making the file (0600) and its directory
 * (0700) where missing.  0, or -1 with a reason.
 */
int	known_hosts_add(const char *path, const char *entry, const char *key,
	    char *why, size_t whylen);

#endif
