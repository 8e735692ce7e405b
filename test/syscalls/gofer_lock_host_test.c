/* POSIX record locks on a read-write gofer bind mount are shared with the host: a host
 * process's fcntl lock (host/lock_holder.py, started by with_host_files.sh) is seen by
 * F_GETLK and refused by F_SETLK in the sandbox, and waited for by F_SETLKW; a lock the
 * sandbox takes is seen by the host process until the sandbox drops it. Natively the
 * holder is just another process. */
#include "harness.h"

#include <signal.h>

static const char *g_rw;
static pid_t g_holder; /* what F_GETLK reports: the holder's pid, 0 in the sandbox */

static const char *in(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ & 3];

	snprintf(b, PATH_MAX, "%s/%s", g_rw, name);
	return b;
}

static int set_lock(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};

	return fcntl(fd, cmd, &fl);
}

static void touch(const char *name)
{
	close(CHECK_OK(open(in(name), O_WRONLY | O_CREAT, 0644)));
}

/* The host's answer to touch(go): "type start len pid setlk-errno". */
static void read_answer(const char *name, char *buf, size_t size)
{
	ssize_t n = -1;
	int fd = -1;

	for (int i = 0; i < 2000 && fd < 0; i++) {
		fd = open(in(name), O_RDONLY);
		if (fd < 0)
			usleep(10000);
	}
	CHECK(fd >= 0);
	if (fd >= 0)
		n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

static void getlk_sees_host_lock(void)
{
	int fd = CHECK_OK(open(in("a"), O_RDWR));
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	CHECK_OK(fcntl(fd, F_GETLK, &fl));
	CHECK_EQ(fl.l_type, F_WRLCK);
	CHECK_EQ(fl.l_whence, SEEK_SET);
	CHECK_EQ(fl.l_start, 100);
	CHECK_EQ(fl.l_len, 100);
	CHECK_EQ(fl.l_pid, g_holder);
	fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100};
	CHECK_OK(fcntl(fd, F_GETLK, &fl)); /* bytes 0..99: free */
	CHECK_EQ(fl.l_type, F_UNLCK);
	close(fd);
}

static void setlk_refused_by_host_lock(void)
{
	int fd = CHECK_OK(open(in("a"), O_RDWR));

	CHECK_ERR(set_lock(fd, F_SETLK, F_WRLCK, 150, 10), EAGAIN);
	CHECK_ERR(set_lock(fd, F_SETLK, F_RDLCK, 199, 0), EAGAIN);
	CHECK_ERR(set_lock(fd, F_OFD_SETLK, F_WRLCK, 0, 0), EAGAIN);
	CHECK_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 100)); /* next to it: fine */
	CHECK_OK(set_lock(fd, F_SETLK, F_RDLCK, 200, 50));
	CHECK_OK(set_lock(fd, F_SETLK, F_UNLCK, 0, 0));
	close(fd);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void setlkw_interrupted(void)
{
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
	int fd = CHECK_OK(open(in("a"), O_RDWR));

	CHECK_OK(sigaction(SIGALRM, &sa, NULL));
	alarm(1);
	CHECK_ERR(set_lock(fd, F_SETLKW, F_WRLCK, 120, 1), EINTR);
	alarm(0);
	close(fd);
}

static void host_sees_sandbox_lock(void)
{
	int fd = CHECK_OK(open(in("c"), O_RDWR));
	char want[64], got[64];

	CHECK_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 50));
	touch("go");
	read_answer("answer", got, sizeof(got));
	/* Natively the host sees this process; the sandbox is one OFD lock owner (pid -1). */
	snprintf(want, sizeof(want), "%d 0 50 %d %d\n", F_WRLCK, g_holder ? getpid() : -1, EAGAIN);
	CHECK_STR(got, want);
	/* Drop part of it and make the rest a read lock: the host sees what is left. */
	CHECK_OK(set_lock(fd, F_SETLK, F_UNLCK, 0, 25));
	CHECK_OK(set_lock(fd, F_SETLK, F_RDLCK, 25, 25));
	touch("go2");
	read_answer("answer2", got, sizeof(got));
	snprintf(want, sizeof(want), "%d 25 25 %d %d\n", F_RDLCK, g_holder ? getpid() : -1, EAGAIN);
	CHECK_STR(got, want);
	close(fd); /* drops the process's locks on the file, on the host too */
	touch("go3");
	read_answer("answer3", got, sizeof(got));
	snprintf(want, sizeof(want), "%d 0 100 0 0\n", F_UNLCK);
	CHECK_STR(got, want);
}

static void setlkw_waits_for_host(void)
{
	int fd = CHECK_OK(open(in("a"), O_RDWR));
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	touch("release"); /* the holder lets go a moment later */
	CHECK_OK(set_lock(fd, F_SETLKW, F_WRLCK, 100, 100));
	CHECK_OK(fcntl(fd, F_OFD_GETLK, &fl)); /* ours now; nobody else's */
	CHECK_EQ(fl.l_type, F_WRLCK);
	CHECK_EQ(fl.l_pid, getpid());
	close(fd);
}

int main(void)
{
	const char *pid = getenv("H_LOCK_PID");

	h_begin();
	g_rw = getenv("H_RW_DIR");
	if (!g_rw || !pid || !*pid) {
		fprintf(stderr, "gofer_lock_host_test: no $H_RW_DIR/$H_LOCK_PID: run it "
				"through test/syscalls/with_host_files.sh (CTest does)\n");
		return 2;
	}
	g_holder = atoi(pid);
	RUN(getlk_sees_host_lock);
	RUN(setlk_refused_by_host_lock);
	RUN(setlkw_interrupted);
	RUN(host_sees_sandbox_lock);
	RUN(setlkw_waits_for_host);
	return h_end();
}
