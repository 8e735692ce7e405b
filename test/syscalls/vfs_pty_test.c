/* Pseudo-terminals: posix_openpt/grantpt/unlockpt/ptsname, canonical input with echo and
 * erase, output CR/NL mapping, raw mode, VEOF, window size, ^C to the foreground process
 * group of the controlling terminal, hangup, and /dev/tty. */
#include "harness.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>

static int g_master, g_slave;

/* Read exactly size bytes from fd, waiting up to 5 s in all; returns the count read. */
static ssize_t read_n(int fd, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			break;
		n = read(fd, buf + got, size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int open_pair(int *slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	char *name;

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || !(name = ptsname(m)))
		return -1;
	*slave = open(name, O_RDWR | O_NOCTTY);
	return *slave < 0 ? -1 : m;
}

static void openpt_names_a_pts_slave(void)
{
	int m = CHECK_OK(posix_openpt(O_RDWR | O_NOCTTY)), n = -1, s;
	char want[64];
	struct stat st;

	CHECK_OK(ioctl(m, TIOCGPTN, &n));
	snprintf(want, sizeof(want), "/dev/pts/%d", n);
	CHECK_STR(ptsname(m), want);
	CHECK_ERR(open(want, O_RDWR | O_NOCTTY), EIO); /* still locked */
	CHECK_OK(grantpt(m));
	CHECK_OK(unlockpt(m));
	s = CHECK_OK(open(want, O_RDWR | O_NOCTTY));
	CHECK_OK(fstat(s, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 136);
	CHECK_EQ(minor(st.st_rdev), n);
	CHECK(isatty(s));
	CHECK(isatty(m));
	CHECK_STR(ttyname(s), want);
	close(s);
	close(m);
}

static void canonical_line_with_echo(void)
{
	char buf[64];

	CHECK_EQ(write(g_master, "hello\n", 6), 6);
	CHECK_EQ(read_n(g_slave, buf, 6), 6);
	CHECK_MEM(buf, "hello\n", 6);
	CHECK_EQ(read_n(g_master, buf, 7), 7); /* the echo, with ONLCR */
	CHECK_MEM(buf, "hello\r\n", 7);
}

static void erase_and_kill_edit_the_line(void)
{
	char buf[64];
	struct termios t;

	/* Without echo, to look at the input alone. */
	CHECK_OK(tcgetattr(g_slave, &t));
	t.c_lflag &= ~(tcflag_t)ECHO;
	CHECK_OK(tcsetattr(g_slave, TCSANOW, &t));
	CHECK_EQ(write(g_master, "abc\177d\n", 6), 6);
	CHECK_EQ(read_n(g_slave, buf, 4), 4);
	CHECK_MEM(buf, "abd\n", 4);
	CHECK_EQ(write(g_master, "xyz\025ok\r", 7), 7); /* ^U kills, CR maps to NL */
	CHECK_EQ(read_n(g_slave, buf, 3), 3);
	CHECK_MEM(buf, "ok\n", 3);
	t.c_lflag |= ECHO;
	CHECK_OK(tcsetattr(g_slave, TCSANOW, &t));
}

static void output_maps_nl_to_crnl(void)
{
	char buf[16];

	CHECK_EQ(write(g_slave, "x\ny\n", 4), 4);
	CHECK_EQ(read_n(g_master, buf, 6), 6);
	CHECK_MEM(buf, "x\r\ny\r\n", 6);
}

static void veof_on_empty_line_reads_zero(void)
{
	char buf[16];
	struct termios t;

	CHECK_OK(tcgetattr(g_slave, &t));
	t.c_lflag &= ~(tcflag_t)ECHO;
	CHECK_OK(tcsetattr(g_slave, TCSANOW, &t));
	CHECK_EQ(write(g_master, "ab\004\004", 4), 4);
	CHECK_EQ(read_n(g_slave, buf, 2), 2);
	CHECK_MEM(buf, "ab", 2);
	{
		struct pollfd p = {g_slave, POLLIN, 0};

		CHECK_EQ(poll(&p, 1, 5000), 1);
		CHECK_EQ(read(g_slave, buf, sizeof(buf)), 0);
	}
	t.c_lflag |= ECHO;
	CHECK_OK(tcsetattr(g_slave, TCSANOW, &t));
}

static void raw_mode_passes_bytes(void)
{
	char buf[16];
	struct termios t, saved;

	CHECK_OK(tcgetattr(g_slave, &saved));
	t = saved;
	cfmakeraw(&t);
	CHECK_OK(tcsetattr(g_slave, TCSANOW, &t));
	CHECK_EQ(write(g_master, "q\r", 2), 2);
	CHECK_EQ(read_n(g_slave, buf, 2), 2);
	CHECK_MEM(buf, "q\r", 2);
	CHECK_EQ(write(g_slave, "\n", 1), 1);
	CHECK_EQ(read_n(g_master, buf, 1), 1);
	CHECK_EQ(buf[0], '\n');
	CHECK_OK(tcsetattr(g_slave, TCSANOW, &saved));
}

static void window_size_round_trip(void)
{
	struct winsize ws = {.ws_row = 40, .ws_col = 132}, got = {0};

	CHECK_OK(ioctl(g_master, TIOCSWINSZ, &ws));
	CHECK_OK(ioctl(g_slave, TIOCGWINSZ, &got));
	CHECK_EQ(got.ws_row, 40);
	CHECK_EQ(got.ws_col, 132);
}

static volatile sig_atomic_t g_got_int;

static void on_int(int sig)
{
	g_got_int = 1;
}

/* The child: a new session whose controlling terminal is the slave; reports on pipe w. */
static void ctty_child(const char *name, int w)
{
	int s, pgrp = -1;
	char c = 'r';

	setsid();
	s = open(name, O_RDWR); /* a session leader acquires its first terminal */
	if (s < 0 || ioctl(s, TIOCGPGRP, &pgrp) < 0 || pgrp != getpid())
		c = 'e';
	signal(SIGINT, on_int);
	if (write(w, &c, 1) != 1)
		_exit(3);
	for (int i = 0; i < 500 && !g_got_int; i++)
		usleep(10000);
	c = g_got_int ? 'i' : 't';
	if (write(w, &c, 1) != 1)
		_exit(3);
	_exit(0);
}

static void ctrl_c_signals_foreground_group(void)
{
	int m = CHECK_OK(posix_openpt(O_RDWR | O_NOCTTY)), p[2], status;
	char name[64], c = 0;
	pid_t pid;

	CHECK_OK(grantpt(m));
	CHECK_OK(unlockpt(m));
	snprintf(name, sizeof(name), "%s", ptsname(m));
	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		ctty_child(name, p[1]);
	}
	close(p[1]);
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(c, 'r');
	CHECK_EQ(write(m, "\003", 1), 1);
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(c, 'i');
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(p[0]);
	close(m);
}

static void dev_tty_without_ctty_is_enxio(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		setsid();
		_exit(open("/dev/tty", O_RDWR) < 0 && errno == ENXIO ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void master_reads_eio_after_slave_closes(void)
{
	int s, m = CHECK_OK(open_pair(&s));
	char buf[8];

	close(s);
	CHECK_ERR(read(m, buf, sizeof(buf)), EIO);
	close(m);
}

static void slave_reads_eof_after_master_closes(void)
{
	int s, m = CHECK_OK(open_pair(&s));
	char buf[8];

	close(m);
	CHECK_EQ(read(s, buf, sizeof(buf)), 0);
	CHECK_ERR(write(s, "x", 1), EIO);
	close(s);
}

int main(void)
{
	h_begin();
	g_master = open_pair(&g_slave);
	if (g_master < 0) {
		perror("openpty");
		return 1;
	}
	RUN(openpt_names_a_pts_slave);
	RUN(canonical_line_with_echo);
	RUN(erase_and_kill_edit_the_line);
	RUN(output_maps_nl_to_crnl);
	RUN(veof_on_empty_line_reads_zero);
	RUN(raw_mode_passes_bytes);
	RUN(window_size_round_trip);
	RUN(ctrl_c_signals_foreground_group);
	RUN(dev_tty_without_ctty_is_enxio);
	RUN(master_reads_eio_after_slave_closes);
	RUN(slave_reads_eof_after_master_closes);
	return h_end();
}
