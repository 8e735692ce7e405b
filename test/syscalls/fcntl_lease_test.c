/* fcntl F_SETLEASE/F_GETLEASE: read and write leases, the EAGAIN rules against other
 * opens and leases, EACCES/EINVAL, and lease breaks: a conflicting open signals the
 * holder (F_SETSIG signal with si_fd), F_GETLEASE shows the type to drop to, an
 * O_NONBLOCK opener gets EWOULDBLOCK, a blocking one waits until the holder unlocks or
 * downgrades; truncate(2) breaks leases too. */
#include "harness.h"

#include <signal.h>

#define LSIG (SIGRTMIN + 2)

static sigset_t g_set;

static int next_signal(int wait_ms, siginfo_t *si)
{
	struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};
	int sig = sigtimedwait(&g_set, si, &ts);

	return sig < 0 ? 0 : sig;
}

static void read_and_write_leases(void)
{
	const char *p = h_make_file("l", "data");
	int ro = open(p, O_RDONLY), rw;

	CHECK_EQ(fcntl(ro, F_GETLEASE), F_UNLCK);
	CHECK_OK(fcntl(ro, F_SETLEASE, F_RDLCK));
	CHECK_EQ(fcntl(ro, F_GETLEASE), F_RDLCK);
	/* Another reader does not conflict with a read lease; a second read lease is fine. */
	int ro2 = open(p, O_RDONLY);
	CHECK(ro2 >= 0);
	CHECK_OK(fcntl(ro2, F_SETLEASE, F_RDLCK));
	/* A write lease needs the file open nowhere else. */
	CHECK_ERR(fcntl(ro, F_SETLEASE, F_WRLCK), EAGAIN);
	CHECK_OK(fcntl(ro2, F_SETLEASE, F_UNLCK));
	close(ro2);
	CHECK_OK(fcntl(ro, F_SETLEASE, F_WRLCK)); /* upgrade: now the only open */
	CHECK_EQ(fcntl(ro, F_GETLEASE), F_WRLCK);
	CHECK_OK(fcntl(ro, F_SETLEASE, F_UNLCK));
	CHECK_EQ(fcntl(ro, F_GETLEASE), F_UNLCK);
	/* A read lease while a writer is open (even our own fd): EAGAIN. */
	rw = open(p, O_RDWR);
	CHECK_ERR(fcntl(ro, F_SETLEASE, F_RDLCK), EAGAIN);
	CHECK_ERR(fcntl(rw, F_SETLEASE, F_RDLCK), EAGAIN);
	CHECK_ERR(fcntl(rw, F_SETLEASE, F_WRLCK), EAGAIN); /* ro is open too */
	close(ro);
	CHECK_OK(fcntl(rw, F_SETLEASE, F_WRLCK));
	CHECK_EQ(fcntl(rw, F_GETLEASE), F_WRLCK);
	close(rw); /* the lease goes with the description */
	ro = open(p, O_RDONLY);
	CHECK_EQ(fcntl(ro, F_GETLEASE), F_UNLCK);
	close(ro);
}

static void errors(void)
{
	const char *p = h_make_file("e", "");
	int ro = open(p, O_RDONLY), dir = open(g_tmpdir, O_RDONLY);

	CHECK_ERR(fcntl(ro, F_SETLEASE, 7), EINVAL);
	CHECK_ERR(fcntl(ro, F_SETLEASE, F_UNLCK), EAGAIN); /* no lease to drop */
	CHECK_ERR(fcntl(dir, F_SETLEASE, F_RDLCK), EINVAL);
	CHECK_ERR(fcntl(999, F_SETLEASE, F_RDLCK), EBADF);
	CHECK_ERR(fcntl(999, F_GETLEASE), EBADF);
	/* Not the owner and no CAP_LEASE. */
	CHECK_OK(chmod(g_tmpdir, 0711));
	CHECK_OK(chmod(p, 0644));
	pid_t pid = fork();
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(3);
		int fd = open(p, O_RDONLY);
		errno = 0;
		_exit(fd >= 0 && fcntl(fd, F_SETLEASE, F_RDLCK) < 0 && errno == EACCES ? 0 : 4);
	}
	int status = h_wait(pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_OK(chmod(g_tmpdir, 0700));
	close(ro);
	close(dir);
}

