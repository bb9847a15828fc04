/*
 * The listening parent (see listener.h).
 *
 * Signals are blocked except inside ppoll, which unblocks them atomically
 * while it waits, so a SIGTERM or SIGCHLD can never slip in between the
 * check of a flag and the wait.  Handlers only set flags.
 *
 * SIGQUIT drains: the listening sockets close at once (a balancer's
 * check fails over), each child is sent SIGQUIT and ends at its next wait
 * for a request (server/idle.c), and the parent exits when the last is
 * reaped, or ends the rest as SIGTERM does after --drain-timeout.
 *
 * With --proxy-protocol the address that -p counts is known only to the
 * child, once it has read the header; a child stays "pending" (no
 * address, counted by -c only) until it sends the address over its
 * socketpair, and the parent answers whether that address has room.
 *
 * Spare children (handoff.h), with --spares N: N children are forked and
 * confined ahead of their connections, each waiting on its pair.  An
 * accepted connection goes to a spare when one is there, and otherwise
 * to a child forked for it as before.  Each connection that leaves the
 * pool short tops it up again to N, forked once the accepts at hand are
 * done, so the fork is off the client's path.  A spare that dies unused
 * (one that could not confine itself, say) is replaced only so, by the
 * next connection: a broken sandbox costs at most N more forks per
 * connection, never a fork loop.  Spares count for neither -c nor -p,
 * and neither do spares found dead while they wait to be reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "child.h"
#include "handoff.h"
#include "listener.h"

/*
 * The kernel caps this at net.core.somaxconn.  A short queue is worse
 * than slow here: when it overflows the kernel answers with SYN cookies
 * and may drop the handshake's last ACK, and as the server speaks first
 * the client, which sent nothing, waits for a greeting that never comes
 * (seen with a thousand clients at once).
 */
#define LISTEN_BACKLOG	4096
#include "log.h"
#include "packet.h"
#include "session.h"

#define SD_LISTEN_FDS_START	3	/* sd_listen_fds(3) */

enum kid_state {
	KID_SESSION,			/* serving, or forked to serve, one */
	KID_SPARE,			/* waiting for a connection */
	KID_LOST,			/* a spare found dead, not yet reaped */
};

struct child {
	pid_t pid;
	int admit_fd;			/* pending a PROXY address, a spare's
					 * hand-over pair, or -1 */
	enum kid_state state;
	char addr[INET6_ADDRSTRLEN];	/* "" while pending, or refused */
};

struct children {
	struct child *v;
	unsigned n;			/* entries in v, spares included */
	unsigned room;			/* of v */
	unsigned owed;			/* spares to fork before the next wait */
};

static volatile sig_atomic_t got_term, got_chld, got_quit;
/* /dev/null: kept to free a descriptor when accept runs out of them, and
 * the children's standard input and output. */
static int reserve_fd = -1;

static void	on_signal(int);
static int	bind_one(const struct sockaddr *, socklen_t, int, char *,
		    size_t);
static void	reap(struct children *, const struct jail *);
static void	handle_accept(int, const struct server_config *,
		    const struct jail *, struct listener *, struct children *);
static int	hand_to_spare(struct children *, int,
		    const struct peer_name *, const struct server_config *);
static int	fork_child(int, const struct peer_name *,
		    const struct server_config *, const struct jail *,
		    struct listener *, struct children *);
static void	fork_spares(const struct server_config *, const struct jail *,
		    struct listener *, struct children *);
static void	become_child(struct listener *, const struct children *);
static unsigned	count_addr(const struct children *, const char *);
static unsigned	count_state(const struct children *, enum kid_state);
static unsigned	bound_port(int);
static void	admit(const struct server_config *, struct children *,
		    unsigned);
static void	start_drain(struct listener *, struct children *);
static long long ms_until(const struct timespec *);

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGQUIT)
		got_quit = 1;
	else
		got_term = 1;
}

