/* splice, tee and vmsplice: file<->pipe with and without offsets, pipe->pipe, pipe<->socket,
 * blocking and SPLICE_F_NONBLOCK/O_NONBLOCK, EOF, EPIPE, and the EBADF/EINVAL/ESPIPE
 * cases. */
#include "harness.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>

static int make_file(const char *name, const char *data)
{
	int fd = open(h_make_file(name, data), O_RDWR);

	CHECK(fd >= 0);
	return fd;
}

static const char *read_all(int fd, size_t max)
{
	static char buf[256];
	ssize_t n = read(fd, buf, max < sizeof(buf) ? max : sizeof(buf) - 1);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void file_to_pipe_with_and_without_offset(void)
{
	int fd = make_file("src", "hello world"), p[2];
	loff_t off = 6;

	CHECK_OK(pipe(p));
	CHECK_EQ(splice(fd, &off, p[1], NULL, 5, 0), 5);
	CHECK_EQ(off, 11);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0); /* the offset was used, not the position */
	CHECK_STR(read_all(p[0], 5), "world");
	CHECK_EQ(splice(fd, NULL, p[1], NULL, 5, SPLICE_F_MORE | SPLICE_F_MOVE), 5);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
	CHECK_STR(read_all(p[0], 5), "hello");
	/* At the end of the file: 0. */
	off = 11;
	CHECK_EQ(splice(fd, &off, p[1], NULL, 5, 0), 0);
	CHECK_EQ(off, 11);
	close(fd);
	close(p[0]);
	close(p[1]);
}

