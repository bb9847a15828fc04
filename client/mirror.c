/*
 * Mirrors and resumes (see mirror.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "known_hosts.h"
#include "listing.h"
#include "local_limits.h"
#include "mirror.h"
#include "remote_list.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
mirror_in_place(int dirfd, const char *name, uint64_t size, uint64_t mtime)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && (uint64_t)st.st_size == size &&
	    st.st_mtime >= 0 && (uint64_t)st.st_mtime == mtime;
}

static int
files_line(void *ctx, const char *line, size_t len)
{
	struct remote_files *rf = ctx;
	struct listing_entry e;
	struct remote_file *nv;
	size_t cap;

	if (listing_parse(line, len, &e) == -1)
		return 0;
	if (rf->n == LOCAL_ENTRIES_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (rf->n == rf->cap) {
		cap = rf->cap ? 2 * rf->cap : 64;
		if ((nv = reallocarray(rf->v, cap, sizeof(*nv))) == NULL)
			return -1;
		rf->v = nv;
		rf->cap = cap;
	}
	if ((rf->v[rf->n].name = strdup(e.name)) == NULL)
		return -1;
	rf->v[rf->n].type = e.type;
	rf->v[rf->n].size = e.size;
	rf->v[rf->n].mtime = e.mtime;
	rf->n++;
	return 0;
}

int
remote_files_list(struct client *c, const char *path, struct remote_files *rf)
{
	int rc;

	memset(rf, 0, sizeof(*rf));
	rc = remote_list_lines(&c->remote, path, files_line, rf);
	if (rc == RC_FAILED && c->remote.refused &&
	    c->remote.errcode == ERR_NOT_FOUND) {
		remote_files_free(rf);
		return RC_OK;
	}
	rf->exists = rc == RC_OK;
	return rc;
}

static int
by_name(const void *key, const void *entry)
{
	return strcmp(key, ((const struct remote_file *)entry)->name);
}

const struct remote_file *
remote_files_find(const struct remote_files *rf, const char *name)
{
	/* The server sorts its listings by name in byte order (§4). */
	return rf->n == 0 ? NULL : bsearch(name, rf->v, rf->n,
	    sizeof(rf->v[0]), by_name);
}

void
remote_files_free(struct remote_files *rf)
{
	size_t i;

	for (i = 0; i < rf->n; i++)
		free(rf->v[i].name);
	free(rf->v);
	memset(rf, 0, sizeof(*rf));
}

/* What a directory's listing says of one name: found, size, mtime. */
struct entry_probe {
	const char *name;
	int found;
	uint64_t size, mtime;
};

static int
probe_line(void *ctx, const char *line, size_t len)
{
	struct entry_probe *ep = ctx;
	struct listing_entry e;

	if (listing_parse(line, len, &e) == 0 && e.type == 'f' &&
	    strcmp(e.name, ep->name) == 0) {
		ep->found = 1;
		ep->size = e.size;
		ep->mtime = e.mtime;
	}
	return 0;
}

/*
 * A single get's part, found by its path: continued only when the
 * directory's listing shows the file still of the size and time the
 * part began with.  1 when it does (key set), 0 otherwise.
 */
static int
part_still_good(struct get_plan *g, struct partcache_key *key)
{
	char parent[PATH_LEN_MAX + 1], why[REMOTE_WHY_SIZE];
	struct remote *r = &g->c->remote;
	const char *slash = strrchr(g->remote, '/');
	struct entry_probe ep = { slash != NULL ? slash + 1 : g->remote, 0,
	    0, 0 };
	uint64_t have;
	int errcode = r->errcode;

	if (partcache_find(g->cachefd, g->server, g->remote, &key->size,
	    &key->mtime, &have) != 1)
		return 0;
	snprintf(parent, sizeof(parent), "%.*s", (int)(ep.name - g->remote -
	    (slash != NULL)), g->remote);
	strlcpy(why, r->why, sizeof(why));
	if (remote_list_lines(r, parent, probe_line, &ep) != RC_OK)
		ep.found = 0;
	strlcpy(r->why, why, sizeof(r->why));
	r->errcode = errcode;
	/* Without a digest a resumed file could not be checked whole. */
	if (!ep.found || ep.size != key->size || ep.mtime != key->mtime ||
	    r->opts.digest == DIGEST_NONE) {
		partcache_drop_others(g->cachefd, g->server, g->remote, NULL);
		return 0;
	}
	return 1;
}

