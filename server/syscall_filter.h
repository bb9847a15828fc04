/*
 * A seccomp allow-list for every connection's child, loaded once the
 * child is set up: any system call a session has no use for kills it
 * (syscall_filter.c holds the table, each call with why).
 */
#ifndef SYSCALL_FILTER_H
#define SYSCALL_FILTER_H

#include <stddef.h>

/* 1 when this kernel can filter system calls. */
int	filter_available(void);

/* How many rows the allow-list has, for the start-up line. */
size_t	filter_rules(void);

/*
 * Builds the filter once, in the parent before any child: libseccomp's
 * work (resolving names, generating the program) would otherwise be done
 * again by every connection's child.  With trap, a test build's
 * diagnosis: SIGSYS is delivered instead of a kill, so a handler can
 * name the call.  Returns 0, or -1 with a reason in why[0..whylen).
 */
int	filter_prepare(int trap, char *why, size_t whylen);

/*
 * Loads the prepared filter into the calling child: from then on a call
 * outside the table kills it.  Needs no-new-privileges set.  Without a
 * prepared filter (main prepares one whenever filter_available() says
 * the kernel can filter) it does nothing.  Returns 0, or -1 with a
 * reason in why[0..whylen).
 */
int	filter_confine(char *why, size_t whylen);

#endif