void
listener_addr_str(const struct sockaddr_storage *ss, char *buf, size_t size,
    unsigned *port)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET6) {
		*port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf,
			    (socklen_t)size);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, buf,
			    (socklen_t)size);
	} else {
		*port = ntohs(s4->sin_port);
		inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)size);
	}
}

/* Returns a listening socket, or -1 with errno and a reason. */
static int
bind_one(const struct sockaddr *sa, socklen_t salen, int dual, char *why,
    size_t whylen)
{
	int fd, on = 1, off = 0, saved;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	/* Rebind at once after a restart, whatever TIME_WAIT holds. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &off : &on,
		    sizeof(int));
	if (bind(fd, sa, salen) == -1 || listen(fd, LISTEN_BACKLOG) == -1) {
		saved = errno;
		snprintf(why, whylen, "%s", strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
listener_open(struct listener *l, const struct server_config *cfg,
    char *why, size_t whylen)
{
	struct addrinfo hints, *res, *ai;
	char port[8];
	int rc, fd;

	l->nfds = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", cfg->port);

	if (cfg->bind_addr == NULL) {
		/* One IPv6 socket takes IPv4 too; without IPv6, IPv4 only. */
		struct sockaddr_in6 s6;
		struct sockaddr_in s4;

		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_addr = in6addr_any;
		s6.sin6_port = htons(cfg->port);
		fd = bind_one((struct sockaddr *)&s6, sizeof(s6), 1, why,
		    whylen);
		if (fd == -1 && (errno == EAFNOSUPPORT ||
		    errno == EADDRNOTAVAIL)) {
			memset(&s4, 0, sizeof(s4));
			s4.sin_family = AF_INET;
			s4.sin_addr.s_addr = htonl(INADDR_ANY);
			s4.sin_port = htons(cfg->port);
			fd = bind_one((struct sockaddr *)&s4, sizeof(s4), 0,
			    why, whylen);
		}
		if (fd == -1)
			return -1;
		l->fds[l->nfds++] = fd;
	} else {
		if ((rc = getaddrinfo(cfg->bind_addr, port, &hints, &res))
		    != 0) {
			snprintf(why, whylen, "%s: %s", cfg->bind_addr,
			    gai_strerror(rc));
			return -1;
		}
		/* Every address of the name, all on the first one's port. */
		for (ai = res; ai != NULL && l->nfds < LISTENERS_MAX;
		    ai = ai->ai_next) {
			if (l->nfds > 0) {
				if (ai->ai_family == AF_INET6)
					((struct sockaddr_in6 *)ai->ai_addr)->
					    sin6_port = htons((uint16_t)l->port);
				else
					((struct sockaddr_in *)ai->ai_addr)->
					    sin_port = htons((uint16_t)l->port);
			}
			fd = bind_one(ai->ai_addr, ai->ai_addrlen, 0, why,
			    whylen);
			if (fd == -1) {
				freeaddrinfo(res);
				while (l->nfds > 0)
					close(l->fds[--l->nfds]);
				return -1;
			}
			l->fds[l->nfds++] = fd;
			if (l->nfds == 1 && (l->port = bound_port(fd)) == 0) {
				snprintf(why, whylen, "getsockname: %s",
				    strerror(errno));
				freeaddrinfo(res);
				close(fd);
				l->nfds = 0;
				return -1;
			}
		}
		freeaddrinfo(res);
		if (l->nfds == 0) {
			snprintf(why, whylen, "%s: no address to listen on",
			    cfg->bind_addr);
			return -1;
		}
	}
	if ((l->port = bound_port(l->fds[0])) == 0) {
		snprintf(why, whylen, "getsockname: %s", strerror(errno));
		close(l->fds[0]);
		l->nfds = 0;
		return -1;
	}
	return 0;
}

