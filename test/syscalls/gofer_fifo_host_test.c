/* FIFOs and socket files on gofer mounts: mknod/mkfifo on a read-write bind mount makes
 * them on the host; opening a FIFO the host has (bind mount or the overlay's lower layer)
 * gives a pipe shared by the sandbox's openers (in the Sentry: no host FIFO is opened). */
#include "harness.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

static const char *g_rw, *g_host;

static void mkfifo_on_bind_mount_reaches_host(void)
{
	struct stat st;

	umask(022);
	CHECK_OK(mkfifo(h_in(g_rw, "f1"), 0662));
	CHECK_OK(stat(h_in(g_rw, "f1"), &st));
	CHECK_EQ(st.st_mode, S_IFIFO | 0640);
	CHECK_EQ(st.st_uid, getuid());
	CHECK_OK(stat(h_in(g_host, "f1"), &st)); /* the host's view */
	CHECK_EQ(st.st_mode, S_IFIFO | 0640);
	umask(0);
	CHECK_OK(mknod(h_in(g_rw, "f2"), S_IFIFO | 0666, 0));
	CHECK_OK(stat(h_in(g_rw, "f2"), &st));
	CHECK_EQ(st.st_mode, S_IFIFO | 0666);
	umask(022);
	CHECK_ERR(mkfifo(h_in(g_rw, "f1"), 0600), EEXIST);
	CHECK_OK(unlink(h_in(g_rw, "f2")));
}

static void writer_child(void)
{
	int w = open(h_in(g_rw, "f1"), O_WRONLY);

	if (w < 0 || write(w, "over-9p", 7) != 7)
		_exit(1);
	_exit(0);
}

static void bind_mount_fifo_connects_processes(void)
{
	char buf[16];
	pid_t pid;
	int r;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		writer_child();
	r = CHECK_OK(open(h_in(g_rw, "f1"), O_RDONLY));
	CHECK_EQ(read(r, buf, 7), 7);
	CHECK_MEM(buf, "over-9p", 7);
	CHECK_EQ(read(r, buf, sizeof(buf)), 0);
	CHECK_EQ(h_wait(pid), 0);
	close(r);
}

/* The same host FIFO through the overlay's read-only lower layer: opening it never copies
 * it up, and the nonblocking rules hold. */
static void lower_layer_fifo_opens(void)
{
	const char *p = h_in(g_host, "f1");
	struct pollfd pf;
	char buf[8];
	int r, w;

	CHECK_ERR(open(p, O_WRONLY | O_NONBLOCK), ENXIO);
	r = CHECK_OK(open(p, O_RDONLY | O_NONBLOCK));
	w = CHECK_OK(open(p, O_WRONLY | O_NONBLOCK));
	CHECK_EQ(write(w, "low", 3), 3);
	pf = (struct pollfd){.fd = r, .events = POLLIN};
	CHECK_EQ(poll(&pf, 1, 0), 1);
	CHECK_EQ(read(r, buf, sizeof(buf)), 3);
	CHECK_MEM(buf, "low", 3);
	close(w);
	close(r);
	CHECK_OK(unlink(h_in(g_rw, "f1")));
}

static void socket_files_on_bind_mount(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	int c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	struct stat st;
	int a;

	CHECK_OK(mknod(h_in(g_rw, "sk"), S_IFSOCK | 0600, 0));
	CHECK_OK(lstat(h_in(g_rw, "sk"), &st));
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_OK(unlink(h_in(g_rw, "sk")));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", h_in(g_rw, "bound"));
	CHECK_OK(bind(s, (struct sockaddr *)&sa, sizeof(sa)));
	CHECK_OK(listen(s, 1));
	CHECK_OK(lstat(h_in(g_host, "bound"), &st));
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_OK(connect(c, (struct sockaddr *)&sa, sizeof(sa)));
	a = CHECK_OK(accept(s, NULL, NULL));
	CHECK_EQ(write(c, "s", 1), 1);
	CHECK_EQ(read(a, &st, 1), 1);
	close(a);
	close(c);
	close(s);
	CHECK_OK(unlink(h_in(g_rw, "bound")));
}

int main(void)
{
	h_begin();
	g_rw = getenv("H_RW_DIR");
	g_host = getenv("H_RW_HOST_VIEW");
	if (!g_rw || !g_host) {
		fprintf(stderr, "gofer_fifo_host_test: no $H_RW_DIR/$H_RW_HOST_VIEW: run it "
				"through test/syscalls/with_host_files.sh (CTest does)\n");
		return 2;
	}
	RUN(mkfifo_on_bind_mount_reaches_host);
	RUN(bind_mount_fifo_connects_processes);
	RUN(lower_layer_fifo_opens);
	RUN(socket_files_on_bind_mount);
	return h_end();
}