/* The cache, for this client's downloads: -1 when there is none. */
static int
cache_for(struct client *c, const struct local_sink *sink, char *server,
    size_t size)
{
	/* get -a keeps LOCAL.part; a cache needs options and a digest. */
	if (sink != NULL && sink->resume)
		return -1;
	if (!c->remote.use_options || c->cfg->digest == DIGEST_NONE ||
	    known_hosts_entry(server, size, c->cfg->host, c->cfg->port) == -1)
		return -1;
	return partcache_open();
}

int
get_plan_has_part(struct client *c, const char *remote, uint64_t size,
    uint64_t mtime)
{
	char server[128], name[PARTCACHE_NAME_SIZE];
	struct partcache_key key = { server, remote, size, mtime };
	struct stat st;
	int fd, found;

	if ((fd = cache_for(c, NULL, server, sizeof(server))) == -1)
		return 0;
	partcache_name(&key, name);
	found = fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size > 0;
	close(fd);
	return found;
}

void
get_plan_start(struct get_plan *g, struct client *c,
    struct local_sink *sink, const char *remote, unsigned how,
    uint64_t size, uint64_t mtime, int keep_mode)
{
	int listed = (how & GET_PLAN_LISTED) != 0;

	char name[PARTCACHE_NAME_SIZE];
	struct partcache_key key = { NULL, remote, size, mtime };

	memset(g, 0, sizeof(*g));
	g->c = c;
	g->sink = sink;
	g->remote = remote;
	g->keep_mode = keep_mode;
	g->cachefd = -1;
	if (listed)
		local_sink_attrs(sink, (time_t)mtime, 0, 0);
	if ((g->cachefd = cache_for(c, sink, g->server, sizeof(g->server))) ==
	    -1)
		return;
	key.server = g->server;
	if (!listed && !part_still_good(g, &key))
		return;
	partcache_name(&key, name);
	partcache_drop_others(g->cachefd, g->server, remote, name);
	partcache_sweep(g->cachefd, name, time(NULL));
	/* A part of that version, or a new one: any failure, no cache. */
	if (local_sink_cache(sink, g->cachefd, name, 0) == 0) {
		g->cached = 1;
		g->key = key;
		g->key.server = g->server;
		/* Longer than the file cannot be of it: begun again; and
		 * so is one whose request went without an offset. */
		if (sink->offset > key.size || (how & GET_PLAN_FRESH))
			(void)local_sink_restart(sink);
		g->resumed = sink->offset;
	}
}

int
get_plan_announced(void *ctx, const struct announce *a)
{
	struct get_plan *g = ctx;
	char name[PARTCACHE_NAME_SIZE];
	struct partcache_key key = { g->server, g->remote, a->size, a->mtime };

	local_sink_attrs(g->sink, (time_t)a->mtime, g->keep_mode, a->mode);
	/* Continued: the server's file must still be the part's. */
	if (g->cached && g->sink->offset > 0 && (g->sink->offset + a->size !=
	    g->key.size || a->mtime != g->key.mtime)) {
		g->stale = 1;
		errno = ESTALE;
		return -1;
	}
	/* A bar says it itself ("resumed at"); without one, a line. */
	if (g->sink->offset > 0 && !g->c->cfg->quiet &&
	    !(g->c->progress.allowed && g->c->progress.on)) {
		printf("get %s: resumed at %" PRIu64 " bytes\n",
		    command_show(g->c, g->remote), g->sink->offset);
		fflush(stdout);
	}
	if (g->cached || g->cachefd == -1 || g->sink->offset > 0 ||
	    g->c->remote.opts.digest == DIGEST_NONE)
		return 0;
	/* A new part: from its first byte on, it is in the cache. */
	partcache_name(&key, name);
	partcache_sweep(g->cachefd, name, time(NULL));
	if (local_sink_cache(g->sink, g->cachefd, name, 1) == 0) {
		g->cached = 1;
		g->key = key;
	}
	return 0;
}

int
get_plan_mismatch(struct get_plan *g)
{
	if (!g->cached || g->resumed == 0 ||
	    !(g->stale || g->c->remote.integrity_failed))
		return 0;
	partcache_drop_others(g->cachefd, g->server, g->remote, NULL);
	return 1;
}

void
get_plan_end(struct get_plan *g)
{
	if (g->cachefd != -1)
		close(g->cachefd);
	g->cachefd = -1;
}

void
tally_start(struct tally *t)
{
	memset(t, 0, sizeof(*t));
	t->start_ms = now_ms();
}

void
tally_print(const struct tally *t, const char *what)
{
	printf("%s: %zu file%s, %" PRIu64 " bytes in %.1f s; %zu up to date, "
	    "%zu skipped, %zu failed\n", what, t->files, t->files == 1 ? "" :
	    "s", t->bytes, (double)(now_ms() - t->start_ms) / 1000,
	    t->uptodate, t->skipped, t->failed);
	fflush(stdout);
}
