/*
 * fd_wait.c: blocking waits with a deadline for the code that does its
 * own blocking I/O on worker threads (the outbound SMTP client and DNS
 * resolver), and one switch that ends all of them when the daemon stops.
 *
 * The switch is a pipe whose read end every wait also polls: once a byte
 * is written it stays readable, so every wait from then on fails at once
 * and a stopping daemon does not sit out a 5-minute SMTP reply timeout or
 * a DNS retry. The I/O loops never use this: they do not block.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "util.h"

static pthread_once_t	 cancel_once = PTHREAD_ONCE_INIT;
static int		 cancel_pipe[2] = { -1, -1 };

static void
cancel_init(void)
{
	if (pipe2(cancel_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		cancel_pipe[0] = cancel_pipe[1] = -1;	/* waits then just time out */
}

void
fd_wait_cancel_all(void)
{
	(void)pthread_once(&cancel_once, cancel_init);
	if (cancel_pipe[1] >= 0)
		(void)write(cancel_pipe[1], "x", 1);
}

int
fd_wait(int fd, short events, uint64_t deadline)
{
	(void)pthread_once(&cancel_once, cancel_init);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = fd, .events = events },
			{ .fd = cancel_pipe[0], .events = POLLIN }
		};
		uint64_t now = time_monotonic_ms();
		uint64_t left;
		int n;

		if (now >= deadline)
			return 0;
		left = deadline - now;
		n = poll(pfd, cancel_pipe[0] >= 0 ? 2 : 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0 && cancel_pipe[0] >= 0 && pfd[1].revents != 0) {
			errno = ECANCELED;
			return -1;
		}
		if (n > 0)
			return 1;	/* POLLERR/POLLHUP too: the next I/O call says what */
		if (n < 0 && errno != EINTR)
			return -1;
	}
}
