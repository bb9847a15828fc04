/*
 * The listening parent's table of its children (listener.c): one entry
 * per child forked, session or spare, with its idle-map slot (idlemap.h)
 * and the address -p counts, until it is reaped; and making room when
 * -c is reached (docs/protocol.md, "Making room"; the choice is room.c's).
 */
#ifndef CHILDREN_H
#define CHILDREN_H

#include <sys/types.h>
#include <netinet/in.h>

#include "room.h"

enum kid_state {
	KID_SESSION,			/* serving, or forked to serve, one */
	KID_SPARE,			/* waiting for a connection */
	KID_LOST,			/* a spare found dead, not yet reaped */
	KID_LEAVING,			/* closed to make room, not yet reaped */
};

struct child {
	pid_t pid;
	int admit_fd;			/* pending a PROXY address, a spare's
					 * hand-over pair, or -1 */
	enum kid_state state;
	unsigned slot;			/* in the idle map */
	char addr[INET6_ADDRSTRLEN];	/* "" while pending, refused, or
					 * leaving */
};

struct children {
	struct child *v;
	unsigned n;			/* entries in v, spares included */
	unsigned room;			/* of v */
	unsigned owed;			/* spares to fork before the next wait */
	unsigned *free_slots;		/* idle-map slots no child holds */
	unsigned nfree;
	struct room_session *view;	/* v as room_choose sees it */
	struct child **byaddr;		/* v's entries, sorted by address */
};

/* Parent, before its first fork: 0, or -1 (said in the log). */
int	children_init(struct children *, unsigned max_clients,
	    unsigned spares);
void	children_free(struct children *);

/* Entries in that state; sessions of that address (leaving ones not). */
unsigned children_count_state(const struct children *, enum kid_state);
unsigned children_count_addr(const struct children *, const char *);

/* The idle-map slot of the next child, marked busy: before its fork. */
unsigned children_next_slot(const struct children *);
/* After the fork: its entry, taking that slot. */
void	children_add(struct children *, pid_t, int admit_fd, enum kid_state,
	    const char *addr);
/* A reaped child's entry goes, if it is there. */
void	children_remove(struct children *, pid_t);

/*
 * -c is reached and a newcomer from addr (NULL while not known) is at
 * the door: closes the session room_choose picks, if any.  Returns 1
 * when one was closed (it is leaving, told by SIGUSR1).
 */
int	children_make_room(struct children *, const char *addr);

#endif
