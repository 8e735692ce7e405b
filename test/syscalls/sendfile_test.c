/* sendfile: file-to-file and file-to-pipe copies, offset handling, errnos. */
#include "harness.h"

#include <sys/sendfile.h>

static int g_in;

/* A directory cannot be a sendfile source (opened once, closed at exit). */
static int g_tmpdir_fd(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = open(g_tmpdir, O_RDONLY | O_DIRECTORY);
	return fd;
}

static void sendfile_from_pipe_with_offset_returns_espipe(void)
{
	off_t off = 0;
	int p[2];
	int out = CHECK_OK(open("/dev/null", O_WRONLY));

	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "abc", 3), 3);
	/* A pipe source cannot be positioned. */
	CHECK_ERR(sendfile(out, p[0], &off, 3), ESPIPE);
	close(p[0]);
	close(p[1]);
	close(out);
}

static void sendfile_with_offset_leaves_file_position(void)
{
	char buf[16] = { 0 };
	off_t off = 2;
	int out = CHECK_OK(open(h_path("out1"), O_CREAT | O_RDWR | O_TRUNC, 0644));

	CHECK_EQ(lseek(g_in, 0, SEEK_SET), 0);
	CHECK_EQ(sendfile(out, g_in, &off, 5), 5);
	CHECK_EQ(off, 7);
	CHECK_EQ(lseek(g_in, 0, SEEK_CUR), 0);
	CHECK_EQ(pread(out, buf, sizeof(buf), 0), 5);
	CHECK_STR(buf, "23456");
	close(out);
}

static void sendfile_without_offset_advances_file_position(void)
{
	char buf[16] = { 0 };
	int out = CHECK_OK(open(h_path("out2"), O_CREAT | O_RDWR | O_TRUNC, 0644));

	CHECK_EQ(lseek(g_in, 4, SEEK_SET), 4);
	CHECK_EQ(sendfile(out, g_in, NULL, 100), 6);
	CHECK_EQ(lseek(g_in, 0, SEEK_CUR), 10);
	CHECK_EQ(sendfile(out, g_in, NULL, 100), 0);
	CHECK_EQ(pread(out, buf, sizeof(buf), 0), 6);
	CHECK_STR(buf, "456789");
	close(out);
}

static void sendfile_into_pipe(void)
{
	char buf[16] = { 0 };
	off_t off = 0;
	int p[2];

	CHECK_OK(pipe(p));
	CHECK_EQ(sendfile(p[1], g_in, &off, 10), 10);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 10);
	CHECK_STR(buf, "0123456789");
	close(p[0]);
	close(p[1]);
}

static void sendfile_zero_count_returns_zero(void)
{
	off_t off = 0;
	int out = CHECK_OK(open("/dev/null", O_WRONLY));

	CHECK_EQ(sendfile(out, g_in, &off, 0), 0);
	close(out);
}

static void sendfile_errors(void)
{
	off_t off = 0, neg = -1;
	int out = CHECK_OK(open(h_path("out3"), O_CREAT | O_RDWR | O_TRUNC, 0644));
	int app = CHECK_OK(open(h_path("out4"), O_CREAT | O_WRONLY | O_APPEND, 0644));
	int ro = CHECK_OK(open(h_path("out3"), O_RDONLY));
	int wo = CHECK_OK(open(h_path("out3"), O_WRONLY));

	CHECK_ERR(sendfile(9999, g_in, &off, 1), EBADF);
	CHECK_ERR(sendfile(out, 9999, &off, 1), EBADF);
	CHECK_ERR(sendfile(ro, g_in, &off, 1), EBADF);
	CHECK_ERR(sendfile(out, wo, &off, 1), EBADF);
	CHECK_ERR(sendfile(app, g_in, &off, 1), EINVAL);
	CHECK_ERR(sendfile(out, g_in, &neg, 1), EINVAL);
	CHECK_ERR(syscall(SYS_sendfile, out, g_in, 1L, 1L), EFAULT);
	CHECK_ERR(sendfile(out, g_tmpdir_fd(), &off, 1), EINVAL);
	close(out);
	close(app);
	close(ro);
	close(wo);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	g_in = open(h_make_file("in", "0123456789"), O_RDONLY);
	RUN(sendfile_with_offset_leaves_file_position);
	RUN(sendfile_without_offset_advances_file_position);
	RUN(sendfile_into_pipe);
	RUN(sendfile_zero_count_returns_zero);
	RUN(sendfile_errors);
	RUN(sendfile_from_pipe_with_offset_returns_espipe);
	return h_end();
}
