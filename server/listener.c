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
 * socketpair, and the parent answers whether that address has room
 * (channel.h).
 *
 * Spare children (channel.h), with --spares N: N children are forked and
 * confined ahead of their connections, each waiting on its pair.  An
 * accepted connection goes to a spare when one is there, and otherwise
 * to a child forked for it as before.  Each connection that leaves the
 * pool short tops it up again to N, forked once the accepts at hand are
 * done, so the fork is off the client's path.  A spare that dies unused
 * (one that could not confine itself, say) is replaced only so, by the
 * next connection: a broken sandbox costs at most N more forks per
 * connection, never a fork loop.  Spares count for neither -c nor -p,
 * and neither do spares found dead while they wait to be reaped.
 *
 * Making room (docs/protocol.md): when -c is reached, room.c chooses a
 * session to close for the newcomer, if one may be; it is claimed in the
 * idle map (idlemap.h), told by SIGUSR1, and counts as leaving at once,
 * for neither -c nor -p.  Leaving children keep their entries until reaped,
 * so the table has room for -c of them beside -c sessions and the
 * spares; with the table full, no session is closed for a newcomer that
 * could not be forked anyway.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "channel.h"
#include "child.h"
#include "children.h"
#include "harden.h"
#include "idlemap.h"
#include "listener.h"
#include "log.h"
#include "peer.h"
#include "signals.h"

static volatile sig_atomic_t got_term, got_chld, got_quit;
/* /dev/null, kept to free a descriptor when accept runs out of them: a
 * copy of harden.c's, opened before any chroot (-u has no /dev/null). */
static int reserve_fd = -1;

static void	on_signal(int);
static void	reap(struct children *, const struct jail *);
static void	handle_accept(int, const struct server_config *,
		    const struct jail *, struct sockets *, struct children *);
static int	hand_to_spare(struct children *, int,
		    const struct peer_name *, const struct server_config *);
static int	fork_child(int, const struct peer_name *,
		    const struct server_config *, const struct jail *,
		    struct sockets *, struct children *);
static void	fork_spares(const struct server_config *, const struct jail *,
		    struct sockets *, struct children *);
static void	become_child(struct sockets *, const struct children *,
		    unsigned);
static void	admit(const struct server_config *, struct children *,
		    unsigned);
static void	start_drain(struct sockets *, struct children *);
static unsigned	fill_pollset(struct pollfd *, const struct sockets *,
		    const struct children *);
static void	end_all(struct sockets *, struct children *,
		    const struct jail *);

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

/*
 * A child that died of a signal (SIGKILL mid-upload) may have left a
 * staged upload in the spool: its files go.
 */
static void
reap(struct children *kids, const struct jail *jail)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		/* The seccomp filter's verdict (syscall_filter.c). */
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
			log_error("child %ld killed by SIGSYS: a system call "
			    "outside its seccomp allow-list", (long)pid);
		if (WIFSIGNALED(status))
			spool_sweep(&jail->spool, pid);
		children_remove(kids, pid);
	}
}

/*
 * In a new child, before anything else: what is the parent's alone goes
 * (the listening sockets, other children's pairs, the reserve), the
 * signals are the child's (or it ends).  Its standard descriptors become
 * /dev/null in harden_child, first thing in every child (child.c).
 */
