/*
 * The listening parent (see listener.h).
 *
 * Signals are blocked except inside ppoll, which unblocks them atomically
 * while it waits, so a SIGTERM or SIGCHLD can never slip in between the
 * check of a flag and the wait.  Handlers only set flags.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "harden.h"
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

struct child {
	pid_t pid;
	char addr[INET6_ADDRSTRLEN];
};

static volatile sig_atomic_t got_term, got_chld;

static void	on_signal(int);
static int	bind_one(const struct sockaddr *, socklen_t, int, char *,
		    size_t);
static void	reap(struct child *, unsigned *);
static void	handle_accept(int, const struct server_config *,
		    const struct jail *, struct listener *, struct child *,
		    unsigned *);
static void	refuse(int, const char *, unsigned, const char *);
static unsigned	count_addr(const struct child *, unsigned, const char *);
static unsigned	bound_port(int);

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
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

static unsigned
count_addr(const struct child *kids, unsigned n, const char *addr)
{
	unsigned i, count = 0;

	for (i = 0; i < n; i++)
		if (strcmp(kids[i].addr, addr) == 0)
			count++;
	return count;
}

static void
reap(struct child *kids, unsigned *n)
{
	pid_t pid;
	unsigned i;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		/* The seccomp filter's verdict (syscall_filter.c). */
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
			log_error("child %ld killed by SIGSYS: a system call "
			    "outside its seccomp allow-list", (long)pid);
		for (i = 0; i < *n; i++) {
			if (kids[i].pid == pid) {
				kids[i] = kids[--*n];
				break;
			}
		}
	}
}

/* ERR 9 in place of the greeting, from the parent, never blocking. */
static void
refuse(int fd, const char *addr, unsigned port, const char *why)
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

static void
handle_accept(int lfd, const struct server_config *cfg,
    const struct jail *jail, struct listener *l, struct child *kids,
    unsigned *nkids)
{
	static int spare = -1;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];
	unsigned port;
	pid_t pid;
	int fd, i, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (spare == -1)
		spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fd = accept4(lfd, (struct sockaddr *)&ss, &sslen, SOCK_CLOEXEC);
	if (fd == -1) {
		if ((errno == EMFILE || errno == ENFILE) && spare != -1) {
			/* Free a slot to take the connection and close it,
			 * or it stays queued and ppoll spins. */
			close(spare);
			if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) != -1)
				close(fd);
			spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
			log_error("accept: too many open files");
		} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED)
			log_error("accept: %s", strerror(errno));
		return;
	}
	listener_addr_str(&ss, addr, sizeof(addr), &port);
	if (*nkids >= cfg->max_clients) {
		refuse(fd, addr, port, "Server busy: too many "
		    "connections");
		return;
	}
	if (count_addr(kids, *nkids, addr) >= cfg->max_per_ip) {
		refuse(fd, addr, port, "Server busy: too many "
		    "connections from your address");
		return;
	}
	/* Stop-and-wait: a lone small packet must not wait for Nagle. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pid = fork();
	if (pid == -1) {
		refuse(fd, addr, port, "Server busy: cannot fork");
		return;
	}
	if (pid == 0) {
		char why[256];
		sigset_t none;

		for (i = 0; i < l->nfds; i++)
			close(l->fds[i]);
		/*
		 * The child reads and writes only its socket and the log: its
		 * standard input and output, which may be files or terminals
		 * outside DIR, become /dev/null (issue 13, finding 5).
		 */
		if (spare != -1) {
			(void)dup2(spare, STDIN_FILENO);
			(void)dup2(spare, STDOUT_FILENO);
			close(spare);
		}
		signal(SIGCHLD, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (harden_child(cfg, jail, fd, why, sizeof(why)) == -1) {
			log_error("cannot confine the child: %s", why);
			_exit(1);
		}
		_exit(session_run(fd, addr, port, cfg, jail));
	}
	close(fd);
	kids[*nkids].pid = pid;
	strlcpy(kids[*nkids].addr, addr, sizeof(kids[*nkids].addr));
	(*nkids)++;
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
	sigprocmask(SIG_BLOCK, &block, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

int
listener_run(struct listener *l, const struct server_config *cfg,
    const struct jail *jail)
{
	struct pollfd pfd[LISTENERS_MAX];
	struct child *kids;
	sigset_t waitmask;
	unsigned nkids = 0, i;
	int n;

	if ((kids = calloc(cfg->max_clients, sizeof(*kids))) == NULL) {
		log_error("out of memory");
		return 1;
	}
	/* Wait with the three signals open; they are blocked elsewhere. */
	sigprocmask(SIG_BLOCK, NULL, &waitmask);
	sigdelset(&waitmask, SIGCHLD);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);

	for (n = 0; n < l->nfds; n++) {
		pfd[n].fd = l->fds[n];
		pfd[n].events = POLLIN;
	}
	while (!got_term) {
		n = ppoll(pfd, (nfds_t)l->nfds, NULL, &waitmask);
		if (got_chld) {
			got_chld = 0;
			reap(kids, &nkids);
		}
		if (n <= 0)
			continue;
		for (n = 0; n < l->nfds && !got_term; n++)
			if (pfd[n].revents & POLLIN)
				handle_accept(pfd[n].fd, cfg, jail, l, kids,
				    &nkids);
	}

	/* Stop accepting, end the children, reap them all. */
	for (n = 0; n < l->nfds; n++)
		close(l->fds[n]);
	for (i = 0; i < nkids; i++)
		kill(kids[i].pid, SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	free(kids);
	return 0;
}
