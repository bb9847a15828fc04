/*
 * Making room (docs/protocol.md, "Making room"): which session a full
 * server closes so that a newcomer is served.  Pure: the listening parent
 * (listener.c) gathers what it knows of each session and this chooses;
 * nothing here reads a clock, a map or a socket.
 */
#ifndef ROOM_H
#define ROOM_H

#include <stdint.h>

/* A session that has waited this long for a request may be closed for
 * any newcomer. */
#define ROOM_IDLE_MIN_MS	10000
/* A newcomer whose address holds this many sessions fewer than another
 * address takes a slot of that one at once, however short its wait. */
#define ROOM_SHARE_GAP		2

/* One entry of the parent's child table, as the choice sees it. */
struct room_session {
	int64_t waiting_since;	/* when its wait for a request began (a
				 * monotonic_ms value), 0 when it is not
				 * waiting for one, or is no session */
	unsigned held;		/* sessions its address holds, 0 when the
				 * address is not known (PROXY pending) */
};

/*
 * The index in v of the session to close for a newcomer whose address
 * holds `mine` sessions (known 0 when its address is not known yet,
 * behind --proxy-protocol), at monotonic time now; -1 when none may be.
 */
int	room_choose(const struct room_session *v, unsigned n, int known,
	    unsigned mine, int64_t now);

#endif
