/*
 * Which children wait for a request, and since when: what the listening
 * parent reads to choose the session it closes to make room when -c is
 * reached (docs/protocol.md, "Making room").
 *
 * One slot per child, each on a page of its own in a MAP_SHARED
 * anonymous mapping the parent makes before its first fork.  A child
 * keeps its own page and unmaps the others at once, so children can
 * neither read nor write each other's (the map carries nothing between
 * them).  A slot holds 0 while its child is busy (or not yet serving),
 * the monotonic_ms() time its wait for a request began, or
 * IDLEMAP_CLAIMED once the parent has chosen it; the child's taking of a
 * request and the parent's claim are one atomic exchange each, so a
 * request that arrived is never cut by a claim that lost the race, and a
 * claim that won is always seen by the child.
 */
#ifndef IDLEMAP_H
#define IDLEMAP_H

#include <stdint.h>

/* Parent, before any fork: n slots.  Returns 0, or -1 with errno. */
int	idlemap_create(unsigned n);

/* Parent, before forking the child of slot i: the slot reads busy. */
void	idlemap_reset(unsigned i);

/*
 * Parent: when the child of slot i began to wait for a request (a
 * monotonic_ms value no later than now), or 0 when it is not waiting.
 */
int64_t	idlemap_since(unsigned i, int64_t now);

/*
 * Parent: claims slot i if its child has been waiting since since, and
 * no request came meanwhile.  Returns 1 when claimed (the child must be
 * told, and will not serve another request), 0 otherwise.
 */
int	idlemap_claim(unsigned i, int64_t since);

/* Child, first thing after the fork: keeps slot i, unmaps the others. */
void	idlemap_adopt(unsigned i);

/*
 * Child: a wait for a request begins (waiting 1), or has ended (0).
 * Without a slot (-i, or no map) neither does anything.
 */
void	idlemap_waiting(int waiting);

/* Child: 1 when the parent claimed the slot during the last wait. */
int	idlemap_claimed(void);

#endif
