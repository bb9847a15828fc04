/*
 * Test-only hooks: ways for the integration tests to reach moments that no
 * client can (a start-up race, a child that misbehaves once sandboxed).
 * They exist only in builds made with -DFS_TEST_HOOKS (the sanitizer test
 * build, `make SAN=1`); in the release build every hook is an empty inline
 * function, so no environment variable can change what bin/server does.
 */
#ifndef TESTHOOK_H
#define TESTHOOK_H

#ifdef FS_TEST_HOOKS
/*
 * FS_TEST_PAUSE_CONFINE=FILE: between opening DIR and confining to it,
 * creates FILE.ready and waits (at most 20 s) until FILE exists, so that a
 * test can swap DIR's path meanwhile.
 */
void	testhook_pause_confine(void);
/*
 * FS_TEST_ESCAPE=passwd|exec|socket|ptrace|tgkill-parent|tgkill-self|
 * fchmod-plain|fchmod-setuid|fchmodat-setgid|fchmodat2-sticky: a child,
 * once sandboxed, tries that escape and logs what happened (if it is
 * still alive to do so).
 */
void	testhook_escape(void);
/*
 * FS_TEST_USER_ESCAPE=write|mkdir|up: a child confined to its user
 * (--users, harden_user) tries, past every check of the code, to create
 * a file or a directory in its root (rootfd), or to read the file
 * FS_TEST_USER_ESCAPE_FILE above its root (the root's parent, opened
 * by "..", then that name beneath it), and logs what happened.
 */
void	testhook_user_escape(int rootfd);
/*
 * FS_TEST_SECCOMP_TRAP=1: the filter traps instead of killing, and the
 * handler logs the number of the call refused before the child exits, to
 * find what a new libc or runtime needs.  Returns 1 when so, -1 with
 * errno when the handler could not be installed.
 */
int	testhook_seccomp_trap(void);
/*
 * FS_TEST_OLD_KERNEL=1: behave as on Linux before 6.10, where linkat
 * (AT_EMPTY_PATH) is for privileged processes only.  Returns 1 when so.
 */
int	testhook_old_kernel(void);
/*
 * FS_TEST_NO_LANDLOCK=1: landlock_create_ruleset fails with EOPNOTSUPP,
 * as on a kernel built without Landlock or booted with it off, so that
 * the other layers are tested alone.  Returns 1 when so.
 */
int	testhook_no_landlock(void);
/*
 * FS_TEST_PAUSE_PREFIX=FILE: a child that took a slot to hash a prefix
 * (hashslot.c) logs so and waits (at most 20 s) until FILE exists,
 * holding the slot meanwhile.
 */
void	testhook_pause_prefix(void);
/*
 * FS_TEST_PAUSE_MKDIR=FILE: MKD, once the parent is open, logs so and
 * waits (at most 20 s) until FILE exists, so that a test can move the
 * parent meanwhile.
 */
void	testhook_pause_mkdir(void);
/*
 * FS_TEST_NO_NOREPLACE=1: RNM behaves as on a file system without
 * renameat2(RENAME_NOREPLACE), as if the call said EINVAL.  1 when so.
 */
int	testhook_no_noreplace(void);
/*
 * FS_TEST_PAUSE_RENAME=FILE: a RNM done by link and unlink, once linked,
 * logs so and waits (at most 20 s) until FILE exists, so that a test can
 * kill the child between the two.
 */
void	testhook_pause_rename(void);
/* FS_TEST_LISTING_MAX=BYTES: a smaller listing bound, or 0 for none. */
unsigned long long testhook_listing_max(void);
/* FS_TEST_SYSLOG=PATH: --syslog sends to this socket, not /dev/log. */
const char *testhook_syslog_path(void);
#else
static inline void testhook_pause_confine(void) { }
static inline void testhook_escape(void) { }
static inline void testhook_user_escape(int rootfd) { (void)rootfd; }
static inline int testhook_seccomp_trap(void) { return 0; }
static inline int testhook_old_kernel(void) { return 0; }
static inline int testhook_no_landlock(void) { return 0; }
static inline void testhook_pause_prefix(void) { }
static inline void testhook_pause_mkdir(void) { }
static inline int testhook_no_noreplace(void) { return 0; }
static inline void testhook_pause_rename(void) { }
static inline unsigned long long testhook_listing_max(void) { return 0; }
static inline const char *testhook_syslog_path(void) { return 0; }
#endif

#endif
