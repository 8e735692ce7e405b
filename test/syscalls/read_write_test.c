/* read/write/pread/pwrite/readv/writev: data, offsets and errnos. */
#include "harness.h"

#include <sys/uio.h>

static int open_tmp(const char *name, int flags)
{
	return open(h_path(name), flags | O_CREAT, 0644);
}

static void write_then_read_returns_same_bytes(void)
{
	char buf[32] = { 0 };
	int fd = CHECK_OK(open_tmp("rw", O_RDWR | O_TRUNC));

	CHECK_EQ(write(fd, "hello world", 11), 11);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 11);
	CHECK_STR(buf, "hello world");
	close(fd);
}

static void read_at_eof_returns_zero(void)
{
	char buf[8];
	int fd = CHECK_OK(open_tmp("eof", O_RDWR | O_TRUNC));

	CHECK_EQ(write(fd, "abc", 3), 3);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
}

static void read_short_returns_available_bytes(void)
{
	char buf[4];
	int fd = CHECK_OK(open_tmp("short", O_RDWR | O_TRUNC));

	CHECK_EQ(write(fd, "0123456", 7), 7);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(read(fd, buf, 4), 4);
	CHECK_MEM(buf, "0123", 4);
	CHECK_EQ(read(fd, buf, 4), 3);
	CHECK_MEM(buf, "456", 3);
	close(fd);
}

static void zero_length_io_returns_zero(void)
{
	char buf[1];
	int fd = CHECK_OK(open_tmp("zero", O_RDWR | O_TRUNC));

	CHECK_EQ(write(fd, buf, 0), 0);
	CHECK_EQ(read(fd, buf, 0), 0);
	close(fd);
}

static void io_on_bad_fd_returns_ebadf(void)
{
	char buf[4];

	CHECK_ERR(read(-1, buf, 4), EBADF);
	CHECK_ERR(write(-1, buf, 4), EBADF);
	CHECK_ERR(read(9999, buf, 4), EBADF);
	CHECK_ERR(pread(9999, buf, 4, 0), EBADF);
}

static void io_against_access_mode_returns_ebadf(void)
{
	char buf[4];
	int wfd = CHECK_OK(open_tmp("mode", O_WRONLY | O_TRUNC));
	int rfd = CHECK_OK(open(h_path("mode"), O_RDONLY));

	CHECK_ERR(read(wfd, buf, 4), EBADF);
	CHECK_ERR(write(rfd, "x", 1), EBADF);
	close(wfd);
	close(rfd);
}

static void io_with_bad_buffer_returns_efault(void)
{
	int fd = CHECK_OK(open_tmp("fault", O_RDWR | O_TRUNC));

	CHECK_EQ(write(fd, "data", 4), 4);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_ERR(syscall(SYS_read, fd, 1L, 4L), EFAULT);
	CHECK_ERR(syscall(SYS_write, fd, 1L, 4L), EFAULT);
	close(fd);
}

static void read_on_directory_returns_eisdir(void)
{
	char buf[4];
	int fd = CHECK_OK(open(g_tmpdir, O_RDONLY | O_DIRECTORY));

	CHECK_ERR(read(fd, buf, sizeof(buf)), EISDIR);
	close(fd);
}

static void pread_pwrite_leave_offset_alone(void)
{
	char buf[8] = { 0 };
	int fd = CHECK_OK(open_tmp("pio", O_RDWR | O_TRUNC));

	CHECK_EQ(write(fd, "ab", 2), 2);
	CHECK_EQ(pwrite(fd, "XYZ", 3, 100), 3);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);
	CHECK_EQ(pread(fd, buf, 3, 100), 3);
	CHECK_MEM(buf, "XYZ", 3);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_END), 103);
	close(fd);
}

static void pwrite_past_eof_leaves_zero_hole(void)
{
	char buf[8];
	int fd = CHECK_OK(open_tmp("hole", O_RDWR | O_TRUNC));

	CHECK_EQ(pwrite(fd, "E", 1, 8), 1);
	CHECK_EQ(pread(fd, buf, 8, 0), 8);
	CHECK_MEM(buf, "\0\0\0\0\0\0\0\0", 8);
	close(fd);
}