static void
become_child(struct sockets *socks, const struct children *kids,
    unsigned slot)
{
	unsigned i;
	int n;

	idlemap_adopt(slot);
	for (n = 0; n < socks->nfds; n++)
		close(socks->fds[n]);
	for (i = 0; i < kids->n; i++)
		if (kids->v[i].admit_fd != -1)
			close(kids->v[i].admit_fd);
	if (reserve_fd != -1)
		close(reserve_fd);
	if (child_signals() == -1) {
		log_error("child: signals: %s", strerror(errno));
		_exit(1);
	}
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
		if (channel_handoff_send(k->admit_fd, fd, peer) == -1) {
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
    struct sockets *socks, struct children *kids)
{
	unsigned slot;
	int pair[2];
	pid_t pid;

	while (kids->owed > 0 && kids->n < kids->room) {
		if (channel_pair(pair) == -1)
			return;
		slot = children_next_slot(kids);
		if ((pid = fork()) == -1) {
			close(pair[0]);
			close(pair[1]);
			return;
		}
		if (pid == 0) {
			close(pair[0]);
			become_child(socks, kids, slot);
			_exit(child_spare(pair[1], cfg, jail));
		}
		close(pair[1]);
		children_add(kids, pid, pair[0], KID_SPARE, "");
		kids->owed--;
	}
}

static void
handle_accept(int lfd, const struct server_config *cfg,
    const struct jail *jail, struct sockets *socks, struct children *kids)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct peer_name peer;
	unsigned waiting;
	int fd, one = 1, over_addr;

	memset(&ss, 0, sizeof(ss));
	if (reserve_fd == -1)
		reserve_fd = harden_null_dup();
	fd = accept4(lfd, (struct sockaddr *)&ss, &sslen, SOCK_CLOEXEC);
	if (fd == -1) {
		if ((errno == EMFILE || errno == ENFILE) && reserve_fd != -1) {
			/* Free a slot to take the connection and close it,
			 * or it stays queued and ppoll spins. */
			close(reserve_fd);
			if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) != -1)
				close(fd);
			reserve_fd = harden_null_dup();
			log_error("accept: too many open files");
		} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED)
			log_error("accept: %s", strerror(errno));
		return;
	}
	/* Whole, as a spare is sent all of it (channel.c). */
	memset(&peer, 0, sizeof(peer));
	peer_addr_str(&ss, peer.addr, sizeof(peer.addr), &peer.port);
	/* Behind a balancer the socket's address is the balancer's: the
	 * child reports the client's, and admit() counts it. */
	over_addr = !cfg->proxy_protocol &&
	    children_count_addr(kids, peer.addr) >= cfg->max_per_ip;
	/* No session is closed for a newcomer that -p refuses anyway. */
	if (children_count_state(kids, KID_SESSION) >= cfg->max_clients &&
	    (over_addr || !children_make_room(kids,
	    cfg->proxy_protocol ? NULL : peer.addr))) {
		peer_refuse(fd, peer.addr, peer.port, "Server busy: too "
		    "many connections");
		return;
	}
	if (over_addr) {
		peer_refuse(fd, peer.addr, peer.port, "Server busy: too "
		    "many connections from your address");
		return;
	}
	/* Stop-and-wait: a lone small packet must not wait for Nagle. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!hand_to_spare(kids, fd, &peer, cfg) &&
	    fork_child(fd, &peer, cfg, jail, socks, kids) == -1)
		return;
	/* A pool this connection finds short is topped up. */
	waiting = children_count_state(kids, KID_SPARE);
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
    struct sockets *socks, struct children *kids)
{
	int pair[2] = { -1, -1 };
	unsigned slot;
	pid_t pid;

	/* Full only while spares that died unused, or sessions closed to
	 * make room, are not yet reaped. */
	if (kids->n == kids->room) {
		peer_refuse(fd, peer->addr, peer->port, "Server busy: "
		    "too many connections");
		return -1;
	}
	if (cfg->proxy_protocol && channel_pair(pair) == -1) {
		peer_refuse(fd, peer->addr, peer->port,
		    "Server busy: no socketpair");
		return -1;
	}
	slot = children_next_slot(kids);
	pid = fork();
	if (pid == -1) {
		if (pair[0] != -1) {
			close(pair[0]);
			close(pair[1]);
		}
		peer_refuse(fd, peer->addr, peer->port,
		    "Server busy: cannot fork");
		return -1;
	}
	if (pid == 0) {
		if (pair[0] != -1)
			close(pair[0]);
		become_child(socks, kids, slot);
		_exit(child_serve(fd, peer, cfg, jail, pair[1]));
	}
	close(fd);
	if (pair[1] != -1)
		close(pair[1]);
	/* Pending children count for -c only, until admitted. */
	children_add(kids, pid, pair[0], KID_SESSION,
	    cfg->proxy_protocol ? "" : peer->addr);
	return 0;
}

int
listener_signals(void)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &block, NULL) == -1 ||
	    signals_install(SIGCHLD, on_signal) == -1 ||
	    signals_install(SIGTERM, on_signal) == -1 ||
	    signals_install(SIGINT, on_signal) == -1 ||
	    signals_install(SIGQUIT, on_signal) == -1)
		return -1;
	return 0;
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
	char addr[INET6_ADDRSTRLEN];
	int admitted;

	switch (channel_admit_recv(kid->admit_fd, addr, sizeof(addr))) {
	case CHANNEL_LATER:
		return;
	case CHANNEL_ADDR:
		admitted = children_count_addr(kids, addr) < cfg->max_per_ip;
		if (admitted)
			strlcpy(kid->addr, addr, sizeof(kid->addr));
		channel_admit_answer(kid->admit_fd, admitted);
		break;
	case CHANNEL_DONE:
		break;
	}
	close(kid->admit_fd);
	kid->admit_fd = -1;
}