int
listener_inherit(struct listener *l, int *conn_fd, char *why, size_t whylen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *errstr;
	int n, i, fd, listening, type, flags;
	struct sockaddr_storage ss;
	socklen_t len, sslen;

	*conn_fd = -1;
	l->nfds = 0;
	if (pid == NULL || fds == NULL ||
	    strtonum(pid, 1, INT_MAX, &errstr) != (long long)getpid())
		return 0;
	n = (int)strtonum(fds, 1, LISTENERS_MAX, &errstr);
	/* sd_listen_fds(3) unsets them: no child or helper takes them. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (errstr != NULL) {
		snprintf(why, whylen, "LISTEN_FDS=%s: %s (1 to %d)", fds,
		    errstr, LISTENERS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != SOCK_STREAM) {
			snprintf(why, whylen, "descriptor %d from systemd is "
			    "not a stream socket", fd);
			return -1;
		}
		/* Addresses are logged and counted as IPv4 or IPv6. */
		sslen = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
			snprintf(why, whylen, "descriptor %d from systemd is "
			    "not a TCP socket", fd);
			return -1;
		}
		len = sizeof(listening);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
		    &len) == -1) {
			snprintf(why, whylen, "descriptor %d: %s", fd,
			    strerror(errno));
			return -1;
		}
		/* Accept=yes: one connection, served as inetd's. */
		if (!listening) {
			if (n != 1) {
				snprintf(why, whylen, "descriptor %d from "
				    "systemd is not listening", fd);
				return -1;
			}
			*conn_fd = fd;
			return 1;
		}
		/* Ours are non-blocking and close on exec; so these. */
		if ((flags = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			snprintf(why, whylen, "descriptor %d: %s", fd,
			    strerror(errno));
			return -1;
		}
		l->fds[l->nfds++] = fd;
	}
	l->port = bound_port(l->fds[0]);
	return 1;
}

/* The port a socket is bound to, or 0 with errno. */
static unsigned
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];
	unsigned port;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		return 0;
	listener_addr_str(&ss, addr, sizeof(addr), &port);
	return port;
}

/* Entries in that state: sessions, spares or lost spares. */
static unsigned
count_state(const struct children *kids, enum kid_state state)
{
	unsigned i, count = 0;

	for (i = 0; i < kids->n; i++)
		if (kids->v[i].state == state)
			count++;
	return count;
}

static unsigned
count_addr(const struct children *kids, const char *addr)
{
	unsigned i, count = 0;

	for (i = 0; i < kids->n; i++)
		if (strcmp(kids->v[i].addr, addr) == 0)
			count++;
	return count;
}

/*
 * A child that died of a signal (SIGKILL mid-upload) may have left a
 * staged upload in the spool: its files go.
 */
static void
reap(struct children *kids, const struct jail *jail)
{
	pid_t pid;
	unsigned i;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		/* The seccomp filter's verdict (syscall_filter.c). */
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
			log_error("child %ld killed by SIGSYS: a system call "
			    "outside its seccomp allow-list", (long)pid);
		if (WIFSIGNALED(status))
			spool_sweep(&jail->spool, pid);
		for (i = 0; i < kids->n; i++) {
			if (kids->v[i].pid == pid) {
				if (kids->v[i].admit_fd != -1)
					close(kids->v[i].admit_fd);
				kids->v[i] = kids->v[--kids->n];
				break;
			}
		}
	}
}

