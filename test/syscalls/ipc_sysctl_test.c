/* The IPC namespace's sysctls: /proc/sys/kernel/{shmmax,shmall,shmmni,msgmax,msgmnb,
 * msgmni,sem} and /proc/sys/fs/mqueue/ (msg_max, msgsize_max, msg_default, msgsize_default,
 * queues_max): Linux's defaults in a new namespace, read formats, write parsing and
 * ranges, and their enforcement by msgsnd, msgget, shmget,
 * semget, semop, mq_open and the IPC_INFO commands. Every case runs in a child that
 * made its own IPC namespace first, so the host's (natively) is never changed. */
#include "harness.h"

#include <linux/capability.h>
#include <mqueue.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#define K "/proc/sys/kernel/"
#define MQ "/proc/sys/fs/mqueue/"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	saved = errno;
	close(fd);
	errno = saved;
	return (int)n;
}

static const char *read_str(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int drop_cap(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[cap / 32].effective &= ~(1u << (cap % 32));
	return (int)syscall(SYS_capset, &h, d);
}

/* Run fn in a child inside a new IPC namespace. */
static void in_new_ns(void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		g_case_fails = 0;
		if (unshare(CLONE_NEWIPC) < 0) {
			printf("  unshare(CLONE_NEWIPC): %s\n", strerror(errno));
			_exit(1);
		}
		fn();
		fflush(stdout);
		_exit(g_case_fails ? 1 : 0);
	}
	int st = h_wait(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void check_defaults(void)
{
	CHECK_STR(read_str(K "msgmax"), "8192\n");
	CHECK_STR(read_str(K "msgmnb"), "16384\n");
	CHECK_STR(read_str(K "msgmni"), "32000\n");
	CHECK_STR(read_str(K "shmmni"), "4096\n");
	CHECK_STR(read_str(K "shmmax"), "18446744073692774399\n");
	CHECK_STR(read_str(K "shmall"), "18446744073692774399\n");
	CHECK_STR(read_str(K "sem"), "32000\t1024000000\t500\t32000\n");
	CHECK_STR(read_str(MQ "msg_max"), "10\n");
	CHECK_STR(read_str(MQ "msgsize_max"), "8192\n");
	CHECK_STR(read_str(MQ "msg_default"), "10\n");
	CHECK_STR(read_str(MQ "msgsize_default"), "8192\n");
	CHECK_STR(read_str(MQ "queues_max"), "256\n");
}

static void do_defaults_and_modes(void)
{
	struct stat st;

	check_defaults();
	CHECK_OK(stat(K "msgmax", &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	CHECK_EQ(st.st_uid, 0);
	CHECK_OK(stat(K "sem", &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	CHECK_OK(stat(MQ "queues_max", &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
}

static void defaults_and_modes(void)
{
	in_new_ns(do_defaults_and_modes);
}

/* A namespace made after a write starts from the defaults again; the writer's stays. */
static void do_new_namespace_has_defaults(void)
{
	CHECK_EQ(write_str(K "msgmax", "100"), 3);
	CHECK_EQ(write_str(K "sem", "1 2 3 4"), 7);
	CHECK_EQ(write_str(MQ "msg_max", "20"), 2);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		g_case_fails = 0;
		if (unshare(CLONE_NEWIPC) < 0)
			_exit(2);
		check_defaults();
		_exit(g_case_fails ? 1 : 0);
	}
	int st = h_wait(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_STR(read_str(K "msgmax"), "100\n");
	CHECK_STR(read_str(K "sem"), "1\t2\t3\t4\n");
	CHECK_STR(read_str(MQ "msg_max"), "20\n");
}

static void new_namespace_has_defaults(void)
{
	in_new_ns(do_new_namespace_has_defaults);
}

static void do_write_parsing(void)
{
	CHECK_EQ(write_str(K "msgmax", "0x20"), 4);
	CHECK_STR(read_str(K "msgmax"), "32\n");
	CHECK_EQ(write_str(K "msgmax", "010"), 3);
	CHECK_STR(read_str(K "msgmax"), "8\n");
	/* One value taken; the bytes up to the next one are what write returns. */
	CHECK_EQ(write_str(K "msgmax", " 300 400"), 5);
	CHECK_STR(read_str(K "msgmax"), "300\n");
	CHECK_EQ(write_str(K "msgmax", "9\n\n"), 3);
	CHECK_ERR(write_str(K "msgmax", "-1"), EINVAL);
	CHECK_ERR(write_str(K "msgmax", "abc"), EINVAL);
	CHECK_ERR(write_str(K "msgmax", "5x"), EINVAL);
	CHECK_ERR(write_str(K "msgmax", "+7"), EINVAL);
	CHECK_ERR(write_str(K "msgmax", "\n"), EINVAL);
	CHECK_ERR(write_str(K "msgmax", "2147483648"), EINVAL);
	CHECK_ERR(write_str(K "msgmax", "99999999999999999999999"), EINVAL);
	int fd = CHECK_OK(open(K "msgmax", O_WRONLY));
	CHECK_EQ(write(fd, "", 0), 0);
	close(fd);
	CHECK_STR(read_str(K "msgmax"), "9\n");
	CHECK_ERR(write_str(K "msgmni", "32769"), EINVAL);
	CHECK_EQ(write_str(K "shmmni", "32768"), 5);
	CHECK_ERR(write_str(K "shmmax", "-1"), EINVAL);
	CHECK_EQ(write_str(K "shmmax", "18446744073709551615"), 20);
	CHECK_STR(read_str(K "shmmax"), "18446744073709551615\n");
	CHECK_ERR(write_str(K "shmmax", "18446744073709551616"), EINVAL);
	/* sem: four ints, each stored as it is read; a bad semmni is put back (ERANGE). */
	CHECK_EQ(write_str(K "sem", "10 20 30 40 50"), 12);
	CHECK_STR(read_str(K "sem"), "10\t20\t30\t40\n");
	CHECK_ERR(write_str(K "sem", "1 2 x 4"), EINVAL);
	CHECK_STR(read_str(K "sem"), "1\t2\t30\t40\n");
	CHECK_ERR(write_str(K "sem", "7 8 9 99999"), ERANGE);
	CHECK_STR(read_str(K "sem"), "7\t8\t9\t40\n");
	CHECK_EQ(write_str(K "sem", "-5"), 2);
	CHECK_STR(read_str(K "sem"), "-5\t8\t9\t40\n");
	/* fs.mqueue: msg_max 1..65536, msgsize_max 128..16 MiB, queues_max any int. */
	CHECK_ERR(write_str(MQ "msg_max", "0"), EINVAL);
	CHECK_ERR(write_str(MQ "msg_max", "65537"), EINVAL);
	CHECK_ERR(write_str(MQ "msgsize_max", "127"), EINVAL);
	CHECK_ERR(write_str(MQ "msgsize_default", "16777217"), EINVAL);
	CHECK_EQ(write_str(MQ "msg_default", "65536"), 5);
	CHECK_EQ(write_str(MQ "queues_max", "-3"), 2);
	CHECK_STR(read_str(MQ "queues_max"), "-3\n");
}

static void write_parsing(void)
{
	in_new_ns(do_write_parsing);
}

static void do_msg_limits(void)
{
	struct {
		long mtype;
		char text[256];
	} m = {1, {0}};
	struct msginfo mi;
	struct msqid_ds ds;

	CHECK_EQ(write_str(K "msgmax", "100"), 3);
	CHECK_EQ(write_str(K "msgmnb", "200"), 3);
	int old = CHECK_OK(msgget(IPC_PRIVATE, 0600));
	CHECK_OK(msgsnd(old, &m, 100, IPC_NOWAIT));
	CHECK_ERR(msgsnd(old, &m, 101, IPC_NOWAIT), EINVAL);
	CHECK_OK(msgctl(old, IPC_STAT, &ds));
	CHECK_EQ(ds.msg_qbytes, 200);
	CHECK_OK(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
	CHECK_EQ(mi.msgmax, 100);
	CHECK_EQ(mi.msgmnb, 200);
	CHECK_EQ(mi.msgmni, 32000);
	/* Raising qbytes above msgmnb needs CAP_SYS_RESOURCE. */
	CHECK_OK(drop_cap(CAP_SYS_RESOURCE));
	ds.msg_qbytes = 201;
	CHECK_ERR(msgctl(old, IPC_SET, &ds), EPERM);
	ds.msg_qbytes = 150;
	CHECK_OK(msgctl(old, IPC_SET, &ds));
	/* msgmni bounds the number of queues. */
	CHECK_EQ(write_str(K "msgmni", "1"), 1);
	CHECK_ERR(msgget(IPC_PRIVATE, 0600), ENOSPC);
	CHECK_OK(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
	CHECK_EQ(mi.msgmni, 1);
}

static void msg_limits(void)
{
	in_new_ns(do_msg_limits);
}

static void do_shm_limits(void)
{
	struct shminfo si;

	CHECK_EQ(write_str(K "shmmax", "8192"), 4);
	CHECK_ERR(shmget(IPC_PRIVATE, 8193, 0600), EINVAL);
	int id = CHECK_OK(shmget(IPC_PRIVATE, 8192, 0600));
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
	CHECK_EQ(write_str(K "shmmax", "1000000"), 7);
	CHECK_EQ(write_str(K "shmall", "3"), 1); /* pages */
	CHECK_ERR(shmget(IPC_PRIVATE, 4 * 4096, 0600), ENOSPC);
	id = CHECK_OK(shmget(IPC_PRIVATE, 3 * 4096, 0600));
	CHECK_EQ(write_str(K "shmmni", "1"), 1);
	CHECK_OK(shmctl(0, IPC_INFO, (struct shmid_ds *)&si));
	CHECK_EQ(si.shmmax, 1000000);
	CHECK_EQ(si.shmall, 3);
	CHECK_EQ(si.shmmni, 1);
	CHECK_EQ(write_str(K "shmall", "100"), 3);
	CHECK_ERR(shmget(IPC_PRIVATE, 4096, 0600), ENOSPC); /* shmmni */
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
	CHECK_OK(shmget(IPC_PRIVATE, 4096, 0600));
}

static void shm_limits(void)
{
	in_new_ns(do_shm_limits);
}

static void do_sem_limits(void)
{
	struct seminfo si;
	struct sembuf ops[3] = {{0, 1, 0}, {0, 1, 0}, {0, -1, 0}};

	CHECK_EQ(write_str(K "sem", "5 10 2 3"), 8);
	CHECK_ERR(semget(IPC_PRIVATE, 6, 0600), EINVAL);
	int a = CHECK_OK(semget(IPC_PRIVATE, 5, 0600));
	CHECK_OK(semget(IPC_PRIVATE, 5, 0600));
	CHECK_ERR(semget(IPC_PRIVATE, 1, 0600), ENOSPC); /* semmns: 10 in use */
	CHECK_ERR(semop(a, ops, 3), E2BIG);
	CHECK_OK(semop(a, ops, 2));
	CHECK_OK(semctl(0, 0, IPC_INFO, &si));
	CHECK_EQ(si.semmsl, 5);
	CHECK_EQ(si.semmns, 10);
	CHECK_EQ(si.semopm, 2);
	CHECK_EQ(si.semmni, 3);
	CHECK_EQ(write_str(K "sem", "5 100 2 2"), 9);
	CHECK_ERR(semget(IPC_PRIVATE, 1, 0600), ENOSPC); /* semmni: 2 sets */
}

static void sem_limits(void)
{
	in_new_ns(do_sem_limits);
}

static void do_mqueue_limits(void)
{
	struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 64}, got;
	char name[64];

	CHECK_OK(drop_cap(CAP_SYS_RESOURCE));
	CHECK_EQ(write_str(MQ "msg_max", "3"), 1);
	snprintf(name, sizeof(name), "/runsc-mqsysctl-%d", getpid());
	CHECK_ERR(mq_open(name, O_CREAT | O_RDWR, 0600, &attr), EINVAL);
	attr.mq_maxmsg = 3;
	mqd_t q = CHECK_OK(mq_open(name, O_CREAT | O_RDWR, 0600, &attr));
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(name));
	/* The defaults come from msg_default / msgsize_default, capped by the maxima. */
	CHECK_EQ(write_str(MQ "msg_default", "7"), 1);
	CHECK_EQ(write_str(MQ "msgsize_default", "256"), 3);
	q = CHECK_OK(mq_open(name, O_CREAT | O_RDWR, 0600, NULL));
	CHECK_OK(mq_getattr(q, &got));
	CHECK_EQ(got.mq_maxmsg, 3);
	CHECK_EQ(got.mq_msgsize, 256);
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(name));
	CHECK_EQ(write_str(MQ "msg_default", "2"), 1);
	q = CHECK_OK(mq_open(name, O_CREAT | O_RDWR, 0600, NULL));
	CHECK_OK(mq_getattr(q, &got));
	CHECK_EQ(got.mq_maxmsg, 2);
	/* queues_max: one queue lives, the next is refused. */
	CHECK_EQ(write_str(MQ "queues_max", "1"), 1);
	snprintf(name, sizeof(name), "/runsc-mqsysctl2-%d", getpid());
	CHECK_ERR(mq_open(name, O_CREAT | O_RDWR, 0600, NULL), ENOSPC);
	CHECK_OK(mq_close(q));
}

static void mqueue_limits(void)
{
	in_new_ns(do_mqueue_limits);
}

/* Root owns them, mode 0644: another user reads but cannot write. */
static void do_only_root_writes(void)
{
	CHECK_OK(setresgid(65534, 65534, 65534));
	CHECK_OK(setresuid(65534, 65534, 65534));
	CHECK_STR(read_str(K "msgmax"), "8192\n");
	CHECK_ERR(open(K "msgmax", O_WRONLY), EACCES);
	CHECK_ERR(open(MQ "msg_max", O_WRONLY), EACCES);
}

static void only_root_writes(void)
{
	in_new_ns(do_only_root_writes);
}

int main(void)
{
	h_begin();
	RUN(defaults_and_modes);
	RUN(new_namespace_has_defaults);
	RUN(write_parsing);
	RUN(msg_limits);
	RUN(shm_limits);
	RUN(sem_limits);
	RUN(mqueue_limits);
	RUN(only_root_writes);
	return h_end();
}
