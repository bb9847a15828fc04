/*
 * The prefix-hashing slots (see hashslot.h).
 *
 * Each slot is one byte of an anonymous file (memfd) made by the parent,
 * and a child holds a slot with a POSIX record lock on that byte.  Such
 * locks belong to the process, not to the descriptor every child
 * inherited, so two children exclude each other through the same
 * descriptor; and the kernel drops a process's locks when it ends, by
 * SIGKILL too, so a slot is never lost.  (Open file description locks,
 * F_OFD_SETLK, would be shared by every child through the inherited
 * descriptor, and exclude nothing.)  No system call beyond fcntl and a
 * short sleep, which the child's filter allows; Landlock does not govern
 * locks, and a -u child needs no path to reach the object.
 *
 * The file is empty and sealed (no write, no growth): the locks need a
 * descriptor open for writing, but a subverted child must not be able to
 * pass data to another through it, nor fill memory that its own data
 * limit does not count.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "hashslot.h"
#include "idle.h"
#include "log.h"
#include "testhook.h"

#define WAIT_STEP_MS	20	/* between two looks at the slots */

static int slot_fd = -1;
static int held = -1;		/* the slot this process holds, or -1 */

static int	lock_byte(int, short);

/* F_SETLK of byte i: 0, or -1 with errno (EAGAIN or EACCES: taken). */
static int
lock_byte(int i, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = i;
	fl.l_len = 1;
	return fcntl(slot_fd, F_SETLK, &fl);
}

int
hashslot_prepare(char *why, size_t whylen)
{
	if (slot_fd != -1)
		return 0;
	if ((slot_fd = memfd_create("fileserver-hash-slots", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1 || fcntl(slot_fd, F_ADD_SEALS,
	    F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) == -1) {
		snprintf(why, whylen, "hash slots: %s", strerror(errno));
		if (slot_fd != -1)
			close(slot_fd);
		slot_fd = -1;
		return -1;
	}
	return 0;
}

int
hashslot_fd(void)
{
	return slot_fd;
}

int
hashslot_take(uint64_t bytes, unsigned timeout)
{
	const struct timespec step = { 0, WAIT_STEP_MS * 1000000L };
	struct timespec start, now;
	int i, logged = 0;

	if (bytes < HASHSLOT_MIN || slot_fd == -1 || held != -1)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		for (i = 0; i < HASHSLOT_COUNT; i++) {
			if (lock_byte(i, F_WRLCK) == 0) {
				held = i;
				testhook_pause_prefix();
				return 0;
			}
			/* No locks on this system: hash, unbounded. */
			if (errno != EAGAIN && errno != EACCES)
				return 0;
		}
		if (!logged) {
			log_debug("Waiting for one of the %d slots to hash a "
			    "prefix of %" PRIu64 " bytes", HASHSLOT_COUNT,
			    bytes);
			logged = 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)timeout ||
		    idle_draining()) {
			errno = EBUSY;
			return -1;
		}
		(void)nanosleep(&step, NULL);
	}
}

void
hashslot_release(void)
{
	if (held == -1)
		return;
	(void)lock_byte(held, F_UNLCK);
	held = -1;
}
