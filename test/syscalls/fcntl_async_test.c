/* O_ASYNC (F_SETFL or FIOASYNC) on pipes and sockets: the owner gets SIGIO, or the
 * F_SETSIG signal with si_fd/si_code/si_band, when the file becomes readable (or, for a
 * pipe's write end, writable again); nothing without an owner or once O_ASYNC is off. */
#include "harness.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define ASIG (SIGRTMIN + 3)

static sigset_t g_set;

static int next_signal(int wait_ms, siginfo_t *si)
{
	struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};
	int sig = sigtimedwait(&g_set, si, &ts);

	return sig < 0 ? 0 : sig;
}

static void drain(void)
{
	siginfo_t si;

	while (next_signal(0, &si))
		;
}

static void async_on(int fd, int sig)
{
	CHECK_OK(fcntl(fd, F_SETOWN, getpid()));
	CHECK_OK(fcntl(fd, F_SETSIG, sig));
	CHECK_OK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC));
	CHECK(fcntl(fd, F_GETFL) & O_ASYNC);
}

static void pipe_read_end_signals_data(void)
{
	int p[2];
	siginfo_t si;

	CHECK_OK(pipe(p));
	async_on(p[0], ASIG);
	CHECK_EQ(next_signal(0, &si), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(next_signal(1000, &si), ASIG);
	CHECK_EQ(si.si_fd, p[0]);
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_band, POLLIN | POLLRDNORM);
	drain();
	/* O_ASYNC off: silence. */
	CHECK_OK(fcntl(p[0], F_SETFL, 0));
	CHECK_EQ(write(p[1], "y", 1), 1);
	CHECK_EQ(next_signal(0, &si), 0);
	close(p[0]);
	close(p[1]);
}

static void pipe_write_end_signals_room(void)
{
	static char buf[65536];
	int p[2];
	siginfo_t si;

	CHECK_OK(pipe2(p, O_NONBLOCK));
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	async_on(p[1], ASIG);
	CHECK_EQ(read(p[0], buf, 8192), 8192);
	CHECK_EQ(next_signal(1000, &si), ASIG);
	CHECK_EQ(si.si_fd, p[1]);
	CHECK_EQ(si.si_code, POLL_OUT);
	CHECK_EQ(si.si_band, POLLOUT | POLLWRNORM | POLLWRBAND);
	drain();
	close(p[0]);
	close(p[1]);
}

static void socket_signals_data_and_plain_sigio(void)
{
	int sv[2], on = 1;
	siginfo_t si;

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(fcntl(sv[1], F_SETOWN, getpid()));
	CHECK_OK(ioctl(sv[1], FIOASYNC, &on));
	CHECK(fcntl(sv[1], F_GETFL) & O_ASYNC);
	CHECK_EQ(write(sv[0], "hi", 2), 2);
	CHECK_EQ(next_signal(1000, &si), SIGIO);
	CHECK_EQ(si.si_code, SI_KERNEL); /* no F_SETSIG: a plain SIGIO */
	drain();
	close(sv[0]); /* the hang-up is signalled too */
	CHECK_EQ(next_signal(1000, &si), SIGIO);
	close(sv[1]);
	drain();
}

static void no_owner_no_signal(void)
{
	int p[2];
	siginfo_t si;

	CHECK_OK(pipe(p));
	CHECK_OK(fcntl(p[0], F_SETSIG, ASIG));
	CHECK_OK(fcntl(p[0], F_SETFL, O_ASYNC));
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(next_signal(0, &si), 0);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	h_begin();
	sigemptyset(&g_set);
	sigaddset(&g_set, ASIG);
	sigaddset(&g_set, SIGIO);
	sigprocmask(SIG_BLOCK, &g_set, NULL);
	RUN(pipe_read_end_signals_data);
	RUN(pipe_write_end_signals_room);
	RUN(socket_signals_data_and_plain_sigio);
	RUN(no_owner_no_signal);
	return h_end();
}
