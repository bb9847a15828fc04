/*
 * The listen, accept and fork of the test relays (see relay_common.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "relay_common.h"

int
relay_accept_loop(const char *name, const char *bind_addr,
    void (*serve)(int, void *), void *ctx)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct sigaction sa;
	pid_t relay = getpid();
	int ls, fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGCHLD, &sa, NULL) == -1 ||
	    sigaction(SIGPIPE, &sa, NULL) == -1) {
		fprintf(stderr, "%s: sigaction: %s\n", name, strerror(errno));
		return 1;
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	if (inet_pton(AF_INET, bind_addr, &a.sin_addr) != 1) {
		fprintf(stderr, "%s: %s: not an IPv4 address\n", name,
		    bind_addr);
		return 2;
	}
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || bind(ls, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(ls, 64) == -1 ||
	    getsockname(ls, (struct sockaddr *)&a, &alen) == -1) {
		fprintf(stderr, "%s: %s\n", name, strerror(errno));
		return 1;
	}
	printf("%s port %u\n", name, ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		if ((fd = accept(ls, NULL, NULL)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: accept: %s\n", name,
			    strerror(errno));
			return 1;
		}
		switch (fork()) {
		case -1:
			fprintf(stderr, "%s: fork: %s\n", name,
			    strerror(errno));
			break;
		case 0:
			close(ls);
			/* A relay killed (a test ended, or failed before its
			 * teardown) takes its connections with it. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
			    getppid() != relay)
				_exit(1);
			serve(fd, ctx);
			_exit(0);
		}
		close(fd);
	}
}