void
listener_refuse(int fd, const char *addr, unsigned port, const char *why)
{
	uint8_t buf[PKT_ERR_HDR_LEN + ERRMSG_LEN_MAX + 1];
	ssize_t len;

	log_event("Received a connection from %s, port %u", addr, port);
	len = pkt_encode_err(buf, sizeof(buf), ERR_BUSY, why);
	if (len > 0)
		(void)send(fd, buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	log_event("Sent ERR %u: %s", ERR_BUSY, why);
	close(fd);
}

/*
 * In a new child, before anything else: what is the parent's alone goes
 * (the listening sockets, other children's pairs), standard input and
 * output become /dev/null, the signals are the child's.
 */
static void
become_child(struct listener *l, const struct children *kids)
{
	unsigned i;
	int n;

	for (n = 0; n < l->nfds; n++)
		close(l->fds[n]);
	for (i = 0; i < kids->n; i++)
		if (kids->v[i].admit_fd != -1)
			close(kids->v[i].admit_fd);
	/*
	 * The child reads and writes only its socket and the log: its
	 * standard input and output, which may be files or terminals
	 * outside DIR, become /dev/null (issue 13, finding 5).
	 */
	if (reserve_fd != -1) {
		(void)dup2(reserve_fd, STDIN_FILENO);
		(void)dup2(reserve_fd, STDOUT_FILENO);
		close(reserve_fd);
	}
	child_signals();
}

/*
 * Gives fd to a waiting spare.  Returns 1 when one took it, 0 when none
 * could (the caller forks a child for it).
 */
static int
hand_to_spare(struct children *kids, int fd, const struct peer_name *peer,
    const struct server_config *cfg)
{
	struct child *k;
	unsigned i;

	for (i = 0; i < kids->n; i++) {
		k = &kids->v[i];
		if (k->state != KID_SPARE)
			continue;
		if (handoff_send(k->admit_fd, fd, peer) == -1) {
			/* Dead already: reap() ends the entry. */
			close(k->admit_fd);
			k->admit_fd = -1;
			k->state = KID_LOST;
			continue;
		}
		k->state = KID_SESSION;
		close(fd);
		/* Under --proxy-protocol the pair goes on as the admission
		 * pair, and the child is pending until it is used. */
		if (!cfg->proxy_protocol) {
			close(k->admit_fd);
			k->admit_fd = -1;
		}
		strlcpy(k->addr, cfg->proxy_protocol ? "" : peer->addr,
		    sizeof(k->addr));
		return 1;
	}
	return 0;
}

/* The spares owed, forked and waiting; a fork that fails is retried later. */
static void
fork_spares(const struct server_config *cfg, const struct jail *jail,
    struct listener *l, struct children *kids)
{
	int pair[2];
	pid_t pid;

	while (kids->owed > 0 && kids->n < kids->room) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    pair) == -1)
			return;
		if ((pid = fork()) == -1) {
			close(pair[0]);
			close(pair[1]);
			return;
		}
		if (pid == 0) {
			close(pair[0]);
			become_child(l, kids);
			_exit(child_spare(pair[1], cfg, jail));
		}
		close(pair[1]);
		kids->v[kids->n].pid = pid;
		kids->v[kids->n].admit_fd = pair[0];
		kids->v[kids->n].state = KID_SPARE;
		kids->v[kids->n].addr[0] = '\0';
		kids->n++;
		kids->owed--;
	}
}

static void
handle_accept(int lfd, const struct server_config *cfg,
    const struct jail *jail, struct listener *l, struct children *kids)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct peer_name peer;
	unsigned waiting;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (reserve_fd == -1)
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fd = accept4(lfd, (struct sockaddr *)&ss, &sslen, SOCK_CLOEXEC);
	if (fd == -1) {
		if ((errno == EMFILE || errno == ENFILE) && reserve_fd != -1) {
			/* Free a slot to take the connection and close it,
			 * or it stays queued and ppoll spins. */
			close(reserve_fd);
			if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) != -1)
				close(fd);
			reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			log_error("accept: too many open files");
		} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED)
			log_error("accept: %s", strerror(errno));
		return;
	}
	/* Whole, as a spare is sent all of it (handoff.c). */
	memset(&peer, 0, sizeof(peer));
	listener_addr_str(&ss, peer.addr, sizeof(peer.addr), &peer.port);
	if (count_state(kids, KID_SESSION) >= cfg->max_clients) {
		listener_refuse(fd, peer.addr, peer.port, "Server busy: too "
		    "many connections");
		return;
	}
	/* Behind a balancer the socket's address is the balancer's: the
	 * child reports the client's, and admit() counts it. */
	if (!cfg->proxy_protocol &&
	    count_addr(kids, peer.addr) >= cfg->max_per_ip) {
		listener_refuse(fd, peer.addr, peer.port, "Server busy: too "
		    "many connections from your address");
		return;
	}
	/* Stop-and-wait: a lone small packet must not wait for Nagle. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!hand_to_spare(kids, fd, &peer, cfg) &&
	    fork_child(fd, &peer, cfg, jail, l, kids) == -1)
		return;
	/* A pool this connection finds short is topped up. */
	waiting = count_state(kids, KID_SPARE);
	if (waiting + kids->owed < cfg->spares)
		kids->owed = cfg->spares - waiting;
}

