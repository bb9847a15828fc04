/*
 * What the two test relays share (relay.c, delay.c): the listening
 * socket on a loopback address, the "NAME port N" line a test waits for,
 * and a child of its own for each connection, which ends with the relay.
 */
#ifndef RELAY_COMMON_H
#define RELAY_COMMON_H

/*
 * Listens on bind_addr (IPv4) port 0, prints "name port N" on standard
 * output, then accepts until killed, calling serve(fd, ctx) in a child
 * per connection; serve must not return (it _exits).  SIGCHLD and
 * SIGPIPE are ignored (children reaped by the kernel; a peer gone is a
 * write error).  Returns only on a failure, said on standard error: 1,
 * or 2 for an address that is not one.
 */
int	relay_accept_loop(const char *name, const char *bind_addr,
	    void (*serve)(int fd, void *ctx), void *ctx);

#endif
