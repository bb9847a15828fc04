/*
 * Test harness for the integration suites: runs the real server binary
 * ($SERVER_BIN) on port 0 in a fresh temporary directory, reads the port
 * from its listening line, and stops it by its PID.  Every wait is
 * bounded.  Also raw sessions that speak packets through the codec, and
 * what the suites look at afterwards: the log, the server's children,
 * the entries left in a directory.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conn.h"
#include "packet.h"

struct server {
	pid_t pid;
	unsigned port;
	char top[64];		/* the temporary directory */
	char root[PATH_MAX];	/* top/root: the served directory */
	char log[PATH_MAX];	/* top/log: the server's standard error */
	char line[256];		/* its listening line, with the newline */
};

/* A fresh top directory with root/ in it; the server not yet started. */
void	harness_dirs(struct server *s);

/*
 * Starts the server on root with the extra arguments (NULL-terminated
 * list before DIR and PORT) and waits for its listening line.  The port
 * is s->port: 0 the first time, so the system picks one.
 */
void	harness_start(struct server *s, const char *const *args);

/* SIGTERM, then waits (bounded) for exit; returns its exit status. */
int	harness_stop(struct server *s);

/* Removes the top directory. */
void	harness_cleanup(struct server *s);

/* A connected socket to the server on 127.0.0.1 (or ::1 if v6). */
int	harness_dial(const struct server *s, int v6);

/* The same to any port: a server the harness did not start. */
int	harness_dial_port(unsigned port, int v6);

/* Past the greeting on a connected fd: read DAT 1, send ACK 1. */
void	harness_greet(int fd, struct conn *c);

/* A session past the greeting: dial, then harness_greet. */
int	harness_session(const struct server *s, struct conn *c);

/* Writes all of buf. */
void	harness_send(int fd, const void *buf, size_t len);

/* Reads one packet (bounded wait); returns the conn status. */
enum conn_status harness_recv(struct conn *c, struct pkt *p);

/* Ends a session if *fd holds one (conn_free, close); *fd becomes -1. */
void	harness_end_session(struct conn *c, int *fd);

/* Sends a request (RRQ, WRQ, DRQ, MKD) for path. */
void	harness_send_req(struct conn *c, enum pkt_op op, const char *path);

/* WRQ of name, and its ACK 0. */
void	harness_start_upload(struct conn *c, const char *name);

/* DAT block of size (<= 600) bytes of 'd', sent whatever its size. */
void	harness_send_dat(struct conn *c, uint16_t block, size_t size);

/* Expects an ERR with this code. */
void	harness_expect_err(struct conn *c, uint16_t code);

/* Expects the server to close the connection (EOF or reset). */
void	harness_expect_closed(struct conn *c);

/*
 * Downloads path by RRQ (op) or DRQ into a malloc'ed buffer; returns its
 * length, or -1 with *code set to the ERR received.
 */
ssize_t	harness_fetch(struct conn *c, enum pkt_op op, const char *path,
	    char **data, uint16_t *code);

/* RRQ of path must bring exactly want[0..len). */
void	harness_expect_fetch(struct conn *c, const char *path,
	    const char *want, size_t len);

/* RRQ of path must be refused with ERR code. */
void	harness_expect_fetch_err(struct conn *c, const char *path,
	    uint16_t code);

/* Uploads len bytes to path; returns 0, or the ERR code received. */
int	harness_upload(struct conn *c, const char *path, const void *data,
	    size_t len);

/* Writes a file under root with these bytes. */
void	harness_write_file(const struct server *s, const char *name,
	    const void *data, size_t len);

/* 1 when name exists under root (lstat: a dangling link counts). */
int	harness_exists(const struct server *s, const char *name);

/* Entries in a directory, "." and ".." aside: "nothing left behind". */
int	harness_entries(const char *dir);

/* How many of the server's children are zombies, and how many in all. */
void	harness_children(const struct server *s, int *zombies, int *all);

/* Waits (bounded by seconds) until the server has no child left. */
void	harness_wait_no_children(const struct server *s, int seconds);

/* The server's newest child from /proc, or 0 (bounded wait). */
pid_t	harness_newest_child(const struct server *s);

/* The child serving the last connection, from its log line (waits). */
pid_t	harness_last_child(const struct server *s);

/*
 * Waits (bounded) for pid, a child of the test, to exit; returns its exit
 * status, or 128 + the signal that ended it.
 */
int	harness_wait_exit(pid_t pid);

/* The log as a string now, at most size - 1 bytes. */
void	harness_read_log(const struct server *s, char *buf, size_t size);

/* 1 when the log holds the string; waits a little for it to appear. */
int	harness_log_has(const struct server *s, const char *needle);

/* 1 when the log holds the string now: for what must not be there. */
int	harness_log_has_now(const struct server *s, const char *needle);

#endif
