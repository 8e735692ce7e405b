/* Named pipes (mkfifo): one pipe per FIFO inode shared by every opener, the blocking and
 * non-blocking open rules, EOF, EPIPE/SIGPIPE, poll and epoll readiness, fstat, and a
 * signal interrupting or restarting a blocked open. */
#include "harness.h"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

static const char *g_fifo;

static short poll1(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static void nonblocking_reader_opens_at_once(void)
{
	int r = CHECK_OK(open(g_fifo, O_RDONLY | O_NONBLOCK));
	char buf[8];
	int w;

	CHECK_EQ(read(r, buf, sizeof(buf)), 0); /* no writer: EOF, not EAGAIN */
	CHECK_EQ(poll1(r, POLLIN), 0);		/* but no hang-up before a writer came */
	w = CHECK_OK(open(g_fifo, O_WRONLY | O_NONBLOCK));
	CHECK_EQ(poll1(w, POLLOUT), POLLOUT);
	CHECK_ERR(read(r, buf, sizeof(buf)), EAGAIN);
	CHECK_EQ(write(w, "abc", 3), 3);
	CHECK_EQ(poll1(r, POLLIN), POLLIN);
	CHECK_EQ(read(r, buf, sizeof(buf)), 3);
	CHECK_MEM(buf, "abc", 3);
	close(w);
	CHECK_EQ(poll1(r, POLLIN), POLLHUP);
	CHECK_EQ(read(r, buf, sizeof(buf)), 0);
	close(r);
}

static void nonblocking_writer_without_reader_is_enxio(void)
{
	int fd;

	CHECK_ERR(open(g_fifo, O_WRONLY | O_NONBLOCK), ENXIO);
	fd = CHECK_OK(open(g_fifo, O_RDWR | O_NONBLOCK)); /* O_RDWR never waits */
	close(fd);
	CHECK_ERR(open(g_fifo, O_WRONLY | O_NONBLOCK), ENXIO);
}

/* Every open of the inode, through any name, reaches the same pipe. */
static void opens_share_one_pipe(void)
{
	int a = CHECK_OK(open(g_fifo, O_RDWR));
	int b, c, n = -1;
	char buf[16];

	CHECK_OK(link(g_fifo, h_path("fifo2")));
	b = CHECK_OK(open(h_path("fifo2"), O_RDONLY));
	c = CHECK_OK(open(g_fifo, O_WRONLY));
	CHECK_EQ(write(c, "xyz", 3), 3);
	CHECK_EQ(write(a, "12", 2), 2);
	CHECK_OK(ioctl(b, FIONREAD, &n));
	CHECK_EQ(n, 5);
	CHECK_EQ(fcntl(b, F_GETPIPE_SZ), 65536);
	CHECK_EQ(read(b, buf, sizeof(buf)), 5);
	CHECK_MEM(buf, "xyz12", 5);
	CHECK_ERR(lseek(b, 0, SEEK_SET), ESPIPE);
	close(a);
	close(b);
	close(c);
	/* When the last opener is gone, what was buffered goes too. */
	a = CHECK_OK(open(g_fifo, O_RDWR));
	CHECK_EQ(write(a, "left", 4), 4);
	close(a);
	a = CHECK_OK(open(g_fifo, O_RDWR | O_NONBLOCK));
	CHECK_ERR(read(a, buf, sizeof(buf)), EAGAIN);
	close(a);
	CHECK_OK(unlink(h_path("fifo2")));
}

static void writer_child(void)
{
	int w = open(g_fifo, O_WRONLY); /* waits for the parent's reader */

	if (w < 0 || write(w, "hello", 5) != 5)
		_exit(1);
	_exit(0);
}

static void blocking_opens_meet(void)
{
	char buf[16];
	pid_t pid;
	int r, st;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		writer_child();
	r = CHECK_OK(open(g_fifo, O_RDONLY)); /* waits for the child's writer */
	CHECK_EQ(read(r, buf, 5), 5);	      /* may wait for the write */
	CHECK_MEM(buf, "hello", 5);
	CHECK_EQ(read(r, buf, sizeof(buf)), 0); /* EOF once the child has exited */
	st = h_wait(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(r);
}

static void reader_child(void)
{
	char buf[8];
	int r = open(g_fifo, O_RDONLY);

	if (r < 0 || read(r, buf, 4) != 4 || memcmp(buf, "ping", 4) != 0)
		_exit(1);
	_exit(0);
}

static void blocking_writer_waits_for_reader(void)
{
	pid_t pid;
	int w, st;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		reader_child();
	w = CHECK_OK(open(g_fifo, O_WRONLY));
	CHECK_EQ(write(w, "ping", 4), 4);
	st = h_wait(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(w);
}

static int g_sigpipes;

static void on_sigpipe(int sig)
{
	g_sigpipes++;
}

static void no_reader_is_epipe_and_sigpipe(void)
{
	struct sigaction sa = {.sa_handler = on_sigpipe}, old;
	int rw = CHECK_OK(open(g_fifo, O_RDWR));
	int w = CHECK_OK(open(g_fifo, O_WRONLY | O_NONBLOCK));

	CHECK_OK(sigaction(SIGPIPE, &sa, &old));
	close(rw);
	CHECK_EQ(poll1(w, POLLOUT), POLLOUT | POLLERR);
	g_sigpipes = 0;
	CHECK_ERR(write(w, "x", 1), EPIPE);
	CHECK_EQ(g_sigpipes, 1);
	close(w);
	sigaction(SIGPIPE, &old, NULL);
}

static void epoll_readiness(void)
{
	int r = CHECK_OK(open(g_fifo, O_RDONLY | O_NONBLOCK));
	int w = CHECK_OK(open(g_fifo, O_WRONLY));
	int ep = CHECK_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = r}, out;

	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, r, &ev));
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0);
	CHECK_EQ(write(w, "e", 1), 1);
	CHECK_EQ(epoll_wait(ep, &out, 1, 1000), 1);
	CHECK_EQ(out.events, EPOLLIN);
	CHECK_EQ(out.data.fd, r);
	close(w);
	CHECK_EQ(epoll_wait(ep, &out, 1, 1000), 1);
	CHECK_EQ(out.events, EPOLLIN | EPOLLHUP);
	close(ep);
	close(r);
}