static void file_to_pipe_stops_at_pipe_capacity(void)
{
	static char big[100000];
	int fd, p[2];

	memset(big, 'z', sizeof(big));
	fd = open(h_path("big"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	CHECK_EQ(write(fd, big, sizeof(big)), (long)sizeof(big));
	CHECK_OK(pipe(p));
	CHECK_EQ(fcntl(p[1], F_GETPIPE_SZ), 65536);
	CHECK_EQ(splice(fd, (loff_t[]){0}, p[1], NULL, sizeof(big), 0), 65536);
	CHECK_ERR(splice(fd, (loff_t[]){0}, p[1], NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
	/* O_NONBLOCK on the pipe acts as SPLICE_F_NONBLOCK. */
	CHECK_OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
	CHECK_ERR(splice(fd, (loff_t[]){0}, p[1], NULL, 10, 0), EAGAIN);
	close(fd);
	close(p[0]);
	close(p[1]);
}

static void pipe_to_file_with_and_without_offset(void)
{
	int fd = make_file("dst", "0123456789"), p[2];
	loff_t off = 2;
	char buf[16] = {0};

	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "abcdef", 6), 6);
	CHECK_EQ(splice(p[0], NULL, fd, &off, 3, 0), 3);
	CHECK_EQ(off, 5);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
	/* More than the pipe holds: what is there. */
	CHECK_EQ(splice(p[0], NULL, fd, NULL, 100, 0), 3);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 3);
	CHECK_EQ(pread(fd, buf, sizeof(buf) - 1, 0), 10);
	CHECK_STR(buf, "defbc56789");
	/* Empty pipe: EAGAIN without waiting, 0 once no writer is left. */
	CHECK_ERR(splice(p[0], NULL, fd, NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
	close(p[1]);
	CHECK_EQ(splice(p[0], NULL, fd, NULL, 10, 0), 0);
	close(fd);
	close(p[0]);
}

static void pipe_to_pipe_moves_and_tee_copies(void)
{
	int a[2], b[2], c[2];

	CHECK_OK(pipe(a));
	CHECK_OK(pipe(b));
	CHECK_OK(pipe(c));
	CHECK_EQ(write(a[1], "payload", 7), 7);
	CHECK_EQ(tee(a[0], b[1], 100, 0), 7);
	CHECK_EQ(tee(a[0], c[1], 3, 0), 3);
	CHECK_STR(read_all(b[0], 100), "payload");
	CHECK_STR(read_all(c[0], 100), "pay");
	CHECK_EQ(splice(a[0], NULL, b[1], NULL, 4, 0), 4);
	CHECK_STR(read_all(b[0], 100), "payl");
	CHECK_STR(read_all(a[0], 100), "oad");
	/* Empty input: EAGAIN when not blocking, 0 once the writer is gone. */
	CHECK_ERR(tee(a[0], b[1], 10, SPLICE_F_NONBLOCK), EAGAIN);
	CHECK_ERR(splice(a[0], NULL, b[1], NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
	close(a[1]);
	CHECK_EQ(tee(a[0], b[1], 10, 0), 0);
	CHECK_EQ(splice(a[0], NULL, b[1], NULL, 10, 0), 0);
	close(a[0]);
	close(b[0]);
	close(b[1]);
	close(c[0]);
	close(c[1]);
}

static void pipe_and_socket(void)
{
	int sv[2], p[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(p));
	CHECK_EQ(write(sv[0], "from-socket", 11), 11);
	CHECK_EQ(splice(sv[1], NULL, p[1], NULL, 100, 0), 11);
	CHECK_EQ(splice(p[0], NULL, sv[1], NULL, 100, 0), 11);
	CHECK_STR(read_all(sv[0], 100), "from-socket");
	/* Offsets need a seekable file. */
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_ERR(splice(p[0], NULL, sv[1], (loff_t[]){0}, 1, 0), EINVAL);
	CHECK_ERR(splice(sv[1], (loff_t[]){0}, p[1], NULL, 1, 0), EINVAL);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

static void errors(void)
{
	int fd = make_file("e", "data"), ro = open(h_path("e"), O_RDONLY), p[2], q[2];
	int app = open(h_path("e"), O_WRONLY | O_APPEND), wo = open(h_path("e"), O_WRONLY);
	int dir = open(g_tmpdir, O_RDONLY | O_DIRECTORY);

	CHECK_OK(pipe(p));
	CHECK_OK(pipe(q));
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK_EQ(splice(-1, NULL, -1, NULL, 0, 0), 0); /* len 0 is checked first */
	CHECK_ERR(splice(p[0], NULL, fd, NULL, 1, 0x10), EINVAL);
	CHECK_ERR(splice(999, NULL, fd, NULL, 1, 0), EBADF);
	CHECK_ERR(splice(p[0], NULL, 999, NULL, 1, 0), EBADF);
	CHECK_ERR(splice(p[0], NULL, ro, NULL, 1, 0), EBADF);	 /* out not writable */
	CHECK_ERR(splice(wo, NULL, p[1], NULL, 1, 0), EBADF);	 /* in not readable */
	CHECK_ERR(splice(p[1], NULL, fd, NULL, 1, 0), EBADF);	 /* the write end */
	CHECK_ERR(splice(fd, NULL, ro, NULL, 1, 0), EBADF);
	CHECK_ERR(splice(fd, NULL, fd, NULL, 1, 0), EINVAL);	 /* no pipe at all */
	CHECK_ERR(splice(p[0], NULL, p[1], NULL, 1, 0), EINVAL); /* one pipe */
	CHECK_ERR(splice(p[0], NULL, app, NULL, 1, 0), EINVAL);	 /* O_APPEND */
	CHECK_ERR(splice(dir, NULL, q[1], NULL, 1, 0), EINVAL);
	CHECK_ERR(splice(p[0], (loff_t[]){0}, fd, NULL, 1, 0), ESPIPE);
	CHECK_ERR(splice(fd, NULL, p[1], (loff_t[]){0}, 1, 0), ESPIPE);
	CHECK_ERR(splice(p[0], NULL, q[1], (loff_t[]){0}, 1, 0), ESPIPE);
	CHECK_ERR(splice(p[0], NULL, fd, (loff_t[]){-1}, 1, 0), EINVAL);
	CHECK_ERR(splice(p[0], NULL, fd, (loff_t *)8, 1, 0), EFAULT);
	CHECK_ERR(tee(p[0], fd, 1, 0), EINVAL);
	CHECK_ERR(tee(fd, p[1], 1, 0), EINVAL);
	CHECK_ERR(tee(p[0], p[1], 1, 0), EINVAL);
	CHECK_ERR(tee(p[0], q[1], 1, 0x10), EINVAL);
	CHECK_ERR(tee(999, q[1], 1, 0), EBADF);
	CHECK_ERR(tee(p[1], q[1], 1, 0), EBADF);
	CHECK_EQ(tee(999, 999, 0, 0), 0);
	CHECK_STR(read_all(p[0], 10), "abc"); /* nothing was consumed */
	close(fd);
	close(ro);
	close(app);
	close(wo);
	close(dir);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static void no_reader_is_epipe_and_sigpipe(void)
{
	int fd = make_file("s", "data"), p[2], q[2];
	sigset_t set, oldset;
	struct timespec zero = {0, 0};
	siginfo_t si;

	/* Block SIGPIPE so it stays pending where we can see it. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, &oldset);
	CHECK_OK(pipe(p));
	CHECK_OK(pipe(q));
	CHECK_EQ(write(q[1], "q", 1), 1);
	close(p[0]);
	CHECK_ERR(splice(fd, NULL, p[1], NULL, 4, 0), EPIPE);
	CHECK_EQ(sigtimedwait(&set, &si, &zero), SIGPIPE);
	CHECK_ERR(splice(q[0], NULL, p[1], NULL, 1, 0), EPIPE);
	CHECK_EQ(sigtimedwait(&set, &si, &zero), SIGPIPE);
	struct iovec iov = {"x", 1};
	CHECK_ERR(vmsplice(p[1], &iov, 1, 0), EPIPE);
	CHECK_EQ(sigtimedwait(&set, &si, &zero), SIGPIPE);
	sigprocmask(SIG_SETMASK, &oldset, NULL);
	close(fd);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static void write_later(int wfd)
{
	pid_t pid = fork();

	if (pid == 0) {
		usleep(50000);
		if (write(wfd, "late", 4) != 4)
			_exit(1);
		_exit(0);
	}
}

static void splice_waits_for_the_pipe(void)
{
	int fd = make_file("w", ""), p[2], q[2];
	char buf[8] = {0};

	CHECK_OK(pipe(p));
	CHECK_OK(pipe(q));
	write_later(p[1]);
	CHECK_EQ(splice(p[0], NULL, fd, NULL, 100, 0), 4);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	CHECK_STR(buf, "late");
	write_later(p[1]);
	CHECK_EQ(tee(p[0], q[1], 100, 0), 4);
	CHECK_EQ(splice(p[0], NULL, q[1], NULL, 100, 0), 4);
	CHECK_STR(read_all(q[0], 100), "latelate");
	while (wait(NULL) > 0)
		;
	close(fd);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static void vmsplice_both_ways(void)
{
	int p[2], fd = make_file("v", "");
	char a[] = "vm", b[] = "splice", out1[4] = {0}, out2[8] = {0};
	struct iovec in[2] = {{a, 2}, {b, 6}};
	struct iovec outv[2] = {{out1, 3}, {out2, 7}};
	static char fill[65536];

	CHECK_OK(pipe(p));
	CHECK_EQ(vmsplice(p[1], in, 2, SPLICE_F_GIFT), 8);
	CHECK_EQ(vmsplice(p[0], outv, 2, 0), 8);
	CHECK_STR(out1, "vms");
	CHECK_STR(out2, "plice");
	CHECK_ERR(vmsplice(p[0], outv, 2, SPLICE_F_NONBLOCK), EAGAIN);
	CHECK_EQ(vmsplice(p[1], in, 0, 0), 0);
	CHECK_ERR(vmsplice(p[1], in, 2, 0x10), EINVAL);
	CHECK_ERR(vmsplice(999, in, 2, 0), EBADF);
	CHECK_ERR(vmsplice(fd, in, 2, 0), EBADF);
	CHECK_ERR(vmsplice(p[1], in, 1025, 0), EINVAL);
	CHECK_ERR(vmsplice(p[1], (struct iovec *)8, 1, 0), EFAULT);
	/* A full pipe: EAGAIN with SPLICE_F_NONBLOCK; a partial fill otherwise. */
	struct iovec big = {fill, sizeof(fill)};
	CHECK_EQ(write(p[1], "12", 2), 2);
	CHECK(vmsplice(p[1], &big, 1, 0) > 0); /* Linux counts in pages here: no exact size */
	CHECK_ERR(vmsplice(p[1], in, 2, SPLICE_F_NONBLOCK), EAGAIN);
	close(p[1]);
	CHECK_EQ(vmsplice(p[0], outv, 2, 0), 10);
	close(p[0]);
	close(fd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(file_to_pipe_with_and_without_offset);
	RUN(file_to_pipe_stops_at_pipe_capacity);
	RUN(pipe_to_file_with_and_without_offset);
	RUN(pipe_to_pipe_moves_and_tee_copies);
	RUN(pipe_and_socket);
	RUN(errors);
	RUN(no_reader_is_epipe_and_sigpipe);
	RUN(splice_waits_for_the_pipe);
	RUN(vmsplice_both_ways);
	return h_end();
}
