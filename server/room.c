/*
 * Making room (see room.h and docs/protocol.md, "Making room").
 *
 * Two rules, the first one first:
 *
 * - A fair share.  A newcomer whose address holds at least ROOM_SHARE_GAP
 *   sessions fewer than another address's takes the slot of one of
 *   those, at once: of the address holding the most, the session that
 *   has waited longest for a request.  Whatever a holder's requests do,
 *   an address cannot keep its sessions against one that holds fewer;
 *   the swap leaves the newcomer's address still below or level with the
 *   other's, so holders closed this way cannot take the slot back.
 * - Idleness.  Otherwise, the session of any address that has waited
 *   longest for a request, if it has waited ROOM_IDLE_MIN_MS or more.
 *
 * A session in a transfer, or not yet admitted, is never the one: its
 * waiting_since is 0.
 */
#include "room.h"

int
room_choose(const struct room_session *v, unsigned n, int known,
    unsigned mine, int64_t now)
{
	unsigned i, rank, best_rank = 0;
	int best = -1;

	for (i = 0; i < n; i++) {
		if (v[i].waiting_since == 0)
			continue;
		/* 0: idle rule only; else the sessions its address holds. */
		rank = known && v[i].held >= mine + ROOM_SHARE_GAP ?
		    v[i].held : 0;
		if (rank == 0 && now - v[i].waiting_since < ROOM_IDLE_MIN_MS)
			continue;
		if (best == -1 || rank > best_rank || (rank == best_rank &&
		    v[i].waiting_since < v[best].waiting_since)) {
			best = (int)i;
			best_rank = rank;
		}
	}
	return best;
}
