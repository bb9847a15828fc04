/*
 * Slots for hashing a resumed download's prefix (docs/protocol.md,
 * "Resuming").  A download with a digest and an offset makes the child
 * read and hash every byte before the offset, and send none of them: a
 * 45-byte request can cost the server a whole file's reading (issue 25).
 * So at most HASHSLOT_COUNT children do that at once, whatever the
 * clients ask; the others wait their turn, within the idle timeout.
 */
#ifndef HASHSLOT_H
#define HASHSLOT_H

#include <stdint.h>

#define HASHSLOT_COUNT	2		/* prefixes hashed at once */
#define HASHSLOT_MIN	((uint64_t)64 << 20)	/* smaller: no slot needed */

/*
 * In the parent, once before any child: makes the object the slots are
 * locks on, a descriptor every child inherits.  Returns 0, or -1 with a
 * reason in why[0..whylen).
 */
int	hashslot_prepare(char *why, size_t whylen);

/* That descriptor, which a child must keep, or -1 before prepare. */
int	hashslot_fd(void);

/*
 * In a child, before hashing a prefix of bytes: takes a slot when the
 * prefix is HASHSLOT_MIN or more, waiting at most timeout seconds for
 * one to come free (less when a drain starts).  Returns 0 (with a slot,
 * or none needed), or -1 with EBUSY when none came free.  The slot is
 * the child's until hashslot_release or its end, however it ends.
 */
int	hashslot_take(uint64_t bytes, unsigned timeout);

/* Gives back the slot taken, if any. */
void	hashslot_release(void);

#endif
