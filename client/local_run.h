/*
 * A local program run from the client and waited for: "!" commands and
 * lls.  As system(3) does, the client ignores Ctrl-C and Ctrl-\ while it
 * waits, and the program gets the default signals the client changed.
 */
#ifndef LOCAL_RUN_H
#define LOCAL_RUN_H

/*
 * Runs file (found in PATH when it has no '/') with argv and waits.
 * RC_OK when it exits 0; otherwise RC_FAILED after one line on standard
 * error starting with what: why it did not start, its exit status, or
 * the signal that killed it.
 */
int	local_run(const char *what, const char *file, char *const argv[]);

#endif
