/* System V message queues: msgget, msgsnd, msgrcv, msgctl as Linux does them. */
#include "harness.h"

#include <grp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct mbuf {
	long mtype;
	char text[9000];
};

static key_t unique_key(int n)
{
	return (key_t)(0x5c000000 | ((getpid() & 0xffff) << 8) | n);
}

/* Is cap in our effective set (from /proc/self/status)? */
static bool has_cap(int cap)
{
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long eff = 0;
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	if (f)
		fclose(f);
	return eff & (1ULL << cap);
}

/* Fork a child that runs fn (its exit code is fn's) and return once it sleeps in the
 * kernel after getting ready (state S in /proc/PID/stat), or -1. */
static pid_t fork_blocked(int (*fn)(int))
{
	int fds[2];
	char c, path[64], line[256];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		_exit(fn(fds[1]));
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1)
		pid = -1;
	close(fds[0]);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; pid > 0 && i < 5000; i++) {
		FILE *f = fopen(path, "r");
		char *p = f && fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
		if (f)
			fclose(f);
		if (p && p[1] == ' ' && p[2] == 'S')
			return pid;
		usleep(1000);
	}
	return -1;
}

/* In the child: say we are about to block. */
static void ready(int fd)
{
	if (write(fd, "r", 1) != 1)
		_exit(99);
	close(fd);
}

static int g_id;

static int send_str(int id, long type, const char *s, int flg)
{
	struct mbuf m = {.mtype = type};

	strcpy(m.text, s);
	return msgsnd(id, &m, strlen(s), flg);
}

/* Receive into *m; returns the length, NUL-terminating the text. */
static long recv_str(int id, struct mbuf *m, size_t size, long type, int flg)
{
	long n;

	memset(m, 0, sizeof(*m));
	n = msgrcv(id, m, size, type, flg);
	if (n >= 0)
		m->text[n] = '\0';
	return n;
}

static void msgget_and_stat(void)
{
	int id = CHECK_OK(msgget(IPC_PRIVATE, 0620));
	struct msqid_ds ds;
	key_t key = unique_key(1);

	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.msg_qbytes, 16384);
	CHECK_EQ(ds.msg_qnum, 0);
	CHECK_EQ(ds.__msg_cbytes, 0);
	CHECK_EQ(ds.msg_lspid, 0);
	CHECK_EQ(ds.msg_lrpid, 0);
	CHECK_EQ(ds.msg_stime, 0);
	CHECK(ds.msg_ctime > 0);
	CHECK_EQ(ds.msg_perm.mode & 0777, 0620);
	CHECK_EQ(msgctl(id % 32768, MSG_STAT, &ds), id);
	CHECK_EQ(ds.msg_perm.__seq, id / 32768);
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
	CHECK_ERR(msgctl(id, IPC_STAT, &ds), EINVAL);

	CHECK_ERR(msgget(key, 0600), ENOENT);
	id = CHECK_OK(msgget(key, IPC_CREAT | IPC_EXCL | 0600));
	CHECK_ERR(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	CHECK_EQ(msgget(key, 0), id);
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
	CHECK_ERR(msgctl(-1, IPC_RMID, NULL), EINVAL);
	CHECK_ERR(msgctl(id, 99, NULL), EINVAL);
}

static void receive_by_type(void)
{
	int id = CHECK_OK(msgget(IPC_PRIVATE, 0600));
	struct msqid_ds ds;
	struct mbuf m;

	CHECK_OK(send_str(id, 3, "three", 0));
	CHECK_OK(send_str(id, 1, "one", 0));
	CHECK_OK(send_str(id, 2, "two", 0));
	CHECK_OK(send_str(id, 5, "five", 0));
	CHECK_OK(send_str(id, 1, "one again", 0));
	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.msg_qnum, 5);
	CHECK_EQ(ds.__msg_cbytes, 5 + 3 + 3 + 4 + 9);
	CHECK_EQ(ds.msg_lspid, getpid());
	CHECK(ds.msg_stime > 0);
	/* Type 2 exactly; lowest type <= 4; anything but 1; then the first. */
	CHECK_EQ(recv_str(id, &m, 100, 2, 0), 3);
	CHECK_STR(m.text, "two");
	CHECK_EQ(recv_str(id, &m, 100, -4, 0), 3);
	CHECK_STR(m.text, "one");
	CHECK_EQ(m.mtype, 1);
	CHECK_EQ(recv_str(id, &m, 100, 1, MSG_EXCEPT), 5);
	CHECK_STR(m.text, "three");
	CHECK_EQ(recv_str(id, &m, 100, 0, 0), 4);
	CHECK_STR(m.text, "five");
	CHECK_ERR(recv_str(id, &m, 100, 7, IPC_NOWAIT), ENOMSG);
	CHECK_ERR(recv_str(id, &m, 100, 1, MSG_EXCEPT | IPC_NOWAIT), ENOMSG);
	CHECK_EQ(recv_str(id, &m, 100, -1, 0), 9);
	CHECK_STR(m.text, "one again");
	CHECK_ERR(recv_str(id, &m, 100, 0, IPC_NOWAIT), ENOMSG);
	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.msg_qnum, 0);
	CHECK_EQ(ds.__msg_cbytes, 0);
	CHECK_EQ(ds.msg_lrpid, getpid());
	CHECK(ds.msg_rtime > 0);
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
}

