/* inotify: the events programs rely on (create, modify, close_write, delete, moves with
 * a shared cookie, delete_self/ignored), oneshot, rm_watch, argument errors, poll. */
#include <poll.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

#include "harness.h"

#define EVBUF 4096

struct evlist {
	int n;
	uint32_t mask[32];
	int wd[32];
	uint32_t cookie[32];
	char name[32][64];
};

static struct evlist read_events(int fd)
{
	static char buf[EVBUF] __attribute__((aligned(8)));
	struct evlist l = {0};
	ssize_t n = read(fd, buf, sizeof(buf));

	for (ssize_t off = 0; n > 0 && off < n && l.n < 32;) {
		struct inotify_event *e = (struct inotify_event *)(buf + off);

		l.mask[l.n] = e->mask;
		l.wd[l.n] = e->wd;
		l.cookie[l.n] = e->cookie;
		snprintf(l.name[l.n], 64, "%s", e->len ? e->name : "");
		l.n++;
		off += (ssize_t)(sizeof(*e) + e->len);
	}
	return l;
}

static void inotify_create_modify_close_delete(void)
{
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK));
	int wd = CHECK_OK(inotify_add_watch(in, g_tmpdir,
					    IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE));
	struct evlist l;
	int fd;

	CHECK_EQ(wd, 1);
	fd = CHECK_OK(open(h_path("f"), O_CREAT | O_WRONLY, 0644));
	CHECK_EQ(write(fd, "a", 1), 1);
	CHECK_EQ(write(fd, "b", 1), 1); /* coalesces with the first modify */
	close(fd);
	CHECK_OK(unlink(h_path("f")));
	l = read_events(in);
	CHECK_EQ(l.n, 4);
	CHECK_EQ(l.mask[0], IN_CREATE);
	CHECK_STR(l.name[0], "f");
	CHECK_EQ(l.wd[0], wd);
	CHECK_EQ(l.mask[1], IN_MODIFY);
	CHECK_EQ(l.mask[2], IN_CLOSE_WRITE);
	CHECK_EQ(l.mask[3], IN_DELETE);
	CHECK_STR(l.name[3], "f");
	CHECK_ERR(read(in, &l, 4), EAGAIN);
	close(in);
}

static void inotify_mkdir_and_rename(void)
{
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
	struct evlist l;

	CHECK_EQ(fcntl(in, F_GETFD), FD_CLOEXEC);
	CHECK_OK(inotify_add_watch(in, g_tmpdir, IN_CREATE | IN_MOVE));
	CHECK_OK(mkdir(h_path("d"), 0755));
	CHECK_OK(rename(h_path("d"), h_path("e")));
	l = read_events(in);
	CHECK_EQ(l.n, 3);
	CHECK_EQ(l.mask[0], IN_CREATE | IN_ISDIR);
	CHECK_EQ(l.mask[1], IN_MOVED_FROM | IN_ISDIR);
	CHECK_STR(l.name[1], "d");
	CHECK_EQ(l.mask[2], IN_MOVED_TO | IN_ISDIR);
	CHECK_STR(l.name[2], "e");
	CHECK(l.cookie[1] != 0 && l.cookie[1] == l.cookie[2]);
	CHECK_OK(rmdir(h_path("e")));
	close(in);
}

static void inotify_file_watch_delete_self(void)
{
	const char *p = h_make_file("g", "x");
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK));
	int wd = CHECK_OK(inotify_add_watch(in, p, IN_DELETE_SELF | IN_MODIFY));
	struct evlist l;
	int fd = CHECK_OK(open(p, O_WRONLY | O_APPEND));

	CHECK_EQ(write(fd, "y", 1), 1);
	close(fd);
	CHECK_OK(unlink(p));
	l = read_events(in);
	CHECK_EQ(l.n, 3);
	CHECK_EQ(l.mask[0], IN_MODIFY);
	CHECK_STR(l.name[0], "");
	CHECK_EQ(l.mask[1], IN_DELETE_SELF);
	CHECK_EQ(l.mask[2], IN_IGNORED);
	CHECK_EQ(l.wd[2], wd);
	CHECK_ERR(inotify_rm_watch(in, wd), EINVAL); /* already gone */
	close(in);
}

static void inotify_oneshot_and_rm_watch(void)
{
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK));
	int wd = CHECK_OK(inotify_add_watch(in, g_tmpdir, IN_CREATE | IN_ONESHOT));
	struct evlist l;

	h_make_file("h1", "");
	h_make_file("h2", "");
	l = read_events(in);
	CHECK_EQ(l.n, 2);
	CHECK_EQ(l.mask[0], IN_CREATE);
	CHECK_EQ(l.mask[1], IN_IGNORED);
	wd = CHECK_OK(inotify_add_watch(in, g_tmpdir, IN_CREATE));
	CHECK_EQ(wd, 2); /* descriptors are not reused */
	CHECK_EQ(inotify_add_watch(in, g_tmpdir, IN_DELETE | IN_MASK_ADD), wd);
	CHECK_ERR(inotify_add_watch(in, g_tmpdir, IN_DELETE | IN_MASK_CREATE), EEXIST);
	CHECK_OK(inotify_rm_watch(in, wd));
	l = read_events(in);
	CHECK_EQ(l.n, 1);
	CHECK_EQ(l.mask[0], IN_IGNORED);
	close(in);
}

static void inotify_errors(void)
{
	int in = CHECK_OK(inotify_init());
	const char *p = h_make_file("i", "");
	char tiny[8];

	CHECK_ERR(inotify_init1(0x1), EINVAL);
	CHECK_ERR(inotify_add_watch(in, g_tmpdir, 0), EINVAL);
	CHECK_ERR(inotify_add_watch(in, g_tmpdir, IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE),
		  EINVAL);
	CHECK_ERR(inotify_add_watch(in, h_path("missing"), IN_CREATE), ENOENT);
	CHECK_ERR(inotify_add_watch(in, p, IN_CREATE | IN_ONLYDIR), ENOTDIR);
	CHECK_ERR(inotify_add_watch(0, p, IN_CREATE), EINVAL);
	CHECK_ERR(inotify_add_watch(999, p, IN_CREATE), EBADF);
	CHECK_ERR(inotify_rm_watch(in, 12345), EINVAL);
	CHECK_OK(inotify_add_watch(in, p, IN_ATTRIB));
	CHECK_OK(chmod(p, 0600));
	CHECK_ERR(read(in, tiny, sizeof(tiny)), EINVAL); /* too small for one event */
	close(in);
}

static void inotify_poll_and_fionread(void)
{
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK));
	struct pollfd pfd = {.fd = in, .events = POLLIN};
	int avail = -1;

	CHECK_OK(inotify_add_watch(in, g_tmpdir, IN_CREATE));
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	h_make_file("abc", "");
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_OK(ioctl(in, FIONREAD, &avail));
	CHECK_EQ(avail, (int)sizeof(struct inotify_event) + 16);
	close(in);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(inotify_create_modify_close_delete);
	RUN(inotify_mkdir_and_rename);
	RUN(inotify_file_watch_delete_self);
	RUN(inotify_oneshot_and_rm_watch);
	RUN(inotify_errors);
	RUN(inotify_poll_and_fionread);
	return h_end();
}
