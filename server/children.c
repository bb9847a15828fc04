/*
 * The listening parent's table of its children (see children.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "children.h"
#include "idlemap.h"
#include "log.h"
#include "signals.h"

/* Entries in that state: sessions, spares or lost spares. */
unsigned
children_count_state(const struct children *kids, enum kid_state state)
{
	unsigned i, count = 0;

	for (i = 0; i < kids->n; i++)
		if (kids->v[i].state == state)
			count++;
	return count;
}

unsigned
children_count_addr(const struct children *kids, const char *addr)
{
	unsigned i, count = 0;

	for (i = 0; i < kids->n; i++)
		if (strcmp(kids->v[i].addr, addr) == 0)
			count++;
	return count;
}

/*
 * The idle-map slot the next child takes, marked busy before the fork:
 * one is free whenever the table has room, as each entry holds one.
 */
unsigned
children_next_slot(const struct children *kids)
{
	unsigned slot = kids->free_slots[kids->nfree - 1];

	idlemap_reset(slot);
	return slot;
}

/* The entry of a child just forked, which took children_next_slot's slot. */
void
children_add(struct children *kids, pid_t pid, int admit_fd,
    enum kid_state state, const char *addr)
{
	struct child *k = &kids->v[kids->n++];

	k->pid = pid;
	k->admit_fd = admit_fd;
	k->state = state;
	k->slot = kids->free_slots[--kids->nfree];
	strlcpy(k->addr, addr, sizeof(k->addr));
}

static int
by_addr(const void *a, const void *b)
{
	return strcmp((*(struct child *const *)a)->addr,
	    (*(struct child *const *)b)->addr);
}

/*
 * Each entry's view[].held: the sessions its address holds (0 for none
 * known).  By sorting, so that a full table of -c 4096 costs a moment,
 * not a count per entry.
 */
static void
count_by_address(struct children *kids)
{
	unsigned i, start, end, n = 0;

	for (i = 0; i < kids->n; i++) {
		kids->view[i].held = 0;
		if (kids->v[i].addr[0] != '\0')
			kids->byaddr[n++] = &kids->v[i];
	}
	qsort(kids->byaddr, n, sizeof(struct child *), by_addr);
	for (start = 0; start < n; start = end) {
		for (end = start + 1; end < n && by_addr(&kids->byaddr[start],
		    &kids->byaddr[end]) == 0; end++)
			;
		for (i = start; i < end; i++)
			kids->view[kids->byaddr[i] - kids->v].held =
			    end - start;
	}
}

/*
 * -c is reached: closes the session room_choose picks, if any, for a
 * newcomer from addr (NULL while not known, behind a balancer).  One that
 * took a request since the map was read is not closed (idlemap.h).
 * Returns 1 when one was closed.
 */
int
children_make_room(struct children *kids, const char *addr)
{
	int64_t now = monotonic_ms();
	struct child *k;
	unsigned i;
	int pick;

	/* A newcomer that could not be forked would gain nothing. */
	if (kids->n == kids->room &&
	    children_count_state(kids, KID_SPARE) == 0)
		return 0;
	count_by_address(kids);
	for (i = 0; i < kids->n; i++) {
		k = &kids->v[i];
		kids->view[i].waiting_since = k->state != KID_SESSION ? 0 :
		    idlemap_since(k->slot, now);
	}
	pick = room_choose(kids->view, kids->n, addr != NULL,
	    addr != NULL ? children_count_addr(kids, addr) : 0, now);
	if (pick == -1)
		return 0;
	k = &kids->v[pick];
	if (!idlemap_claim(k->slot, kids->view[pick].waiting_since))
		return 0;
	log_event("Making room: closing the session of %s (pid %ld), one of "
	    "%u from that address, waiting for a request for %lld s",
	    k->addr, (long)k->pid, kids->view[pick].held,
	    (long long)((now - kids->view[pick].waiting_since) / 1000));
	(void)kill(k->pid, SIGUSR1);
	k->state = KID_LEAVING;
	k->addr[0] = '\0';	/* counts for -p no more */
	return 1;
}

/* The table's arrays, freed together. */
void
children_free(struct children *kids)
{
	free(kids->v);
	free(kids->free_slots);
	free(kids->view);
	free(kids->byaddr);
}

/*
 * An empty table with room for max_clients sessions, as many leaving,
 * and the spares, and the idle map.  Returns 0, or -1 (said in the log).
 */
int
children_init(struct children *kids, unsigned max_clients, unsigned spares)
{
	unsigned i;

	memset(kids, 0, sizeof(*kids));
	kids->room = 2 * max_clients + spares;
	kids->v = calloc(kids->room, sizeof(*kids->v));
	kids->free_slots = calloc(kids->room, sizeof(*kids->free_slots));
	kids->view = calloc(kids->room, sizeof(*kids->view));
	kids->byaddr = calloc(kids->room, sizeof(struct child *));
	if (kids->v == NULL || kids->free_slots == NULL ||
	    kids->view == NULL || kids->byaddr == NULL) {
		log_error("out of memory");
	} else if (idlemap_create(kids->room) == -1) {
		log_error("the idle map: %s", strerror(errno));
	} else {
		for (i = 0; i < kids->room; i++)
			kids->free_slots[kids->nfree++] = kids->room - 1 - i;
		return 0;
	}
	children_free(kids);
	return -1;
}

/*
 * The entry of pid, reaped, goes: its pair closed, its idle-map slot
 * free again.
 */
void
children_remove(struct children *kids, pid_t pid)
{
	unsigned i;

	for (i = 0; i < kids->n; i++) {
		if (kids->v[i].pid != pid)
			continue;
		if (kids->v[i].admit_fd != -1)
			close(kids->v[i].admit_fd);
		kids->free_slots[kids->nfree++] = kids->v[i].slot;
		kids->v[i] = kids->v[--kids->n];
		return;
	}
}