/*
 * A child forked for the connection fd, as without spares.  Returns 0, or
 * -1 when it could not be (the client got ERR 9).
 */
static int
fork_child(int fd, const struct peer_name *peer,
    const struct server_config *cfg, const struct jail *jail,
    struct listener *l, struct children *kids)
{
	int pair[2] = { -1, -1 };
	pid_t pid;

	/* Full only while spares that died unused are not yet reaped. */
	if (kids->n == kids->room) {
		listener_refuse(fd, peer->addr, peer->port, "Server busy: "
		    "too many connections");
		return -1;
	}
	if (cfg->proxy_protocol && socketpair(AF_UNIX, SOCK_SEQPACKET |
	    SOCK_CLOEXEC, 0, pair) == -1) {
		listener_refuse(fd, peer->addr, peer->port,
		    "Server busy: no socketpair");
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		if (pair[0] != -1) {
			close(pair[0]);
			close(pair[1]);
		}
		listener_refuse(fd, peer->addr, peer->port,
		    "Server busy: cannot fork");
		return -1;
	}
	if (pid == 0) {
		if (pair[0] != -1)
			close(pair[0]);
		become_child(l, kids);
		_exit(child_serve(fd, peer, cfg, jail, pair[1]));
	}
	close(fd);
	kids->v[kids->n].pid = pid;
	kids->v[kids->n].admit_fd = pair[0];
	kids->v[kids->n].state = KID_SESSION;
	if (pair[1] != -1)
		close(pair[1]);
	/* Pending children count for -c only, until admitted. */
	strlcpy(kids->v[kids->n].addr, cfg->proxy_protocol ? "" : peer->addr,
	    sizeof(kids->v[kids->n].addr));
	kids->n++;
	return 0;
}

void
listener_signals(void)
{
	struct sigaction sa;
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
}

/*
 * A pending child has sent the client's address: admit it if -p has room
 * for that address among the admitted, or refuse (the child sends ERR 9).
 * A child that closed its end first has died or given up; reap() ends
 * its entry.
 */