/*
 * SIGQUIT: no more connections; every session ends between requests, and
 * every spare at once (its pair closed).
 */
static void
start_drain(struct sockets *socks, struct children *kids)
{
	unsigned i;
	int n;

	for (n = 0; n < socks->nfds; n++)
		close(socks->fds[n]);
	socks->nfds = 0;
	for (i = 0; i < kids->n; i++) {
		if (kids->v[i].state == KID_SPARE) {
			close(kids->v[i].admit_fd);
			kids->v[i].admit_fd = -1;
		}
		kill(kids->v[i].pid, SIGQUIT);
	}
	kids->owed = 0;
	n = (int)children_count_state(kids, KID_SESSION);
	log_event("Draining: %d session%s left", n, n == 1 ? "" : "s");
}

/*
 * The poll set: the listening sockets, then one entry per child, -1 (so
 * ignored) for those not waiting for admission.  Returns its size.
 */
static unsigned
fill_pollset(struct pollfd *pfd, const struct sockets *socks,
    const struct children *kids)
{
	unsigned i, npfd;

	for (npfd = 0; npfd < (unsigned)socks->nfds; npfd++) {
		pfd[npfd].fd = socks->fds[npfd];
		pfd[npfd].events = POLLIN;
	}
	for (i = 0; i < kids->n; i++) {
		/* -1 is ignored: not pending, or a spare */
		pfd[npfd].fd = kids->v[i].state == KID_SPARE ? -1 :
		    kids->v[i].admit_fd;
		pfd[npfd++].events = POLLIN;
	}
	return npfd;
}

/* Stop accepting, end the children, reap them all. */
static void
end_all(struct sockets *socks, struct children *kids,
    const struct jail *jail)
{
	unsigned i;
	int n;

	for (n = 0; n < socks->nfds; n++)
		close(socks->fds[n]);
	for (i = 0; i < kids->n; i++)
		kill(kids->v[i].pid, SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	spool_sweep(&jail->spool, 0);	/* what SIGTERM cut short */
	for (i = 0; i < kids->n; i++)
		if (kids->v[i].admit_fd != -1)
			close(kids->v[i].admit_fd);
}

int
listener_run(struct sockets *socks, const struct server_config *cfg,
    const struct jail *jail)
{
	struct pollfd *pfd;
	struct children kids;
	struct timespec tick;
	int64_t drain_end = 0, ms;
	sigset_t waitmask;
	unsigned i, npfd, nl;
	int n, draining = 0;

	if (children_init(&kids, cfg->max_clients, cfg->spares) == -1)
		return 1;
	if ((pfd = calloc(SOCKETS_MAX + kids.room, sizeof(*pfd))) == NULL) {
		log_error("out of memory");
		children_free(&kids);
		return 1;
	}
	/* Wait with the four signals open; they are blocked elsewhere. */
	(void)sigprocmask(SIG_BLOCK, NULL, &waitmask);	/* only reads */
	sigdelset(&waitmask, SIGCHLD);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGQUIT);
	kids.owed = cfg->spares;
	reserve_fd = harden_null_dup();

	while (!got_term) {
		if (got_quit && !draining) {
			draining = 1;
			start_drain(socks, &kids);
			drain_end = monotonic_ms() +
			    (int64_t)cfg->drain_timeout * 1000;
		}
		ms = monotonic_ms_left(drain_end);
		if (draining && (kids.n == 0 || ms == 0))
			break;
		if (!draining)
			fork_spares(cfg, jail, socks, &kids);
		nl = (unsigned)socks->nfds;
		npfd = fill_pollset(pfd, socks, &kids);
		tick.tv_sec = (time_t)(ms / 1000);
		tick.tv_nsec = (long)(ms % 1000) * 1000000;
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
				handle_accept(pfd[n].fd, cfg, jail, socks,
				    &kids);
	}
	end_all(socks, &kids, jail);
	free(pfd);
	children_free(&kids);
	return 0;
}