static void pread_negative_offset_returns_einval(void)
{
	char buf[4];
	int fd = CHECK_OK(open_tmp("neg", O_RDWR));

	CHECK_ERR(pread(fd, buf, 4, -1), EINVAL);
	CHECK_ERR(pwrite(fd, buf, 4, -1), EINVAL);
	close(fd);
}

static void pread_on_pipe_returns_espipe(void)
{
	char buf[4];
	int p[2];

	CHECK_OK(pipe(p));
	CHECK_ERR(pread(p[0], buf, 4, 0), ESPIPE);
	CHECK_ERR(pwrite(p[1], buf, 4, 0), ESPIPE);
	close(p[0]);
	close(p[1]);
}

static void writev_readv_scatter_gather(void)
{
	char a[3], b[5];
	struct iovec out[2] = { { "abc", 3 }, { "defgh", 5 } };
	struct iovec in[2] = { { a, 3 }, { b, 5 } };
	char all[9] = { 0 };
	int fd = CHECK_OK(open_tmp("iov", O_RDWR | O_TRUNC));

	CHECK_EQ(writev(fd, out, 2), 8);
	CHECK_EQ(pread(fd, all, 8, 0), 8);
	CHECK_STR(all, "abcdefgh");
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	/* Swap the buffer order: readv must fill iov[0] first. */
	in[0].iov_base = b;
	in[0].iov_len = 5;
	in[1].iov_base = a;
	in[1].iov_len = 3;
	CHECK_EQ(readv(fd, in, 2), 8);
	CHECK_MEM(b, "abcde", 5);
	CHECK_MEM(a, "fgh", 3);
	close(fd);
}

static void writev_bad_iovcnt_returns_einval(void)
{
	struct iovec v = { "x", 1 };
	int fd = CHECK_OK(open_tmp("iovcnt", O_RDWR));

	CHECK_ERR(syscall(SYS_writev, fd, &v, -1), EINVAL);
	CHECK_ERR(syscall(SYS_writev, fd, &v, IOV_MAX + 1), EINVAL);
	CHECK_EQ(writev(fd, &v, 0), 0);
	close(fd);
}

static void append_writes_go_to_end(void)
{
	char buf[8] = { 0 };
	int fd = CHECK_OK(open_tmp("append", O_RDWR | O_TRUNC));
	int afd;

	CHECK_EQ(write(fd, "1234", 4), 4);
	afd = CHECK_OK(open(h_path("append"), O_WRONLY | O_APPEND));
	CHECK_EQ(write(afd, "56", 2), 2);
	CHECK_EQ(lseek(afd, 0, SEEK_CUR), 6);
	CHECK_EQ(pread(fd, buf, 8, 0), 6);
	CHECK_STR(buf, "123456");
	close(afd);
	close(fd);
}

static void large_file_round_trip(void)
{
	enum { SIZE = 3 << 20 };
	char *out = malloc(SIZE), *in = malloc(SIZE);
	int fd = CHECK_OK(open_tmp("large", O_RDWR | O_TRUNC));
	long done = 0;
	ssize_t n;

	for (long i = 0; i < SIZE; i++)
		out[i] = (char)(i ^ (i >> 9));
	CHECK_EQ(write(fd, out, SIZE), SIZE);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	/* Regular-file reads return everything asked for short of EOF. */
	while ((n = read(fd, in + done, SIZE - done)) > 0)
		done += n;
	CHECK_EQ(done, SIZE);
	CHECK_MEM(in, out, SIZE);
	free(out);
	free(in);
	close(fd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(write_then_read_returns_same_bytes);
	RUN(read_at_eof_returns_zero);
	RUN(read_short_returns_available_bytes);
	RUN(zero_length_io_returns_zero);
	RUN(io_on_bad_fd_returns_ebadf);
	RUN(io_against_access_mode_returns_ebadf);
	RUN(io_with_bad_buffer_returns_efault);
	RUN(read_on_directory_returns_eisdir);
	RUN(pread_pwrite_leave_offset_alone);
	RUN(pwrite_past_eof_leaves_zero_hole);
	RUN(pread_negative_offset_returns_einval);
	RUN(pread_on_pipe_returns_espipe);
	RUN(writev_readv_scatter_gather);
	RUN(writev_bad_iovcnt_returns_einval);
	RUN(append_writes_go_to_end);
	RUN(large_file_round_trip);
	return h_end();
}