static void
admit(const struct server_config *cfg, struct children *kids, unsigned k)
{
	struct child *kid = &kids->v[k];
	char addr[INET6_ADDRSTRLEN], answer;
	ssize_t n;

	n = recv(kid->admit_fd, addr, sizeof(addr), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && addr[n - 1] == '\0' && (size_t)n - 1 ==
	    strlen(addr)) {
		answer = count_addr(kids, addr) < cfg->max_per_ip ?
		    CHILD_ADMIT : CHILD_REFUSE;
		if (answer == CHILD_ADMIT)
			strlcpy(kid->addr, addr, sizeof(kid->addr));
		/* The child waits for this byte; a full buffer cannot
		 * happen with one byte on a fresh pair. */
		(void)send(kid->admit_fd, &answer, 1,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	close(kid->admit_fd);
	kid->admit_fd = -1;
}

/* Milliseconds left until *t, at least 0. */
static long long
ms_until(const struct timespec *t)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(t->tv_sec - now.tv_sec) * 1000 +
	    (t->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/*
 * SIGQUIT: no more connections; every session ends between requests, and
 * every spare at once (its pair closed).
 */
static void
start_drain(struct listener *l, struct children *kids)
{
	unsigned i;
	int n;

	for (n = 0; n < l->nfds; n++)
		close(l->fds[n]);
	l->nfds = 0;
	for (i = 0; i < kids->n; i++) {
		if (kids->v[i].state == KID_SPARE) {
			close(kids->v[i].admit_fd);
			kids->v[i].admit_fd = -1;
		}
		kill(kids->v[i].pid, SIGQUIT);
	}
	kids->owed = 0;
	n = (int)count_state(kids, KID_SESSION);
	log_event("Draining: %d session%s left", n, n == 1 ? "" : "s");
}

int
listener_run(struct listener *l, const struct server_config *cfg,
    const struct jail *jail)
{
	struct pollfd *pfd;
	struct children kids;
	struct timespec drain_end, tick;
	sigset_t waitmask;
	unsigned i, npfd, nl;
	int n, draining = 0;

	memset(&kids, 0, sizeof(kids));
	/* Room for -c sessions and the spares. */
	kids.room = cfg->max_clients + cfg->spares;
	kids.v = calloc(kids.room, sizeof(*kids.v));
	pfd = calloc(LISTENERS_MAX + kids.room, sizeof(*pfd));
	if (kids.v == NULL || pfd == NULL) {
		free(kids.v);
		free(pfd);
		log_error("out of memory");
		return 1;
	}
	kids.owed = cfg->spares;
	reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* Wait with the four signals open; they are blocked elsewhere. */
	sigprocmask(SIG_BLOCK, NULL, &waitmask);
	sigdelset(&waitmask, SIGCHLD);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGQUIT);

	while (!got_term) {
		if (got_quit && !draining) {
			draining = 1;
			start_drain(l, &kids);
			clock_gettime(CLOCK_MONOTONIC, &drain_end);
			drain_end.tv_sec += cfg->drain_timeout;
		}
		if (draining && (kids.n == 0 || ms_until(&drain_end) == 0))
			break;
		if (!draining)
			fork_spares(cfg, jail, l, &kids);
		/* The listeners, then the children waiting for admission. */
		nl = (unsigned)l->nfds;
		for (npfd = 0; npfd < nl; npfd++) {
			pfd[npfd].fd = l->fds[npfd];
			pfd[npfd].events = POLLIN;
		}
		for (i = 0; i < kids.n; i++) {
			/* -1 is ignored: not pending, or a spare */
			pfd[npfd].fd = kids.v[i].state == KID_SPARE ? -1 :
			    kids.v[i].admit_fd;
			pfd[npfd++].events = POLLIN;
		}
		if (draining) {
			long long ms = ms_until(&drain_end);

			tick.tv_sec = (time_t)(ms / 1000);
			tick.tv_nsec = (long)(ms % 1000) * 1000000;
		}
		n = ppoll(pfd, npfd, draining ? &tick : NULL, &waitmask);
		if (n > 0) {
			/* Before reaping: the entries still match pfd. */
			for (i = 0; i < kids.n; i++)
				if (pfd[nl + i].revents != 0 &&
				    kids.v[i].admit_fd != -1)
					admit(cfg, &kids, i);
		}
		if (got_chld) {
			got_chld = 0;
			reap(&kids, jail);
		}
		if (n <= 0)
			continue;
		for (n = 0; n < (int)nl && !got_term && !got_quit; n++)
			if (pfd[n].revents & POLLIN)
				handle_accept(pfd[n].fd, cfg, jail, l, &kids);
	}

	/* Stop accepting, end the children, reap them all. */
	for (n = 0; n < l->nfds; n++)
		close(l->fds[n]);
	for (i = 0; i < kids.n; i++)
		kill(kids.v[i].pid, SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	spool_sweep(&jail->spool, 0);	/* what SIGTERM cut short */
	for (i = 0; i < kids.n; i++)
		if (kids.v[i].admit_fd != -1)
			close(kids.v[i].admit_fd);
	free(pfd);
	free(kids.v);
	return 0;
}
