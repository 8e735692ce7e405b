/* lseek: whence arithmetic, holes, and the errnos for bad offsets and unseekable files. */
#include "harness.h"

static int make_ten_byte_file(void)
{
	int fd = open(h_path("ten"), O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0 && write(fd, "0123456789", 10) != 10)
		return -1;
	return fd;
}

static void lseek_whence_set_cur_end(void)
{
	char c;
	int fd = CHECK_OK(make_ten_byte_file());

	CHECK_EQ(lseek(fd, 3, SEEK_SET), 3);
	CHECK_EQ(read(fd, &c, 1), 1);
	CHECK_EQ(c, '3');
	CHECK_EQ(lseek(fd, 2, SEEK_CUR), 6);
	CHECK_EQ(lseek(fd, -1, SEEK_CUR), 5);
	CHECK_EQ(lseek(fd, 0, SEEK_END), 10);
	CHECK_EQ(lseek(fd, -4, SEEK_END), 6);
	CHECK_EQ(read(fd, &c, 1), 1);
	CHECK_EQ(c, '6');
	close(fd);
}

static void lseek_past_end_then_write_extends(void)
{
	struct stat st;
	int fd = CHECK_OK(make_ten_byte_file());

	CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
	CHECK_EQ(write(fd, "z", 1), 1);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 101);
	close(fd);
}

static void lseek_negative_result_returns_einval(void)
{
	int fd = CHECK_OK(make_ten_byte_file());

	CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_ERR(lseek(fd, -11, SEEK_END), EINVAL);
	/* A failed seek leaves the offset where it was. */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);
	close(fd);
}

static void lseek_bad_whence_returns_einval(void)
{
	int fd = CHECK_OK(make_ten_byte_file());

	CHECK_ERR(lseek(fd, 0, 42), EINVAL);
	close(fd);
}

static void lseek_on_pipe_returns_espipe(void)
{
	int p[2];

	CHECK_OK(pipe(p));
	CHECK_ERR(lseek(p[0], 0, SEEK_SET), ESPIPE);
	CHECK_ERR(lseek(p[1], 0, SEEK_CUR), ESPIPE);
	close(p[0]);
	close(p[1]);
}

static void lseek_bad_fd_returns_ebadf(void)
{
	CHECK_ERR(lseek(9999, 0, SEEK_SET), EBADF);
}

static void lseek_on_directory_rewinds(void)
{
	int fd = CHECK_OK(open(g_tmpdir, O_RDONLY | O_DIRECTORY));

	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	close(fd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(lseek_whence_set_cur_end);
	RUN(lseek_past_end_then_write_extends);
	RUN(lseek_negative_result_returns_einval);
	RUN(lseek_bad_whence_returns_einval);
	RUN(lseek_on_pipe_returns_espipe);
	RUN(lseek_bad_fd_returns_ebadf);
	RUN(lseek_on_directory_rewinds);
	return h_end();
}
