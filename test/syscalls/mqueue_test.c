/* POSIX message queues: mq_open, mq_unlink, mq_timedsend/receive, mq_notify,
 * mq_getsetattr and the mqueue filesystem, as Linux does them. */
#include "harness.h"

#include <grp.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statfs.h>

#define MQUEUE_MAGIC 0x19800202

static char g_mqdir[PATH_MAX];
static bool g_mounted;

/* A queue name unique to this run (the native run shares the host's namespace), in one
 * of 8 rotating buffers. */
static const char *qname(const char *tag)
{
	static char bufs[8][64];
	static int next;
	char *b = bufs[next++ & 7];

	snprintf(b, sizeof(bufs[0]), "/runsc-mq-%d-%s", getpid(), tag);
	return b;
}

static mqd_t create(const char *name, long maxmsg, long msgsize)
{
	struct mq_attr attr = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};

	return mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, maxmsg ? &attr : NULL);
}

/* Wait until pid sleeps in the kernel (state S), after it said it is about to. */
static int wait_sleeping(pid_t pid)
{
	char path[64], line[256];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 5000; i++) {
		FILE *f = fopen(path, "r");
		char *p = f && fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
		if (f)
			fclose(f);
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		usleep(1000);
	}
	return -1;
}

static void open_create_unlink(void)
{
	const char *name = qname("basic");
	struct mq_attr attr;
	mqd_t q, q2;

	CHECK_ERR(mq_open(name, O_RDWR), ENOENT);
	q = CHECK_OK(create(name, 0, 0));
	CHECK_OK(mq_getattr(q, &attr));
	CHECK_EQ(attr.mq_maxmsg, 10);
	CHECK_EQ(attr.mq_msgsize, 8192);
	CHECK_EQ(attr.mq_curmsgs, 0);
	CHECK_EQ(attr.mq_flags, 0);
	CHECK_EQ(fcntl(q, F_GETFD), FD_CLOEXEC); /* always close-on-exec */
	CHECK_ERR(create(name, 0, 0), EEXIST);
	q2 = CHECK_OK(mq_open(name, O_CREAT | O_WRONLY | O_NONBLOCK, 0600, NULL));
	CHECK_OK(mq_getattr(q2, &attr));
	CHECK_EQ(attr.mq_flags, O_NONBLOCK);
	CHECK_OK(mq_close(q2));
	CHECK_ERR(mq_open(name, O_RDWR | O_WRONLY), EINVAL);
	CHECK_OK(mq_unlink(name));
	CHECK_ERR(mq_unlink(name), ENOENT);
	CHECK_ERR(mq_open(name, O_RDWR), ENOENT);
	/* The open descriptor keeps the unlinked queue alive. */
	CHECK_OK(mq_send(q, "x", 1, 0));
	CHECK_OK(mq_getattr(q, &attr));
	CHECK_EQ(attr.mq_curmsgs, 1);
	CHECK_OK(mq_close(q));
	/* Names as the kernel takes them (glibc strips the leading '/'). */
	char longname[300];
	memset(longname, 'n', 299);
	longname[299] = '\0';
	CHECK_ERR(syscall(SYS_mq_open, "a/b", O_CREAT | O_RDWR, 0600, NULL), EACCES);
	CHECK_ERR(syscall(SYS_mq_open, "", O_CREAT | O_RDWR, 0600, NULL), ENOENT);
	CHECK_ERR(syscall(SYS_mq_open, "..", O_CREAT | O_RDWR, 0600, NULL), EACCES);
	CHECK_ERR(syscall(SYS_mq_open, longname, O_CREAT | O_RDWR, 0600, NULL), ENAMETOOLONG);
	CHECK_ERR(syscall(SYS_mq_open, (char *)8, O_RDWR, 0, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_mq_unlink, "a/b"), EACCES);
}

