/*
 * What makes a transfer a mirror's (interface.md, client.1 "MIRRORS AND
 * RESUMES"): a file already in place (same size and modification time)
 * is not sent again; a download keeps the remote file's time (and with
 * -p its mode); a download that is no get -a goes through the client's
 * cache (partcache.h), where an interrupted one is continued by the next
 * get of the same remote file; and a command over several files ends
 * with one line that counts them.
 */
#ifndef MIRROR_H
#define MIRROR_H

#include <stdint.h>
#include <sys/types.h>

#include "client.h"
#include "local_sink.h"
#include "partcache.h"

/*
 * 1 when the entry name of dirfd is a regular file of this size and
 * modification time (not followed if a link): up to date.
 */
int	mirror_in_place(int dirfd, const char *name, uint64_t size,
	    uint64_t mtime);

/* A remote directory's files and directories, as its listing says. */
struct remote_file {
	char *name;
	char type;			/* 'f' or 'd' */
	uint64_t size, mtime;
};

struct remote_files {
	struct remote_file *v;		/* sorted by name, as listed */
	size_t n, cap;
	int exists;			/* 0: the directory is not there */
};

/*
 * Lists the remote directory path into rf (at most LOCAL_ENTRIES_MAX
 * names): a directory that does not exist (ERR 1) is rf->exists 0 and
 * RC_OK.  RC_OK, or the failure with the reason in c->remote.why.
 */
int	remote_files_list(struct client *c, const char *path,
	    struct remote_files *rf);
/* The entry name, or NULL. */
const struct remote_file *remote_files_find(const struct remote_files *rf,
	    const char *name);
void	remote_files_free(struct remote_files *rf);

/* One download's way through the cache. */
struct get_plan {
	struct client *c;
	struct local_sink *sink;
	const char *remote;
	int cachefd;			/* -1: no cache for this download */
	int keep_mode;			/* -p */
	int cached;			/* the sink writes into the cache */
	struct partcache_key key;	/* once cached */
	char server[128];
	uint64_t resumed;		/* the part it continues, in bytes */
	int stale;			/* the server's file is another now */
};

/*
 * Before the request: with the remote file's size and mtime known (a
 * tree's listing: GET_PLAN_LISTED), a part of exactly that version is
 * continued (the sink's offset); without (a single get), a part of the
 * path is checked against the directory's listing first, and a part
 * that no longer matches is dropped.  Any trouble with the cache only
 * means none: the download goes beside its target as before.
 */
#define GET_PLAN_LISTED	0x1	/* size and mtime are the listing's */
#define GET_PLAN_FRESH	0x2	/* sent without offset: a part begins anew */
void	get_plan_start(struct get_plan *g, struct client *c,
	    struct local_sink *sink, const char *remote, unsigned how,
	    uint64_t size, uint64_t mtime, int keep_mode);

/*
 * Whether the cache holds a part of this version of the remote file:
 * then its download asks for an offset, so goes alone in a pipeline.
 */
int	get_plan_has_part(struct client *c, const char *remote, uint64_t size,
	    uint64_t mtime);

/* remote_sink's announced: the attributes, and the cache for a new part. */
int	get_plan_announced(void *ctx, const struct announce *a);

/*
 * After a failed download, with its sink closed: 1 when it failed
 * because the part it continued does not match the remote file (the SUM,
 * or another size or time), which is then dropped, so that the caller
 * fetches the file whole; else 0.
 */
int	get_plan_mismatch(struct get_plan *g);

void	get_plan_end(struct get_plan *g);

/* The counts of a command over several files, and its summary line. */
struct tally {
	size_t files, uptodate, skipped, failed;
	uint64_t bytes;
	int64_t start_ms;
};

void	tally_start(struct tally *t);
/* "WHAT: N files, B bytes in T s; U up to date, S skipped, F failed". */
void	tally_print(const struct tally *t, const char *what);

#endif
