/*
 * The pipeline extension on the client's side (docs/protocol.md,
 * "Pipelining"): trees, lists of files and patterns moved with up to
 * CLIENT_PIPELINE requests in flight, so that they cost about one round
 * trip a directory level instead of two or three a file.  Where the
 * server does not echo `pipeline`, the same commands go one request at
 * a time.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdint.h>

#include "conn.h"

struct client;
struct names;
struct remote;

/* Whether get and put use this module: options are negotiated. */
int	pipeline_wanted(const struct remote *r);

/*
 * Downloads remote->v[i] to local->v[i], for every i: a file for type
 * 'f', a tree for 'd' (its local directory made or entered).  -f may
 * overwrite.  Every failure is reported on its own line; returns the
 * worst status.
 */
int	pipeline_get(struct client *c, const struct names *remote,
	    const struct names *local, int force);

/*
 * Uploads local->v[i] to remote->v[i]: a file for type 'f' in remote's
 * list, a tree for 'd' (remote directories made by MKD, or entered when
 * they exist).  As pipeline_get.
 */
int	pipeline_put(struct client *c, const struct names *remote,
	    const struct names *local);

#endif