static void attributes(void)
{
	const char *name = qname("attr");
	struct mq_attr attr, nattr;
	mqd_t q;

	CHECK_ERR(create(name, -1, 64), EINVAL);
	CHECK_ERR(create(name, 4, -1), EINVAL);
	CHECK_ERR(create(name, 100000, 64), EINVAL);
	CHECK_ERR(create(name, 4, 32 << 20), EINVAL);
	attr.mq_maxmsg = 0;
	attr.mq_msgsize = 64;
	CHECK_ERR(mq_open(name, O_CREAT | O_RDWR, 0600, &attr), EINVAL);
	CHECK_ERR(syscall(SYS_mq_open, name + 1, O_CREAT | O_RDWR, 0600, (void *)8), EFAULT);
	/* The limits behind the defaults, as /proc/sys/fs/mqueue shows them. */
	static const char *const sysctl[][2] = {
		{"msg_max", "10\n"}, {"msgsize_max", "8192\n"}, {"queues_max", "256\n"},
		{"msg_default", "10\n"}, {"msgsize_default", "8192\n"}};
	for (size_t i = 0; i < sizeof(sysctl) / sizeof(sysctl[0]); i++) {
		char path[96], val[32] = "";
		snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", sysctl[i][0]);
		FILE *f = fopen(path, "r");
		CHECK(f && fgets(val, sizeof(val), f));
		CHECK_STR(val, sysctl[i][1]);
		if (f)
			fclose(f);
	}
	q = CHECK_OK(create(name, 5, 64));
	CHECK_OK(mq_getattr(q, &attr));
	CHECK_EQ(attr.mq_maxmsg, 5);
	CHECK_EQ(attr.mq_msgsize, 64);
	/* mq_setattr changes O_NONBLOCK only and reports the old attributes. */
	nattr = attr;
	nattr.mq_flags = O_NONBLOCK;
	nattr.mq_maxmsg = 99;
	CHECK_OK(mq_setattr(q, &nattr, &attr));
	CHECK_EQ(attr.mq_flags, 0);
	CHECK_OK(mq_getattr(q, &attr));
	CHECK_EQ(attr.mq_flags, O_NONBLOCK);
	CHECK_EQ(attr.mq_maxmsg, 5);
	nattr.mq_flags = O_NONBLOCK | O_APPEND;
	CHECK_ERR(mq_setattr(q, &nattr, NULL), EINVAL);
	CHECK_ERR(mq_getattr(-1, &attr), EBADF);
	CHECK_ERR(mq_getattr(0 + 999, &attr), EBADF);
	int fds[2];
	CHECK_OK(pipe(fds));
	CHECK_ERR(mq_getattr(fds[0], &attr), EBADF);
	CHECK_ERR(mq_send(fds[1], "x", 1, 0), EBADF);
	close(fds[0]);
	close(fds[1]);
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(name));
}

static void priorities_and_sizes(void)
{
	const char *name = qname("prio");
	mqd_t q = CHECK_OK(create(name, 8, 16));
	char buf[64];
	unsigned prio;

	CHECK_OK(mq_send(q, "a", 1, 1));
	CHECK_OK(mq_send(q, "bb", 2, 5));
	CHECK_OK(mq_send(q, "ccc", 3, 1));
	CHECK_OK(mq_send(q, "dddd", 4, 5));
	CHECK_OK(mq_send(q, "", 0, 0));
	CHECK_ERR(mq_send(q, buf, 17, 0), EMSGSIZE);
	CHECK_ERR(mq_send(q, "x", 1, 32768), EINVAL);
	CHECK_ERR(mq_send(q, (char *)8, 4, 0), EFAULT);
	CHECK_ERR(mq_receive(q, buf, 15, NULL), EMSGSIZE);
	CHECK_EQ(mq_receive(q, buf, sizeof(buf), &prio), 2);
	CHECK_EQ(prio, 5);
	CHECK_MEM(buf, "bb", 2);
	CHECK_EQ(mq_receive(q, buf, sizeof(buf), &prio), 4);
	CHECK_EQ(prio, 5);
	CHECK_EQ(mq_receive(q, buf, sizeof(buf), &prio), 1);
	CHECK_EQ(prio, 1);
	CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 3);
	CHECK_MEM(buf, "ccc", 3);
	CHECK_EQ(mq_receive(q, buf, sizeof(buf), &prio), 0);
	CHECK_EQ(prio, 0);
	CHECK_OK(mq_send(q, "y", 1, 32767));
	CHECK_ERR(mq_receive(q, (char *)8, sizeof(buf), &prio), EFAULT);
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(name));
}