static void fstat_shows_the_inode(void)
{
	int fd = CHECK_OK(open(g_fifo, O_RDWR));
	struct stat a, b;

	CHECK_OK(fchmod(fd, 0604));
	CHECK_OK(fstat(fd, &a));
	CHECK_OK(stat(g_fifo, &b));
	CHECK(S_ISFIFO(a.st_mode));
	CHECK_EQ(a.st_mode, S_IFIFO | 0604);
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
	CHECK_EQ(a.st_nlink, 1);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	CHECK_OK(fchmod(fd, 0600));
	close(fd);
}

/* Writes move the FIFO's mtime and ctime, reads its atime, as a file's. */
static void io_updates_inode_times(void)
{
	struct timespec old[2] = {{100, 0}, {100, 0}};
	int fd = CHECK_OK(open(g_fifo, O_RDWR));
	struct stat st;
	char c;

	CHECK_OK(futimens(fd, old));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mtim.tv_sec, 100);
	CHECK_EQ(write(fd, "t", 1), 1);
	CHECK_OK(fstat(fd, &st));
	CHECK(st.st_mtim.tv_sec > 100);
	CHECK(st.st_ctim.tv_sec > 100);
	CHECK_EQ(st.st_atim.tv_sec, 100);
	CHECK_EQ(read(fd, &c, 1), 1);
	CHECK_OK(stat(g_fifo, &st));
	CHECK(st.st_atim.tv_sec > 100);
	close(fd);
}

static int g_alarm_fd = -1;

static void on_alarm_open_writer(int sig)
{
	g_alarm_fd = open(g_fifo, O_RDWR | O_NONBLOCK);
}

static void on_alarm(int sig)
{
}

/* Without SA_RESTART a signal ends a waiting open with EINTR; with it the open starts over
 * and finds the writer the handler opened. */
static void interrupted_child(void)
{
	struct sigaction sa = {.sa_handler = on_alarm};

	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	CHECK_ERR(open(g_fifo, O_RDONLY), EINTR);
	alarm(1);
	CHECK_ERR(open(g_fifo, O_WRONLY), EINTR);
	sa.sa_handler = on_alarm_open_writer;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	CHECK_OK(open(g_fifo, O_RDONLY));
	CHECK(g_alarm_fd >= 0);
	_exit(g_case_fails ? 1 : 0);
}

static void signal_interrupts_blocked_open(void)
{
	int st = h_in_child(interrupted_child);

	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static void mkfifo_errors(void)
{
	struct stat st;

	CHECK_ERR(mkfifo(g_fifo, 0600), EEXIST);
	CHECK_ERR(mkfifo(h_path("nope/f"), 0600), ENOENT);
	CHECK_OK(mkfifo(h_path("f2"), 0640));
	CHECK_OK(stat(h_path("f2"), &st));
	CHECK_EQ(st.st_mode, S_IFIFO | 0640);
	CHECK_ERR(open(h_path("f2"), O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERR(truncate(h_path("f2"), 0), EINVAL);
	CHECK_OK(rename(h_path("f2"), h_path("f3")));
	CHECK_OK(unlink(h_path("f3")));
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	umask(022);
	g_fifo = strdup(h_path("fifo"));
	CHECK_OK(mkfifo(g_fifo, 0600));
	RUN(nonblocking_reader_opens_at_once);
	RUN(nonblocking_writer_without_reader_is_enxio);
	RUN(opens_share_one_pipe);
	RUN(blocking_opens_meet);
	RUN(blocking_writer_waits_for_reader);
	RUN(no_reader_is_epipe_and_sigpipe);
	RUN(epoll_readiness);
	RUN(fstat_shows_the_inode);
	RUN(io_updates_inode_times);
	RUN(signal_interrupts_blocked_open);
	RUN(mkfifo_errors);
	return h_end();
}
