/* Terminal job control (what `bash` relies on for `cat &`, `stty tostop`): a process of
 * a background process group that reads its controlling terminal gets SIGTTIN, one that
 * writes it with TOSTOP set or changes its termios gets SIGTTOU; blocked or ignored
 * signals turn a read into EIO and let writes and termios changes through; an orphaned
 * background group reads EIO instead of stopping. */
#include "harness.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>

/* What the background child does; returns its exit code (an errno, or 0), or REPORTED
 * after writing the code to g_report[1] (a grandchild's answer). */
typedef int (*bg_fn)(int tty);

#define REPORTED 77
static int g_report[2];

/* The leader's verdict on its background child bg: its exit code, 100 + the signal that
 * stopped it, or what it reported through g_report. */
static int leader_wait(pid_t bg)
{
	struct pollfd p = {g_report[0], POLLIN, 0};
	int st, code = 99;

	if (waitpid(bg, &st, WUNTRACED) != bg)
		return 99;
	if (WIFSTOPPED(st)) {
		kill(bg, SIGKILL);
		waitpid(bg, NULL, 0);
		return 100 + WSTOPSIG(st);
	}
	if (!WIFEXITED(st))
		return 99;
	if (WEXITSTATUS(st) != REPORTED)
		return WEXITSTATUS(st);
	if (poll(&p, 1, 10000) != 1 || read(g_report[0], &code, sizeof(code)) != sizeof(code))
		return 99;
	return code;
}

/* A new session whose controlling terminal is a fresh pty, its leader in the
 * foreground, runs fn in a child of a background process group. Returns the leader's
 * verdict (leader_wait), or 99 when the setup failed. */
static int run_in_background(bg_fn fn, bool tostop)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), st;
	pid_t leader, bg;

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || pipe(g_report) < 0)
		return 99;
	leader = fork();
	if (leader == 0) {
		struct termios t;
		int tty;

		if (setsid() < 0 || (tty = open(ptsname(m), O_RDWR)) < 0 ||
		    tcgetpgrp(tty) != getpid())
			_exit(99);
		tcgetattr(tty, &t);
		if (tostop)
			t.c_lflag |= TOSTOP;
		tcsetattr(tty, TCSANOW, &t);
		bg = fork();
		if (bg == 0) {
			setpgid(0, 0);
			_exit(fn(tty));
		}
		setpgid(bg, bg);
		_exit(leader_wait(bg));
	}
	waitpid(leader, &st, 0);
	close(m);
	close(g_report[0]);
	close(g_report[1]);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static int do_read(int tty)
{
	char c;

	return read(tty, &c, 1) < 0 ? errno : 0;
}

static int do_read_ignoring_sigttin(int tty)
{
	signal(SIGTTIN, SIG_IGN);
	return do_read(tty);
}

static int do_read_blocking_sigttin(int tty)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGTTIN);
	sigprocmask(SIG_BLOCK, &s, NULL);
	return do_read(tty);
}

static int do_write(int tty)
{
	return write(tty, "x", 1) == 1 ? 0 : errno;
}

static int do_write_ignoring_sigttou(int tty)
{
	signal(SIGTTOU, SIG_IGN);
	return do_write(tty);
}

static int do_tcsetattr(int tty)
{
	struct termios t;

	tcgetattr(tty, &t);
	return tcsetattr(tty, TCSANOW, &t) == 0 ? 0 : errno;
}

static int do_tcsetattr_blocking_sigttou(int tty)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGTTOU);
	sigprocmask(SIG_BLOCK, &s, NULL);
	return do_tcsetattr(tty);
}

/* What a shell does to take the terminal: tcsetpgrp with SIGTTOU blocked. */
static int do_take_foreground(int tty)
{
	sigset_t s;
	char c;

	sigemptyset(&s);
	sigaddset(&s, SIGTTOU);
	sigprocmask(SIG_BLOCK, &s, NULL);
	if (tcsetpgrp(tty, getpgrp()) < 0)
		return errno;
	if (tcgetpgrp(tty) != getpgrp())
		return 1;
	/* In the foreground now: a read is no job-control matter (nothing to read yet). */
	fcntl(tty, F_SETFL, O_NONBLOCK);
	return read(tty, &c, 1) < 0 && errno == EAGAIN ? 0 : 2;
}

/* Our child stays in our group while we exit: its parent is then outside the session,
 * so the group is orphaned. It reports what its read did. */
static int do_read_orphaned(int tty)
{
	pid_t parent = getpid();

	if (fork() == 0) {
		int err;

		while (getppid() == parent)
			usleep(1000);
		err = do_read(tty);
		write(g_report[1], &err, sizeof(err));
		_exit(0);
	}
	return REPORTED;
}

static void background_read_stops_with_sigttin(void)
{
	CHECK_EQ(run_in_background(do_read, false), 100 + SIGTTIN);
}

static void background_read_with_sigttin_ignored_or_blocked_is_eio(void)
{
	CHECK_EQ(run_in_background(do_read_ignoring_sigttin, false), EIO);
	CHECK_EQ(run_in_background(do_read_blocking_sigttin, false), EIO);
}

static void background_write_needs_tostop_to_stop(void)
{
	CHECK_EQ(run_in_background(do_write, false), 0);
	CHECK_EQ(run_in_background(do_write, true), 100 + SIGTTOU);
	CHECK_EQ(run_in_background(do_write_ignoring_sigttou, true), 0);
}

static void background_tcsetattr_stops_with_sigttou(void)
{
	CHECK_EQ(run_in_background(do_tcsetattr, false), 100 + SIGTTOU);
	CHECK_EQ(run_in_background(do_tcsetattr_blocking_sigttou, false), 0);
}

static void background_group_takes_the_terminal_with_sigttou_blocked(void)
{
	CHECK_EQ(run_in_background(do_take_foreground, false), 0);
}

static void orphaned_background_group_reads_eio(void)
{
	CHECK_EQ(run_in_background(do_read_orphaned, false), EIO);
}

int main(void)
{
	h_begin();
	RUN(background_read_stops_with_sigttin);
	RUN(background_read_with_sigttin_ignored_or_blocked_is_eio);
	RUN(background_write_needs_tostop_to_stop);
	RUN(background_tcsetattr_stops_with_sigttou);
	RUN(background_group_takes_the_terminal_with_sigttou_blocked);
	RUN(orphaned_background_group_reads_eio);
	return h_end();
}
