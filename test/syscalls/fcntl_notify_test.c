/* fcntl F_NOTIFY (directory notifications: DN_CREATE/DELETE/MODIFY/ACCESS/ATTRIB/RENAME,
 * one-shot and DN_MULTISHOT, SIGIO or the F_SETSIG signal with si_fd) and the owner and
 * signal commands (F_SETOWN/F_GETOWN(_EX), F_SETSIG/F_GETSIG). */
#include "harness.h"

#include <poll.h>
#include <signal.h>

#define NSIG_RT (SIGRTMIN + 1)

static sigset_t g_set;

/* The next pending notification signal (0 if none within wait_ms). */
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

static int watch(const char *dir, unsigned long mask)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	CHECK(fd >= 0);
	CHECK_OK(fcntl(fd, F_SETSIG, NSIG_RT));
	CHECK_OK(fcntl(fd, F_NOTIFY, mask));
	return fd;
}

static void create_signals_with_si_fd(void)
{
	siginfo_t si;
	int fd;

	CHECK_OK(mkdir(h_path("c"), 0755));
	fd = watch(h_path("c"), DN_CREATE);
	CHECK_EQ(fcntl(fd, F_GETOWN), getpid()); /* F_NOTIFY made us the owner */
	close(open(h_path("c/new"), O_CREAT | O_WRONLY, 0644));
	CHECK_EQ(next_signal(1000, &si), NSIG_RT);
	CHECK_EQ(si.si_fd, fd);
	CHECK_EQ(si.si_code, POLL_MSG);
	CHECK_EQ(si.si_band, POLLIN | POLLRDNORM | POLLMSG);
	/* One-shot: the next creation is not reported. */
	CHECK_OK(mkdir(h_path("c/sub"), 0755));
	CHECK_EQ(next_signal(0, &si), 0);
	close(fd);
	h_rm_tree(h_path("c"));
}

static void multishot_keeps_reporting(void)
{
	siginfo_t si;
	int fd;

	CHECK_OK(mkdir(h_path("m"), 0755));
	fd = watch(h_path("m"), DN_CREATE | DN_DELETE | DN_MULTISHOT);
	close(open(h_path("m/a"), O_CREAT | O_WRONLY, 0644));
	CHECK_EQ(next_signal(1000, &si), NSIG_RT);
	CHECK_OK(unlink(h_path("m/a")));
	CHECK_EQ(next_signal(1000, &si), NSIG_RT);
	CHECK_OK(mkdir(h_path("m/d"), 0755));
	CHECK_EQ(next_signal(1000, &si), NSIG_RT);
	CHECK_EQ(si.si_fd, fd);
	/* An event outside the mask: nothing. */
	int f = open(h_path("m/d/inner"), O_CREAT | O_WRONLY, 0644); /* in a subdirectory */
	CHECK_EQ(next_signal(0, &si), 0);
	close(f);
	/* arg 0 removes the watch. */
	CHECK_OK(fcntl(fd, F_NOTIFY, 0));
	close(open(h_path("m/b"), O_CREAT | O_WRONLY, 0644));
	CHECK_EQ(next_signal(0, &si), 0);
	close(fd);
	h_rm_tree(h_path("m"));
}

static void each_event_kind(void)
{
	struct {
		unsigned long mask;
		const char *what;
	} kinds[] = {{DN_MODIFY, "modify"}, {DN_ATTRIB, "attrib"}, {DN_ACCESS, "access"},
		     {DN_RENAME, "rename"}, {DN_DELETE, "delete"}};
	siginfo_t si;
	char buf[4];

	CHECK_OK(mkdir(h_path("k"), 0755));
	h_make_file("k/f", "data");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int fd = watch(h_path("k"), kinds[i].mask), f;

		switch (kinds[i].mask) {
		case DN_MODIFY:
			f = open(h_path("k/f"), O_WRONLY);
			CHECK_EQ(write(f, "x", 1), 1);
			close(f);
			break;
		case DN_ATTRIB:
			CHECK_OK(chmod(h_path("k/f"), 0600));
			break;
		case DN_ACCESS:
			f = open(h_path("k/f"), O_RDONLY);
			CHECK_EQ(read(f, buf, sizeof(buf)), 4);
			close(f);
			break;
		case DN_RENAME:
			CHECK_OK(rename(h_path("k/f"), h_path("k/g")));
			break;
		case DN_DELETE:
			CHECK_OK(unlink(h_path("k/g")));
			break;
		}
		if (next_signal(1000, &si) != NSIG_RT)
			printf("  no signal for %s\n", kinds[i].what);
		CHECK_EQ(si.si_fd, fd);
		close(fd);
		drain();
	}
	h_rm_tree(h_path("k"));
}

/* A rename into another directory is a delete there and a create here, not DN_RENAME. */
static void rename_across_directories(void)
{
	siginfo_t si;
	int fd;

	CHECK_OK(mkdir(h_path("r1"), 0755));
	CHECK_OK(mkdir(h_path("r2"), 0755));
	h_make_file("r1/f", "");
	fd = watch(h_path("r1"), DN_RENAME);
	CHECK_OK(rename(h_path("r1/f"), h_path("r2/f")));
	CHECK_EQ(next_signal(0, &si), 0);
	CHECK_OK(fcntl(fd, F_NOTIFY, DN_CREATE));
	CHECK_OK(rename(h_path("r2/f"), h_path("r1/f")));
	CHECK_EQ(next_signal(1000, &si), NSIG_RT);
	close(fd);
	h_rm_tree(h_path("r1"));
	h_rm_tree(h_path("r2"));
}

