/*
 * The parent–child channel (see channel.h).
 *
 * The hand-over is one message: as the payload the peer's name, as the
 * parent wrote it for its log and for -p, and the socket as SCM_RIGHTS.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "channel.h"
#include "idle.h"
#include "log.h"
#include "signals.h"

union fd_control {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int))];
};

int
channel_pair(int pair[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair);
}

int
channel_ask(int pair, const char *addr, unsigned timeout)
{
	int64_t deadline;
	char answer;
	ssize_t n;

	do
		n = send(pair, addr, strlen(addr) + 1, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	deadline = monotonic_ms() + (int64_t)timeout * 1000;
	if (idle_wait_readable(pair, deadline) != 1)
		return -1;
	do
		n = recv(pair, &answer, 1, 0);
	while (n == -1 && errno == EINTR);
	if (n != 1)
		return -1;
	return answer == CHANNEL_ADMIT;
}

enum channel_recv
channel_admit_recv(int pair, char *addr, size_t size)
{
	ssize_t n;

	n = recv(pair, addr, size, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return CHANNEL_LATER;
	if (n > 0 && addr[n - 1] == '\0' && (size_t)n - 1 == strlen(addr))
		return CHANNEL_ADDR;
	return CHANNEL_DONE;
}

void
channel_admit_answer(int pair, int admitted)
{
	char answer = admitted ? CHANNEL_ADMIT : CHANNEL_REFUSE;

	/* The child waits for this byte; a full buffer cannot happen with
	 * one byte on a fresh pair. */
	(void)send(pair, &answer, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

int
channel_handoff_send(int pair, int fd, const struct peer_name *peer)
{
	struct peer_name name = *peer;	/* iov_base is not const */
	union fd_control ctl;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *cm;

	memset(&ctl, 0, sizeof(ctl));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &name;
	iov.iov_len = sizeof(name);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(pair, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(name))
		return -1;
	return 0;
}

int
channel_handoff_recv(int pair, struct peer_name *peer)
{
	union fd_control ctl;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;
	int fd = -1;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = peer;
	iov.iov_len = sizeof(*peer);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(pair, &msg, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR && !idle_draining());
	if (n == 0 || (n == -1 && errno == EINTR))
		return -1;		/* the parent closed it, or a drain */
	if (n == -1) {
		log_error("spare child: recvmsg: %s", strerror(errno));
		return -1;
	}
	cm = CMSG_FIRSTHDR(&msg);
	if (cm != NULL && cm->cmsg_level == SOL_SOCKET &&
	    cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (fd == -1 || (size_t)n != sizeof(*peer) ||
	    (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
	    memchr(peer->addr, '\0', sizeof(peer->addr)) == NULL) {
		if (fd != -1)
			close(fd);
		log_error("spare child: a malformed hand-over from the parent");
		return -1;
	}
	return fd;
}
