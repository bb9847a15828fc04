/*
 * The cache of interrupted downloads (see partcache.h).  A part's name
 * is its key: the XXH3-128 of the server and path, then the whole
 * file's size and modification time, so that a part is continued only
 * for the very version of the file it began with, and every part of one
 * remote path is found by its prefix.  Only names of exactly that form
 * are ever read or removed here: the directory may hold anything else.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "digest.h"
#include "local_limits.h"
#include "partcache.h"

/* The parts a sweep looks at, at most: the cache's own bound on work. */
#define SWEEP_ENTRIES_MAX	4096

#define PREFIX_LEN	32	/* hex digits of XXH3-128 */

struct part {
	char name[PARTCACHE_NAME_SIZE];
	uint64_t bytes;
	time_t mtime;
};

static void	key_prefix(const char *, const char *, char *);
static int	parse_name(const char *, uint64_t *, uint64_t *);
static void	remove_unless_busy(int, const char *);

int
partcache_open(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char path[LOCAL_PATH_SIZE], *s;
	int n;

	/* The XDG base directory rules ignore a relative path. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(path, sizeof(path), "%s/fileserver", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(path, sizeof(path), "%s/.cache/fileserver", home);
	else {
		errno = ENOENT;
		return -1;
	}
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Missing directories on the way are made, 0700; an existing one
	 * is EEXIST, and any other failure shows at the open. */
	for (s = strchr(path + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		(void)mkdir(path, 0700);
		*s = '/';
	}
	(void)mkdir(path, 0700);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The name's first PREFIX_LEN characters, and its NUL, into out. */
static void
key_prefix(const char *server, const char *path, char *out)
{
	char hex[DIGEST_HEX_MAX + 1];
	struct digest d;

	/* xxh128 is always built in (digest.h): init cannot fail for it
	 * but on memory, and then the prefix is all zeros. */
	memset(hex, '0', PREFIX_LEN);
	hex[PREFIX_LEN] = '\0';
	if (digest_init(&d, DIGEST_XXH128) == 0) {
		digest_update(&d, server, strlen(server) + 1);
		digest_update(&d, path, strlen(path));
		digest_final(&d, hex);
		digest_free(&d);
	}
	memcpy(out, hex, PREFIX_LEN);
	out[PREFIX_LEN] = '\0';
}

void
partcache_name(const struct partcache_key *key, char *name)
{
	char prefix[PREFIX_LEN + 1];

	key_prefix(key->server, key->path, prefix);
	snprintf(name, PARTCACHE_NAME_SIZE, "%s.%" PRIu64 ".%" PRIu64 ".part",
	    prefix, key->size, key->mtime);
}

/* A decimal number of 1 to 20 digits ending at *end ('.'). */
static int
parse_number(const char *s, char **end, uint64_t *v)
{
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++)
		;
	if (p == s || p - s > 20)
		return -1;
	errno = 0;
	*v = strtoull(s, end, 10);
	return errno == 0 && *end == p && **end == '.' ? 0 : -1;
}

/*
 * Whether name is a part's: 32 lowercase hex digits, '.', the size,
 * '.', the time, ".part".  0 with both, or -1.
 */
static int
parse_name(const char *name, uint64_t *size, uint64_t *mtime)
{
	char *end;
	size_t i;

	for (i = 0; i < PREFIX_LEN; i++)
		if (strchr("0123456789abcdef", name[i]) == NULL ||
		    name[i] == '\0')
			return -1;
	if (name[PREFIX_LEN] != '.' ||
	    parse_number(name + PREFIX_LEN + 1, &end, size) == -1 ||
	    parse_number(end + 1, &end, mtime) == -1)
		return -1;
	return strcmp(end, ".part") == 0 ? 0 : -1;
}

/*
 * The parts in the cache into parts[0..max); a prefix narrows them to
 * one remote path.  Their count, or -1 with errno.
 */
static int
list_parts(int cachefd, const char *prefix, struct part *parts, int max)
{
	struct dirent *e;
	struct stat st;
	uint64_t size, mtime;
	DIR *dir;
	int fd, n = 0;

	if ((fd = openat(cachefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (n < max && (e = readdir(dir)) != NULL) {
		if (parse_name(e->d_name, &size, &mtime) == -1 ||
		    (prefix != NULL && strncmp(e->d_name, prefix,
		    PREFIX_LEN) != 0) ||
		    fstatat(cachefd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISREG(st.st_mode))
			continue;
		strlcpy(parts[n].name, e->d_name, sizeof(parts[n].name));
		parts[n].bytes = (uint64_t)st.st_size;
		parts[n].mtime = st.st_mtime;
		n++;
	}
	closedir(dir);
	return n;
}

int
partcache_find(int cachefd, const char *server, const char *path,
    uint64_t *size, uint64_t *mtime, uint64_t *have)
{
	char prefix[PREFIX_LEN + 1];
	struct part part;
	int n;

	key_prefix(server, path, prefix);
	if ((n = list_parts(cachefd, prefix, &part, 1)) <= 0)
		return n;
	(void)parse_name(part.name, size, mtime);
	*have = part.bytes;
	return 1;
}

/* A part that a download holds (flock, local_sink.c) is not removed. */
static void
remove_unless_busy(int cachefd, const char *name)
{
	int fd;

	fd = openat(cachefd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd == -1)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		(void)unlinkat(cachefd, name, 0);
	close(fd);
}

void
partcache_drop_others(int cachefd, const char *server, const char *path,
    const char *keep)
{
	char prefix[PREFIX_LEN + 1];
	struct part parts[8];
	int i, n;

	key_prefix(server, path, prefix);
	n = list_parts(cachefd, prefix, parts, 8);
	for (i = 0; i < n; i++)
		if (keep == NULL || strcmp(parts[i].name, keep) != 0)
			remove_unless_busy(cachefd, parts[i].name);
}

static int
by_age(const void *a, const void *b)
{
	const struct part *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

void
partcache_sweep(int cachefd, const char *keep, time_t now)
{
	struct part *parts;
	uint64_t total = 0;
	int i, n;

	if ((parts = calloc(SWEEP_ENTRIES_MAX, sizeof(*parts))) == NULL)
		return;
	n = list_parts(cachefd, NULL, parts, SWEEP_ENTRIES_MAX);
	if (n > 0)
		qsort(parts, (size_t)n, sizeof(*parts), by_age);
	/* The part to be continued counts, and stays. */
	for (i = 0; i < n; i++)
		if (keep != NULL && strcmp(parts[i].name, keep) == 0)
			total += parts[i].bytes;
	/* Newest first, so the oldest are the ones past the bound. */
	for (i = n - 1; i >= 0; i--) {
		if (keep != NULL && strcmp(parts[i].name, keep) == 0)
			continue;
		if (now - parts[i].mtime > PARTCACHE_AGE_MAX ||
		    total + parts[i].bytes > PARTCACHE_BYTES_MAX)
			remove_unless_busy(cachefd, parts[i].name);
		else
			total += parts[i].bytes;
	}
	free(parts);
}
