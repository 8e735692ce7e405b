/* /dev/null, /dev/zero, /dev/urandom, and ioctl(TCGETS/TIOCGWINSZ) on non-terminals. */
#include "harness.h"

#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/sysmacros.h>
#include <termios.h>

static void check_chr(const char *path, unsigned int maj, unsigned int min)
{
	struct stat st;

	CHECK_OK(stat(path, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), maj);
	CHECK_EQ(minor(st.st_rdev), min);
}

static void device_nodes_have_linux_numbers(void)
{
	check_chr("/dev/null", 1, 3);
	check_chr("/dev/zero", 1, 5);
	check_chr("/dev/urandom", 1, 9);
}

static void dev_null_swallows_writes_and_reads_eof(void)
{
	char buf[16];
	int fd = CHECK_OK(open("/dev/null", O_RDWR));

	CHECK_EQ(write(fd, "discard me", 10), 10);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 100), 0);
	close(fd);
}

static void dev_zero_reads_zeros(void)
{
	char buf[4096];
	int fd = CHECK_OK(open("/dev/zero", O_RDWR));
	int nonzero = 0;

	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(read(fd, buf, sizeof(buf)), (long)sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		nonzero |= buf[i];
	CHECK_EQ(nonzero, 0);
	CHECK_EQ(write(fd, "x", 1), 1);
	close(fd);
}

static void dev_urandom_reads_random_bytes(void)
{
	unsigned char a[32], b[32];
	int fd = CHECK_OK(open("/dev/urandom", O_RDONLY));

	CHECK_EQ(read(fd, a, sizeof(a)), 32);
	CHECK_EQ(read(fd, b, sizeof(b)), 32);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	close(fd);
}

/* One read of 4 MiB returns it all (dd bs=1M count=N relies on full records). */
static void dev_zero_and_urandom_fill_large_reads(void)
{
	size_t size = 4 << 20;
	char *buf = malloc(size);
	int z = CHECK_OK(open("/dev/zero", O_RDONLY));
	int u = CHECK_OK(open("/dev/urandom", O_RDONLY));
	struct iovec iov[2];
	int nonzero = 0;

	memset(buf, 0xff, size);
	CHECK_EQ(read(z, buf, size), (long)size);
	for (size_t i = 0; i < size; i++)
		nonzero |= buf[i];
	CHECK_EQ(nonzero, 0);
	iov[0] = (struct iovec){buf, size / 2};
	iov[1] = (struct iovec){buf + size / 2, size / 2};
	CHECK_EQ(readv(z, iov, 2), (long)size);
	CHECK_EQ(pread(z, buf, size, 12345), (long)size);
	CHECK_EQ(read(u, buf, size), (long)size);
	CHECK_EQ(read(u, buf, 1 << 20), 1 << 20);
	close(z);
	close(u);
	free(buf);
}

static void tty_ioctls_on_non_tty_return_enotty(void)
{
	struct termios t;
	struct winsize ws;
	int p[2];
	int fd = CHECK_OK(open("/dev/null", O_RDWR));
	int ffd = CHECK_OK(open(h_make_file("f", "x"), O_RDONLY));

	CHECK_OK(pipe(p));
	CHECK_ERR(ioctl(fd, TCGETS, &t), ENOTTY);
	CHECK_ERR(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY);
	CHECK_ERR(ioctl(ffd, TCGETS, &t), ENOTTY);
	CHECK_ERR(ioctl(p[0], TCGETS, &t), ENOTTY);
	CHECK_EQ(isatty(fd), 0);
	CHECK_EQ(isatty(p[1]), 0);
	CHECK_ERR(ioctl(9999, TCGETS, &t), EBADF);
	close(p[0]);
	close(p[1]);
	close(fd);
	close(ffd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(device_nodes_have_linux_numbers);
	RUN(dev_null_swallows_writes_and_reads_eof);
	RUN(dev_zero_reads_zeros);
	RUN(dev_urandom_reads_random_bytes);
	RUN(dev_zero_and_urandom_fill_large_reads);
	RUN(tty_ioctls_on_non_tty_return_enotty);
	return h_end();
}
