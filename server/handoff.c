/*
 * The connection's hand-over to a spare child (see handoff.h).
 *
 * One message carries it all: as the payload the peer's address, as the
 * parent wrote it for its log and for -p, and the socket as SCM_RIGHTS.
 * The pair is SOCK_SEQPACKET, so the message comes whole or not at all,
 * and a fresh pair always has room for it: the parent never waits on a
 * spare.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "handoff.h"
#include "idle.h"
#include "log.h"

union fd_control {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int))];
};

int
handoff_send(int pair, int fd, const struct peer_name *peer)
{
	struct peer_name addr = *peer;	/* iov_base is not const */
	union fd_control ctl;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *cm;

	memset(&ctl, 0, sizeof(ctl));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &addr;
	iov.iov_len = sizeof(addr);
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
	    (ssize_t)sizeof(addr))
		return -1;
	return 0;
}

int
handoff_recv(int pair, struct peer_name *peer)
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
