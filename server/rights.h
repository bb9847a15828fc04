/*
 * What a session may ask for (session.h), and what the kernel lets a
 * user's child do (landlock.h): one set of rights for both.
 */
#ifndef RIGHTS_H
#define RIGHTS_H

/*
 * Each request handler needs one.  The server's own -r decides
 * (read-only: neither write nor delete), and with --users the user's
 * rights narrow them (docs/protocol.md, "Users").
 */
enum session_right {
	RIGHT_READ = 1,			/* RRQ, DRQ */
	RIGHT_WRITE = 2,		/* WRQ, MKD */
	RIGHT_DELETE = 4,		/* removing and renaming */
};

#endif