static void nonblock_timeouts_and_modes(void)
{
	const char *name = qname("nb");
	mqd_t q = CHECK_OK(create(name, 2, 8)), ro, wo;
	struct timespec ts, bad = {0, 1000000000};
	char buf[8];

	ts = h_deadline_ms(CLOCK_REALTIME, 30);
	CHECK_ERR(mq_timedreceive(q, buf, sizeof(buf), NULL, &ts), ETIMEDOUT);
	CHECK_ERR(mq_timedreceive(q, buf, sizeof(buf), NULL, &bad), EINVAL);
	CHECK_ERR(mq_timedreceive(q, buf, sizeof(buf), NULL, (struct timespec *)8), EFAULT);
	CHECK_OK(mq_send(q, "1", 1, 0));
	CHECK_OK(mq_send(q, "2", 1, 0));
	ts = h_deadline_ms(CLOCK_REALTIME, 30);
	CHECK_ERR(mq_timedsend(q, "3", 1, 0, &ts), ETIMEDOUT);
	/* A timeout in the past still fails at once only when it would wait. */
	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	CHECK_ERR(mq_timedsend(q, "3", 1, 0, &ts), ETIMEDOUT);
	CHECK_EQ(mq_timedreceive(q, buf, sizeof(buf), NULL, &ts), 1);

	ro = CHECK_OK(mq_open(name, O_RDONLY | O_NONBLOCK));
	wo = CHECK_OK(mq_open(name, O_WRONLY | O_NONBLOCK));
	CHECK_ERR(mq_send(ro, "x", 1, 0), EBADF);
	CHECK_ERR(mq_receive(wo, buf, sizeof(buf), NULL), EBADF);
	CHECK_OK(mq_send(wo, "x", 1, 0));
	CHECK_ERR(mq_send(wo, "x", 1, 0), EAGAIN);
	CHECK_EQ(mq_receive(ro, buf, sizeof(buf), NULL), 1);
	CHECK_EQ(mq_receive(ro, buf, sizeof(buf), NULL), 1);
	CHECK_ERR(mq_receive(ro, buf, sizeof(buf), NULL), EAGAIN);
	CHECK_OK(mq_close(ro));
	CHECK_OK(mq_close(wo));
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(name));
}

static void on_usr1(int sig)
{
}

static void blocking_across_processes(void)
{
	const char *name = qname("block");
	mqd_t q = CHECK_OK(create(name, 1, 8));
	char buf[8];
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		unsigned prio;
		ssize_t n = mq_receive(q, buf, sizeof(buf), &prio);
		_exit(n == 3 && prio == 7 && !memcmp(buf, "hey", 3) ? 0 : 1);
	}
	CHECK_OK(wait_sleeping(pid));
	CHECK_OK(mq_send(q, "hey", 3, 7));
	CHECK_EQ(h_wait(pid), 0);

	/* A sender waits for room. */
	CHECK_OK(mq_send(q, "one", 3, 0));
	pid = fork();
	if (pid == 0)
		_exit(mq_send(q, "two", 3, 0) ? 1 : 0);
	CHECK_OK(wait_sleeping(pid));
	CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 3);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(mq_receive(q, buf, sizeof(buf), NULL), 3);
	CHECK_MEM(buf, "two", 3);

	/* A handled signal interrupts (no SA_RESTART). */
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = on_usr1};
		sigaction(SIGUSR1, &sa, NULL);
		_exit(mq_receive(q, buf, sizeof(buf), NULL) == -1 && errno == EINTR ? 0 : 1);
	}
	CHECK_OK(wait_sleeping(pid));
	kill(pid, SIGUSR1);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(name));
}

