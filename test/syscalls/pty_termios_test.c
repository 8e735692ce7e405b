/* Pseudo-terminal details real programs rely on: the termios a new pty starts with (what
 * `script` and `stty -a` show), TIOCGPTPEER (glibc's openpty), and non-canonical reads
 * with VMIN and VTIME (readers and poll wait for VMIN bytes; VTIME times out). */
#include "harness.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

static int open_master(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m >= 0 && (grantpt(m) < 0 || unlockpt(m) < 0)) {
		close(m);
		return -1;
	}
	return m;
}

static long elapsed_ms(const struct timespec *a)
{
	struct timespec z;

	clock_gettime(CLOCK_MONOTONIC, &z);
	return (z.tv_sec - a->tv_sec) * 1000 + (z.tv_nsec - a->tv_nsec) / 1000000;
}

static void new_pty_has_linux_default_termios(void)
{
	int m = CHECK_OK(open_master()), s;
	struct termios t;

	s = CHECK_OK(open(ptsname(m), O_RDWR | O_NOCTTY));
	CHECK_OK(tcgetattr(s, &t));
	CHECK_EQ(t.c_iflag, ICRNL | IXON);
	CHECK_EQ(t.c_oflag, OPOST | ONLCR);
	CHECK_EQ(t.c_cflag, B38400 | CS8 | CREAD); /* no HUPCL on a pty */
	CHECK_EQ(t.c_lflag, ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN);
	CHECK_EQ(cfgetispeed(&t), B38400);
	CHECK_EQ(cfgetospeed(&t), B38400);
	CHECK_EQ(t.c_cc[VINTR], 003);
	CHECK_EQ(t.c_cc[VMIN], 1);
	CHECK_EQ(t.c_cc[VTIME], 0);
	/* TCGETS on the master reports the slave's termios. */
	CHECK_OK(tcgetattr(m, &t));
	CHECK_EQ(t.c_cflag, B38400 | CS8 | CREAD);
	CHECK_EQ(t.c_lflag, ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN);
	close(s);
	close(m);
}

static void ptpeer_opens_the_slave(void)
{
	int m = CHECK_OK(posix_openpt(O_RDWR | O_NOCTTY)), s, n = -1;
	struct stat st;
	char want[32], buf[8];

	CHECK_ERR(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY), EIO); /* still locked */
	CHECK_OK(unlockpt(m));
	s = CHECK_OK(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
	CHECK_OK(ioctl(m, TIOCGPTN, &n));
	CHECK_OK(fstat(s, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 136);
	CHECK_EQ(minor(st.st_rdev), n);
	snprintf(want, sizeof(want), "/dev/pts/%d", n);
	CHECK_STR(ttyname(s), want);
	CHECK_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(s, F_GETFL) & O_ACCMODE, O_RDWR);
	CHECK_EQ(write(m, "hi\n", 3), 3);
	CHECK_EQ(read(s, buf, sizeof(buf)), 3);
	CHECK_MEM(buf, "hi\n", 3);
	/* Only a master has a peer; other files are no terminal at all. */
	CHECK_ERR(ioctl(s, TIOCGPTPEER, O_RDWR), EIO);
	CHECK_ERR(ioctl(0 + open("/dev/null", O_RDONLY), TIOCGPTPEER, O_RDWR), ENOTTY);
	close(s);
	close(m);
}

static void raw_pair(int *m, int *s, int vmin, int vtime)
{
	struct termios t;

	*m = open_master();
	*s = open(ptsname(*m), O_RDWR | O_NOCTTY);
	tcgetattr(*s, &t);
	cfmakeraw(&t);
	t.c_cc[VMIN] = (cc_t)vmin;
	t.c_cc[VTIME] = (cc_t)vtime;
	tcsetattr(*s, TCSANOW, &t);
}

static void vmin_waits_for_that_many_bytes(void)
{
	int m, s;
	char buf[16];
	struct pollfd p;

	raw_pair(&m, &s, 3, 0);
	CHECK(m >= 0 && s >= 0);
	CHECK_EQ(write(m, "ab", 2), 2);
	p = (struct pollfd){s, POLLIN, 0};
	CHECK_EQ(poll(&p, 1, 100), 0); /* fewer than VMIN bytes: not readable */
	CHECK_OK(fcntl(s, F_SETFL, O_NONBLOCK));
	CHECK_EQ(read(s, buf, sizeof(buf)), 2); /* O_NONBLOCK takes what is there */
	CHECK_ERR(read(s, buf, sizeof(buf)), EAGAIN);
	CHECK_OK(fcntl(s, F_SETFL, 0));
	if (fork() == 0) {
		usleep(50000);
		write(m, "c", 1);
		usleep(50000);
		write(m, "de", 2);
		_exit(0);
	}
	CHECK_EQ(read(s, buf, sizeof(buf)), 3); /* blocks until c, d, e are all in */
	CHECK_MEM(buf, "cde", 3);
	wait(NULL);
	/* A read asking for fewer bytes than VMIN returns as soon as it has them. */
	CHECK_EQ(write(m, "f", 1), 1);
	CHECK_EQ(read(s, buf, 1), 1);
	close(s);
	close(m);
}

static void vtime_alone_is_a_read_timeout(void)
{
	int m, s;
	char buf[16];
	struct timespec a;
	struct pollfd p;
	long ms;

	raw_pair(&m, &s, 0, 2);
	CHECK(m >= 0 && s >= 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_EQ(read(s, buf, sizeof(buf)), 0); /* nothing within 0.2 s */
	ms = elapsed_ms(&a);
	CHECK(ms >= 150); /* never early (the run's own timeout catches a hang) */
	CHECK_EQ(write(m, "x", 1), 1);
	p = (struct pollfd){s, POLLIN, 0};
	CHECK_EQ(poll(&p, 1, 1000), 1); /* with VTIME, one byte makes it readable */
	CHECK_EQ(read(s, buf, sizeof(buf)), 1);
	close(s);
	close(m);
}

static void vmin_with_vtime_times_out_between_bytes(void)
{
	int m, s;
	char buf[16];
	struct timespec a;
	long ms;

	raw_pair(&m, &s, 5, 2);
	CHECK(m >= 0 && s >= 0);
	CHECK_EQ(write(m, "xy", 2), 2);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_EQ(read(s, buf, sizeof(buf)), 2); /* the inter-byte timer ran out */
	ms = elapsed_ms(&a);
	CHECK(ms >= 150); /* never early (the run's own timeout catches a hang) */
	CHECK_MEM(buf, "xy", 2);
	close(s);
	close(m);
}

int main(void)
{
	h_begin();
	RUN(new_pty_has_linux_default_termios);
	RUN(ptpeer_opens_the_slave);
	RUN(vmin_waits_for_that_many_bytes);
	RUN(vtime_alone_is_a_read_timeout);
	RUN(vmin_with_vtime_times_out_between_bytes);
	return h_end();
}
