/* IPC namespaces: clone(CLONE_NEWIPC) and unshare(CLONE_NEWIPC) give a fresh set of
 * System V objects and POSIX message queues, as Linux does. */
#include "harness.h"

#include <grp.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

static key_t g_key;
static int g_shmid, g_semid;
static char g_mqname[64];

/* In a fresh namespace none of the parent's objects is there. */
static int check_fresh(void)
{
	struct shmid_ds ds;

	if (shmget(g_key, 0, 0) != -1 || errno != ENOENT)
		return 1;
	if (shmctl(g_shmid, IPC_STAT, &ds) != -1 || errno != EINVAL)
		return 2;
	if (semctl(g_semid, 0, GETVAL) != -1 || errno != EINVAL)
		return 3;
	if (mq_open(g_mqname, O_RDWR) != -1 || errno != ENOENT)
		return 4;
	/* Its own objects work, keys included, and stay there. */
	int id = shmget(g_key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	if (id < 0)
		return 5;
	mqd_t q = mq_open(g_mqname, O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
	if (q < 0 || mq_send(q, "x", 1, 0))
		return 6;
	int mid = msgget(IPC_PRIVATE, 0600);
	if (mid < 0)
		return 7;
	return 0;
}

static int clone_child(void *arg)
{
	return check_fresh();
}

static void setup(void)
{
	g_key = (key_t)(0x5d000000 | ((getpid() & 0xffff) << 8));
	snprintf(g_mqname, sizeof(g_mqname), "/runsc-ipcns-%d", getpid());
	g_shmid = CHECK_OK(shmget(g_key, 4096, IPC_CREAT | IPC_EXCL | 0600));
	g_semid = CHECK_OK(semget(IPC_PRIVATE, 1, 0600));
	mqd_t q = CHECK_OK(mq_open(g_mqname, O_CREAT | O_EXCL | O_RDWR, 0600, NULL));
	CHECK_OK(mq_close(q));
}

static void teardown(void)
{
	/* The child's objects went with its namespace: ours are untouched. */
	CHECK_EQ(shmget(g_key, 0, 0), g_shmid);
	CHECK_OK(semctl(g_semid, 0, GETVAL));
	struct mq_attr attr;
	mqd_t q = CHECK_OK(mq_open(g_mqname, O_RDWR));
	CHECK_OK(mq_getattr(q, &attr));
	CHECK_EQ(attr.mq_curmsgs, 0);
	CHECK_OK(mq_close(q));
	CHECK_OK(shmctl(g_shmid, IPC_RMID, NULL));
	CHECK_OK(semctl(g_semid, 0, IPC_RMID));
	CHECK_OK(mq_unlink(g_mqname));
}

static void unshare_gives_fresh_namespace(void)
{
	pid_t pid;

	setup();
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(20);
		_exit(check_fresh());
	}
	CHECK_EQ(h_wait(pid), 0);
	teardown();
}

static void clone_newipc(void)
{
	static char stack[64 * 1024];
	pid_t pid;

	setup();
	pid = clone(clone_child, stack + sizeof(stack), CLONE_NEWIPC | SIGCHLD, NULL);
	CHECK(pid > 0);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_ERR(clone(clone_child, stack + sizeof(stack), CLONE_NEWIPC | CLONE_SYSVSEM | SIGCHLD,
			NULL), EINVAL);
	teardown();
}

static void needs_cap_sys_admin(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(1234) || setuid(1234))
			_exit(10);
		if (unshare(CLONE_NEWIPC) != -1 || errno != EPERM)
			_exit(11);
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(unshare(0));
}

/* An attached segment outlives the namespace that made it, until its last detach. */
static void segment_outlives_namespace(void)
{
	int go[2], res[2];
	pid_t pid;
	char c = 0;

	CHECK_OK(pipe(go));
	CHECK_OK(pipe(res));
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(20);
		int id = shmget(IPC_PRIVATE, 4096, 0600);
		char *p = id < 0 ? (char *)-1 : shmat(id, NULL, 0);
		if (p == (char *)-1 || shmctl(id, IPC_RMID, NULL))
			_exit(21);
		strcpy(p, "still here");
		/* A child in the same namespace keeps the attachment after we exit. */
		pid_t gc = fork();
		if (gc == 0) {
			if (read(go[0], &c, 1) != 1)
				_exit(22);
			c = strcmp(p, "still here") ? 'n' : 'y';
			_exit(write(res[1], &c, 1) == 1 ? 0 : 23);
		}
		_exit(gc > 0 ? 0 : 24);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(write(go[1], "g", 1), 1);
	CHECK_EQ(read(res[0], &c, 1), 1);
	CHECK_EQ(c, 'y');
	for (int i = 0; i < 2; i++) {
		close(go[i]);
		close(res[i]);
	}
}

int main(void)
{
	h_begin();
	RUN(unshare_gives_fresh_namespace);
	RUN(clone_newipc);
	RUN(needs_cap_sys_admin);
	RUN(segment_outlives_namespace);
	return h_end();
}