static void notify_signal(void)
{
	const char *name = qname("notify");
	mqd_t q = CHECK_OK(create(name, 4, 8));
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};
	struct timespec zero = {0, 0};
	sigset_t set;
	siginfo_t si;
	char buf[8];
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ev.sigev_value.sival_int = 4242;
	CHECK_OK(mq_notify(q, &ev));
	CHECK_ERR(mq_notify(q, &ev), EBUSY);
	pid = fork();
	if (pid == 0)
		_exit(mq_notify(q, &ev) == -1 && errno == EBUSY ? 0 : 1);
	CHECK_EQ(h_wait(pid), 0);
	/* Another process sends: we are told who. */
	pid = fork();
	if (pid == 0)
		_exit(mq_send(q, "m", 1, 0) ? 1 : 0);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(sigtimedwait(&set, &si, &(struct timespec){5, 0}), SIGUSR2);
	CHECK_EQ(si.si_code, SI_MESGQ);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_uid, getuid());
	CHECK_EQ(si.si_value.sival_int, 4242);
	/* One shot: the registration is gone. */
	CHECK_OK(mq_send(q, "n", 1, 0));
	CHECK_OK(mq_receive(q, buf, sizeof(buf), NULL));
	CHECK_OK(mq_receive(q, buf, sizeof(buf), NULL));
	CHECK_OK(mq_send(q, "o", 1, 0));
	CHECK_ERR(sigtimedwait(&set, &si, &zero), EAGAIN);
	/* Only an empty queue becoming non-empty notifies. */
	CHECK_OK(mq_notify(q, &ev));
	CHECK_OK(mq_send(q, "p", 1, 0));
	CHECK_ERR(sigtimedwait(&set, &si, &zero), EAGAIN);
	/* Unregistering: only the owner's NULL counts. */
	CHECK_OK(mq_notify(q, NULL));
	CHECK_OK(mq_notify(q, &ev));
	CHECK_OK(mq_notify(q, NULL));
	/* Any close of a descriptor of the queue by the owner unregisters, as does its exit
	 * (another process's close does not). */
	CHECK_OK(mq_notify(q, &ev));
	pid = fork();
	if (pid == 0)
		_exit(close(q) == 0 && mq_notify(q, &ev) == -1 && errno == EBADF ? 0 : 1);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_ERR(mq_notify(q, &ev), EBUSY);
	int dupfd = CHECK_OK(dup(q));
	CHECK_OK(close(dupfd));
	CHECK_OK(mq_notify(q, &ev));
	CHECK_OK(mq_notify(q, NULL));
	pid = fork();
	if (pid == 0)
		_exit(mq_notify(q, &ev) ? 1 : 0);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(mq_notify(q, &ev));
	CHECK_OK(mq_notify(q, NULL));
	CHECK_ERR(mq_notify(q, &(struct sigevent){.sigev_notify = 99}), EINVAL);
	CHECK_ERR(mq_notify(q, &(struct sigevent){.sigev_notify = SIGEV_SIGNAL,
						   .sigev_signo = 65}), EINVAL);
	CHECK_ERR(syscall(SYS_mq_notify, q, (void *)8), EFAULT);
	CHECK_ERR(mq_notify(-1, NULL), EBADF);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(name));
}

/* /dev/mqueue, or (natively, where the host has none mounted) our own mount. */
static const char *mqdir(void)
{
	struct statfs st;

	if (statfs("/dev/mqueue", &st) == 0 && st.f_type == MQUEUE_MAGIC)
		return "/dev/mqueue";
	snprintf(g_mqdir, sizeof(g_mqdir), "%s", h_path("mq"));
	if (mkdir(g_mqdir, 0755) || mount("mqueue", g_mqdir, "mqueue", 0, NULL))
		return NULL;
	g_mounted = true;
	return g_mqdir;
}

