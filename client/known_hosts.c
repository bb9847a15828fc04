/*
 * The known-hosts file (see known_hosts.h).  A line is appended with one
 * write(2) to a file opened O_APPEND, so that two clients pinning at once
 * leave two whole lines, never a mix.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "known_hosts.h"
#include "tls.h"

#define KEY_PREFIX	"SHA256:"

static int	parse_line(char *, char **, char **);

int
known_hosts_valid_key(const char *s)
{
	size_t i, n = strlen(KEY_PREFIX);

	if (strncmp(s, KEY_PREFIX, n) != 0 ||
	    strlen(s) != TLS_FINGERPRINT_LEN)
		return 0;
	for (i = n; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '/')
			return 0;
	return 1;
}

int
known_hosts_data_path(char *out, size_t outlen, const char *name)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int n;

	/* The XDG base directory rules ignore a relative path. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, outlen, "%s/fileserver/%s", xdg, name);
	else if (home != NULL && home[0] == '/')
		n = snprintf(out, outlen, "%s/.local/share/fileserver/%s",
		    home, name);
	else
		return -1;
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
known_hosts_entry(char *out, size_t outlen, const char *host,
    const char *port)
{
	size_t i;
	int n;

	if (strchr(host, ':') != NULL)
		n = snprintf(out, outlen, "[%s]:%s", host, port);
	else
		n = snprintf(out, outlen, "%s:%s", host, port);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	for (i = 0; out[i] != '\0'; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return 0;
}

/*
 * Splits a line into its entry and key: 1 when it is one of ours
 * ("entry key tls", blanks between), 0 for a comment, a blank line or
 * anything else.
 */
static int
parse_line(char *line, char **entry, char **key)
{
	char *save = NULL, *transport, *extra;

	line[strcspn(line, "\r\n")] = '\0';
	if ((*entry = strtok_r(line, " \t", &save)) == NULL ||
	    (*entry)[0] == '#')
		return 0;
	*key = strtok_r(NULL, " \t", &save);
	transport = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	return *key != NULL && known_hosts_valid_key(*key) &&
	    transport != NULL && strcmp(transport, "tls") == 0 &&
	    extra == NULL;
}

int
known_hosts_find(const char *path, const char *entry, const char *offered,
    struct known_host *kh, char *why, size_t whylen)
{
	char line[KNOWN_HOSTS_LINE_MAX + 2], *e, *k;
	unsigned n = 0;
	FILE *f;
	int rc = 0;

	memset(kh, 0, sizeof(*kh));
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		if (parse_line(line, &e, &k) == 0 || strcmp(e, entry) != 0)
			continue;
		if (!kh->found) {
			kh->found = 1;
			kh->line = n;
			strlcpy(kh->key, k, sizeof(kh->key));
		}
		if (offered != NULL && strcmp(k, offered) == 0)
			kh->matched = 1;
	}
	if (ferror(f)) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(f);
	return rc;
}

int
known_hosts_add(const char *path, const char *entry, const char *key,
    char *why, size_t whylen)
{
	char dir[PATH_MAX], line[KNOWN_HOSTS_LINE_MAX + 1], *slash;
	ssize_t w;
	int fd, n;

	strlcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (tls_mkdir(dir, why, whylen) == -1)
			return -1;
	}
	n = snprintf(line, sizeof(line), "%s %s tls\n", entry, key);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		snprintf(why, whylen, "%s: host name too long", entry);
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	do
		w = write(fd, line, (size_t)n);
	while (w == -1 && errno == EINTR);
	if (w != n || close(fd) == -1) {
		snprintf(why, whylen, "%s: %s", path, w == -1 ?
		    strerror(errno) : "short write");
		if (w != n)
			close(fd);
		return -1;
	}
	return 0;
}