static void sizes_and_errors(void)
{
	int id = CHECK_OK(msgget(IPC_PRIVATE, 0600));
	struct mbuf m = {.mtype = 1};

	CHECK_ERR(msgsnd(id, &m, 8193, 0), EINVAL);
	CHECK_OK(msgsnd(id, &m, 8192, 0));
	CHECK_OK(msgsnd(id, &m, 0, 0));
	CHECK_ERR(msgsnd(id, &m, (size_t)-1, 0), EINVAL);
	m.mtype = 0;
	CHECK_ERR(msgsnd(id, &m, 1, 0), EINVAL);
	m.mtype = -5;
	CHECK_ERR(msgsnd(id, &m, 1, 0), EINVAL);
	CHECK_ERR(msgsnd(id, (void *)8, 1, 0), EFAULT);
	CHECK_ERR(msgsnd(-1, &m, 1, 0), EINVAL);
	CHECK_ERR(msgrcv(-1, &m, 1, 0, 0), EINVAL);
	CHECK_ERR(msgrcv(id, &m, (size_t)-1, 0, 0), EINVAL);
	/* Too small a buffer: E2BIG and the message stays; MSG_NOERROR truncates. */
	CHECK_ERR(msgrcv(id, &m, 100, 0, 0), E2BIG);
	CHECK_EQ(msgrcv(id, &m, 100, 0, MSG_NOERROR), 100);
	CHECK_EQ(msgrcv(id, &m, 100, 0, 0), 0);
	CHECK_OK(send_str(id, 4, "lost", 0));
	CHECK_ERR(msgrcv(id, (void *)8, 100, 0, 0), EFAULT);
	CHECK_ERR(msgrcv(id, &m, 100, 0, IPC_NOWAIT), ENOMSG);
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
	CHECK_ERR(send_str(id, 1, "x", 0), EINVAL);
}

static void queue_limit_and_nowait(void)
{
	int id = CHECK_OK(msgget(IPC_PRIVATE, 0600));
	struct msqid_ds ds;
	struct mbuf m;

	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	ds.msg_qbytes = 10;
	CHECK_OK(msgctl(id, IPC_SET, &ds));
	CHECK_OK(send_str(id, 1, "12345678", 0));
	CHECK_ERR(send_str(id, 1, "abc", IPC_NOWAIT), EAGAIN);
	CHECK_OK(send_str(id, 1, "ab", IPC_NOWAIT));
	/* qbytes also bounds the number of messages. */
	CHECK_EQ(recv_str(id, &m, 100, 0, 0), 8);
	for (int i = 0; i < 9; i++)
		CHECK_OK(send_str(id, 1, "", IPC_NOWAIT));
	CHECK_ERR(send_str(id, 1, "", IPC_NOWAIT), EAGAIN);
	/* Beyond MSGMNB only with CAP_SYS_RESOURCE (which some hosts' root lacks). */
	ds.msg_qbytes = 100000;
	if (has_cap(24 /* CAP_SYS_RESOURCE */)) {
		CHECK_OK(msgctl(id, IPC_SET, &ds));
		CHECK_OK(msgctl(id, IPC_STAT, &ds));
		CHECK_EQ(ds.msg_qbytes, 100000);
		CHECK_OK(send_str(id, 1, "", IPC_NOWAIT));
	} else {
		CHECK_ERR(msgctl(id, IPC_SET, &ds), EPERM);
	}
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
}

static void msg_copy(void)
{
	int id = CHECK_OK(msgget(IPC_PRIVATE, 0600));
	struct msqid_ds ds;
	struct mbuf m;

	CHECK_OK(send_str(id, 7, "first", 0));
	CHECK_OK(send_str(id, 8, "second", 0));
	CHECK_EQ(recv_str(id, &m, 100, 1, MSG_COPY | IPC_NOWAIT), 6);
	CHECK_STR(m.text, "second");
	CHECK_EQ(m.mtype, 8);
	CHECK_ERR(recv_str(id, &m, 100, 2, MSG_COPY | IPC_NOWAIT), ENOMSG);
	CHECK_ERR(recv_str(id, &m, 100, 0, MSG_COPY), EINVAL);
	CHECK_ERR(recv_str(id, &m, 100, 0, MSG_COPY | IPC_NOWAIT | MSG_EXCEPT), EINVAL);
	CHECK_ERR(recv_str(id, &m, 2, 0, MSG_COPY | IPC_NOWAIT), E2BIG);
	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.msg_qnum, 2);
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
}

static int receive_hello(int fd)
{
	struct mbuf m;
	long n;

	ready(fd);
	n = recv_str(g_id, &m, 100, 9, 0);
	return n == 5 && !strcmp(m.text, "hello") ? 0 : 1;
}