static void mqueue_filesystem(void)
{
	const char *name = qname("fs"), *dir = mqdir();
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};
	char path[PATH_MAX + 16], want[128], buf[256];
	struct stat st;
	int fd, found = 0;
	mqd_t q;

	CHECK(dir != NULL);
	if (!dir)
		return;
	q = CHECK_OK(create(name, 4, 32));
	snprintf(path, sizeof(path), "%s%s", dir, name);
	CHECK_OK(stat(path, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0600);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK_OK(stat(dir, &st));
	CHECK_EQ(st.st_mode & 07777, 01777);
	CHECK_OK(mq_send(q, "hello", 5, 0));
	CHECK_OK(mq_send(q, "abc", 3, 0));
	CHECK_OK(mq_notify(q, &ev));
	fd = CHECK_OK(open(path, O_RDONLY));
	memset(buf, 0, sizeof(buf));
	CHECK(read(fd, buf, sizeof(buf) - 1) > 0);
	snprintf(want, sizeof(want), "QSIZE:%-10d NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n", 8, 1,
		 0, getpid());
	CHECK_STR(buf, want);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	/* The file opened by path is a descriptor of the queue too. */
	struct mq_attr attr;
	CHECK_OK(mq_getattr(fd, &attr));
	CHECK_EQ(attr.mq_curmsgs, 2);
	close(fd);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		found += !strcmp(de->d_name, name + 1);
	if (d)
		closedir(d);
	CHECK_EQ(found, 1);
	/* Creating a file there creates a queue with the default attributes. */
	snprintf(path, sizeof(path), "%s%s", dir, qname("byopen"));
	fd = CHECK_OK(open(path, O_CREAT | O_RDWR, 0640));
	CHECK_OK(mq_getattr(fd, &attr));
	CHECK_EQ(attr.mq_maxmsg, 10);
	close(fd);
	CHECK_OK(unlink(path));
	CHECK_ERR(mq_unlink(qname("byopen")), ENOENT);
	snprintf(path, sizeof(path), "%s/sub", dir);
	CHECK_ERR(mkdir(path, 0755), EPERM);
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(name));
}

static void poll_and_epoll(void)
{
	const char *name = qname("poll");
	mqd_t q = CHECK_OK(create(name, 1, 8));
	struct pollfd pfd = {.fd = q, .events = POLLIN | POLLOUT};
	struct epoll_event ev = {.events = EPOLLIN}, out;
	int ep = CHECK_OK(epoll_create1(0));
	pid_t pid;

	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents, POLLOUT);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, q, &ev));
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0);
	pid = fork();
	if (pid == 0) {
		usleep(20000);
		_exit(mq_send(q, "x", 1, 0) ? 1 : 0);
	}
	CHECK_EQ(epoll_wait(ep, &out, 1, 5000), 1);
	CHECK_EQ(out.events, EPOLLIN);
	CHECK_EQ(h_wait(pid), 0);
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents, POLLIN);
	close(ep);
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(name));
}

static void limits_and_permissions(void)
{
	const char *name = qname("perm");
	mqd_t q = CHECK_OK(create(name, 2, 8));
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit rl = {1000, 1000};
		if (setrlimit(RLIMIT_MSGQUEUE, &rl))
			_exit(10);
		/* 1 * (48 + 100) + 48 fits in 1000 bytes, 10 * (48 + 100) + 480 does not. */
		mqd_t small = create(qname("rl1"), 1, 100);
		if (small < 0)
			_exit(11);
		mq_close(small);
		mq_unlink(qname("rl1"));
		if (create(qname("rl2"), 10, 100) != -1 || errno != EMFILE)
			_exit(12);
		if (setgroups(0, NULL) || setgid(1234) || setuid(1234))
			_exit(13);
		if (mq_open(name, O_RDONLY) != -1 || errno != EACCES)
			_exit(14);
		/* The sticky directory says EPERM; glibc's mq_unlink turns it into EACCES. */
		if (syscall(SYS_mq_unlink, name + 1) != -1 || errno != EPERM)
			_exit(15);
		if (mq_unlink(name) != -1 || errno != EACCES)
			_exit(16);
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(name));
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(open_create_unlink);
	RUN(attributes);
	RUN(priorities_and_sizes);
	RUN(nonblock_timeouts_and_modes);
	RUN(blocking_across_processes);
	RUN(notify_signal);
	RUN(mqueue_filesystem);
	RUN(poll_and_epoll);
	RUN(limits_and_permissions);
	if (g_mounted)
		umount(g_mqdir);
	return h_end();
}