/* A nonblocking opener fails at once but starts the break; the holder hears of it. */
static void nonblocking_open_starts_a_break(void)
{
	const char *p = h_make_file("nb", "x");
	int holder = open(p, O_RDONLY);
	siginfo_t si;

	CHECK_OK(fcntl(holder, F_SETSIG, LSIG));
	CHECK_OK(fcntl(holder, F_SETLEASE, F_WRLCK));
	CHECK_ERR(open(p, O_RDONLY | O_NONBLOCK), EWOULDBLOCK);
	CHECK_EQ(next_signal(1000, &si), LSIG);
	CHECK_EQ(si.si_fd, holder);
	/* A reader needs the write lease to drop to a read lease. */
	CHECK_EQ(fcntl(holder, F_GETLEASE), F_RDLCK);
	CHECK_OK(fcntl(holder, F_SETLEASE, F_RDLCK));
	CHECK_EQ(fcntl(holder, F_GETLEASE), F_RDLCK);
	int r = open(p, O_RDONLY | O_NONBLOCK);
	CHECK(r >= 0);
	close(r);
	/* A writer needs it gone. */
	CHECK_ERR(open(p, O_WRONLY | O_NONBLOCK), EWOULDBLOCK);
	CHECK_EQ(next_signal(1000, &si), LSIG);
	CHECK_EQ(fcntl(holder, F_GETLEASE), F_UNLCK);
	CHECK_OK(fcntl(holder, F_SETLEASE, F_UNLCK));
	r = open(p, O_WRONLY | O_NONBLOCK);
	CHECK(r >= 0);
	close(r);
	close(holder);
}

/* A blocking opener (a child) waits until the holder gives the lease up. */
static void blocking_open_waits_for_the_holder(void)
{
	const char *p = h_make_file("b", "old");
	int holder = open(p, O_RDONLY), pipefd[2];
	siginfo_t si;
	char c;

	CHECK_OK(pipe(pipefd));
	CHECK_OK(fcntl(holder, F_SETSIG, LSIG));
	CHECK_OK(fcntl(holder, F_SETLEASE, F_WRLCK));
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(p, O_WRONLY | O_TRUNC);

		if (fd < 0)
			_exit(1);
		_exit(write(pipefd[1], "o", 1) == 1 ? 0 : 2);
	}
	CHECK_EQ(next_signal(5000, &si), LSIG);
	CHECK_EQ(si.si_fd, holder);
	CHECK_EQ(fcntl(holder, F_GETLEASE), F_UNLCK);
	/* The opener is still waiting, and O_TRUNC has not happened yet. */
	struct stat st;
	CHECK_OK(fstat(holder, &st));
	CHECK_EQ(st.st_size, 3);
	CHECK_OK(fcntl(pipefd[0], F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(pipefd[0], &c, 1), EAGAIN);
	CHECK_OK(fcntl(holder, F_SETLEASE, F_UNLCK));
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(read(pipefd[0], &c, 1), 1);
	CHECK_OK(fstat(holder, &st));
	CHECK_EQ(st.st_size, 0);
	close(holder);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* truncate(2) breaks a read lease as an open for writing would, and waits for it. */
static void truncate_breaks_a_lease(void)
{
	const char *p = h_make_file("t", "12345");
	int holder = open(p, O_RDONLY);
	siginfo_t si;
	struct stat st;

	CHECK_OK(fcntl(holder, F_SETSIG, LSIG));
	CHECK_OK(fcntl(holder, F_SETLEASE, F_RDLCK));
	pid_t pid = fork();
	if (pid == 0)
		_exit(truncate(p, 1) == 0 ? 0 : 1);
	CHECK_EQ(next_signal(5000, &si), LSIG);
	CHECK_EQ(fcntl(holder, F_GETLEASE), F_UNLCK);
	CHECK_OK(fstat(holder, &st));
	CHECK_EQ(st.st_size, 5); /* not yet */
	CHECK_OK(fcntl(holder, F_SETLEASE, F_UNLCK));
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(fstat(holder, &st));
	CHECK_EQ(st.st_size, 1);
	close(holder);
}

/* The lease break time is a positive number of seconds. */
static void lease_break_time_is_readable(void)
{
	char buf[32] = {0};
	int fd = open("/proc/sys/fs/lease-break-time", O_RDONLY);

	CHECK(fd >= 0);
	CHECK(read(fd, buf, sizeof(buf) - 1) > 0);
	CHECK(atoi(buf) > 0);
	close(fd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	sigemptyset(&g_set);
	sigaddset(&g_set, LSIG);
	sigaddset(&g_set, SIGIO);
	sigprocmask(SIG_BLOCK, &g_set, NULL);
	RUN(read_and_write_leases);
	RUN(errors);
	RUN(nonblocking_open_starts_a_break);
	RUN(blocking_open_waits_for_the_holder);
	RUN(truncate_breaks_a_lease);
	RUN(lease_break_time_is_readable);
	return h_end();
}