static int send_waits(int fd)
{
	ready(fd);
	return send_str(g_id, 4, "waits", 0) ? 1 : 0;
}

static void blocked_receiver_and_sender(void)
{
	int id = CHECK_OK(msgget(IPC_PRIVATE, 0600));
	struct msqid_ds ds;
	struct mbuf m;
	pid_t pid;

	g_id = id;
	pid = CHECK_OK(fork_blocked(receive_hello));
	CHECK_OK(send_str(id, 3, "other", 0));
	CHECK_OK(send_str(id, 9, "hello", 0));
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.msg_lrpid, pid);
	CHECK_EQ(ds.msg_qnum, 1);

	/* A sender waits for room. */
	ds.msg_qbytes = 6;
	CHECK_OK(msgctl(id, IPC_SET, &ds));
	pid = CHECK_OK(fork_blocked(send_waits));
	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.msg_qnum, 1);
	CHECK_EQ(recv_str(id, &m, 100, 0, 0), 5);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(recv_str(id, &m, 100, 0, IPC_NOWAIT), 5);
	CHECK_STR(m.text, "waits");
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
}

static void on_usr1(int sig)
{
}

/* Interrupted by a handled signal: EINTR, even with SA_RESTART. */
static int receive_eintr(int fd)
{
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
	struct mbuf m;

	sigaction(SIGUSR1, &sa, NULL);
	ready(fd);
	return msgrcv(g_id, &m, 10, 0, 0) == -1 && errno == EINTR ? 0 : 1;
}

static int receive_eidrm(int fd)
{
	struct mbuf m;

	ready(fd);
	return msgrcv(g_id, &m, 10, 0, 0) == -1 && errno == EIDRM ? 0 : 1;
}

static void signal_and_removal(void)
{
	int id = CHECK_OK(msgget(IPC_PRIVATE, 0600));
	pid_t pid;

	g_id = id;
	pid = CHECK_OK(fork_blocked(receive_eintr));
	kill(pid, SIGUSR1);
	CHECK_EQ(h_wait(pid), 0);

	pid = CHECK_OK(fork_blocked(receive_eidrm));
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
	CHECK_EQ(h_wait(pid), 0);
}

static void permissions_and_info(void)
{
	int id = CHECK_OK(msgget(IPC_PRIVATE, 0600));
	struct msqid_ds ds;
	struct msginfo mi;
	pid_t pid;
	int max;

	CHECK_OK(send_str(id, 1, "abc", 0));
	pid = fork();
	if (pid == 0) {
		struct mbuf cm;
		struct msqid_ds cds;
		if (setgroups(0, NULL) || setgid(1234) || setuid(1234))
			_exit(10);
		if (send_str(id, 1, "x", 0) != -1 || errno != EACCES)
			_exit(11);
		if (msgrcv(id, &cm, 10, 0, 0) != -1 || errno != EACCES)
			_exit(12);
		if (msgctl(id, IPC_STAT, &cds) != -1 || errno != EACCES)
			_exit(13);
		if (msgctl(id, IPC_RMID, NULL) != -1 || errno != EPERM)
			_exit(14);
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	/* A new owner without CAP_SYS_RESOURCE cannot go beyond MSGMNB. */
	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	ds.msg_perm.uid = 1234;
	CHECK_OK(msgctl(id, IPC_SET, &ds));
	pid = fork();
	if (pid == 0) {
		struct msqid_ds cds;
		if (setgroups(0, NULL) || setgid(1234) || setuid(1234))
			_exit(10);
		if (msgctl(id, IPC_STAT, &cds))
			_exit(11);
		cds.msg_qbytes = 16385;
		if (msgctl(id, IPC_SET, &cds) != -1 || errno != EPERM)
			_exit(12);
		cds.msg_qbytes = 100;
		if (msgctl(id, IPC_SET, &cds))
			_exit(13);
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.msg_qbytes, 100);
	CHECK_ERR(msgctl(id, IPC_SET, (struct msqid_ds *)8), EFAULT);

	max = CHECK_OK(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
	CHECK(max >= id % 32768);
	CHECK_EQ(mi.msgmax, 8192);
	CHECK_EQ(mi.msgmnb, 16384);
	CHECK_EQ(mi.msgmni, 32000);
	CHECK_EQ(mi.msgssz, 16);
	CHECK_EQ(mi.msgseg, 0xffff);
	CHECK_EQ(CHECK_OK(msgctl(0, MSG_INFO, (struct msqid_ds *)&mi)), max);
	CHECK(mi.msgpool >= 1);
	CHECK(mi.msgmap >= 1);
	CHECK(mi.msgtql >= 3);
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
}

int main(void)
{
	h_begin();
	RUN(msgget_and_stat);
	RUN(receive_by_type);
	RUN(sizes_and_errors);
	RUN(queue_limit_and_nowait);
	RUN(msg_copy);
	RUN(blocked_receiver_and_sender);
	RUN(signal_and_removal);
	RUN(permissions_and_info);
	return h_end();
}