/* Without F_SETSIG the owner gets a plain SIGIO (no si_fd). */
static void plain_sigio_by_default(void)
{
	siginfo_t si;
	int fd;

	CHECK_OK(mkdir(h_path("s"), 0755));
	fd = open(h_path("s"), O_RDONLY | O_DIRECTORY);
	CHECK_EQ(fcntl(fd, F_GETSIG), 0);
	CHECK_OK(fcntl(fd, F_NOTIFY, DN_CREATE));
	close(open(h_path("s/x"), O_CREAT | O_WRONLY, 0644));
	CHECK_EQ(next_signal(1000, &si), SIGIO);
	CHECK_EQ(si.si_code, SI_KERNEL);
	close(fd);
	h_rm_tree(h_path("s"));
}

/* Closing any fd of the description (here: the one F_NOTIFY came through) removes the
 * watch, even while a dup of it stays open. */
static void close_removes_the_watch(void)
{
	siginfo_t si;
	int fd, dupfd;

	CHECK_OK(mkdir(h_path("w"), 0755));
	fd = watch(h_path("w"), DN_CREATE | DN_MULTISHOT);
	dupfd = dup(fd);
	close(fd);
	close(open(h_path("w/x"), O_CREAT | O_WRONLY, 0644));
	CHECK_EQ(next_signal(0, &si), 0);
	close(dupfd);
	h_rm_tree(h_path("w"));
}

/* Events caused by another process reach the owner. */
static void event_from_a_child(void)
{
	siginfo_t si;
	pid_t pid;
	int fd;

	CHECK_OK(mkdir(h_path("p"), 0755));
	fd = watch(h_path("p"), DN_CREATE);
	pid = fork();
	if (pid == 0) {
		close(open(h_path("p/child"), O_CREAT | O_WRONLY, 0644));
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(next_signal(1000, &si), NSIG_RT);
	CHECK_EQ(si.si_fd, fd);
	close(fd);
	h_rm_tree(h_path("p"));
}

static void errors(void)
{
	int reg = open(h_make_file("reg", ""), O_RDONLY), dir = open(g_tmpdir, O_RDONLY);
	int opath = open(g_tmpdir, O_PATH);

	CHECK_ERR(fcntl(reg, F_NOTIFY, DN_CREATE), ENOTDIR);
	CHECK_OK(fcntl(reg, F_NOTIFY, 0)); /* removing nothing is fine, on anything */
	CHECK_ERR(fcntl(999, F_NOTIFY, DN_CREATE), EBADF);
	CHECK_ERR(fcntl(opath, F_NOTIFY, DN_CREATE), EBADF);
	CHECK_ERR(fcntl(dir, F_SETSIG, 65), EINVAL);
	CHECK_OK(fcntl(dir, F_SETSIG, SIGUSR1));
	CHECK_EQ(fcntl(dir, F_GETSIG), SIGUSR1);
	CHECK_OK(fcntl(dir, F_SETSIG, 0));
	close(reg);
	close(dir);
	close(opath);
}

static void owner_commands(void)
{
	int fd = open(g_tmpdir, O_RDONLY);
	struct f_owner_ex ex = {F_OWNER_TID, gettid()}, got;

	CHECK_EQ(fcntl(fd, F_GETOWN), 0);
	CHECK_OK(fcntl(fd, F_SETOWN, getpid()));
	CHECK_EQ(fcntl(fd, F_GETOWN), getpid());
	CHECK_OK(fcntl(fd, F_SETOWN, -getpgrp()));
	CHECK_EQ(fcntl(fd, F_GETOWN), -getpgrp());
	CHECK_OK(fcntl(fd, F_GETOWN_EX, &got));
	CHECK_EQ(got.type, F_OWNER_PGRP);
	CHECK_EQ(got.pid, getpgrp());
	CHECK_OK(fcntl(fd, F_SETOWN_EX, &ex));
	CHECK_OK(fcntl(fd, F_GETOWN_EX, &got));
	CHECK_EQ(got.type, F_OWNER_TID);
	CHECK_EQ(got.pid, gettid());
	CHECK_ERR(fcntl(fd, F_SETOWN, 999999), ESRCH);
	ex.type = 7;
	CHECK_ERR(fcntl(fd, F_SETOWN_EX, &ex), EINVAL);
	CHECK_ERR(fcntl(fd, F_SETOWN_EX, (void *)8), EFAULT);
	CHECK_OK(fcntl(fd, F_SETOWN, 0));
	CHECK_EQ(fcntl(fd, F_GETOWN), 0);
	close(fd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	sigemptyset(&g_set);
	sigaddset(&g_set, NSIG_RT);
	sigaddset(&g_set, SIGIO);
	sigprocmask(SIG_BLOCK, &g_set, NULL);
	RUN(create_signals_with_si_fd);
	RUN(multishot_keeps_reporting);
	RUN(each_event_kind);
	RUN(rename_across_directories);
	RUN(plain_sigio_by_default);
	RUN(close_removes_the_watch);
	RUN(event_from_a_child);
	RUN(errors);
	RUN(owner_commands);
	return h_end();
}
