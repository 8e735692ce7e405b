/* System V semaphores: semget, semop/semtimedop, semctl as Linux does them. */
#include "harness.h"

#include <grp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

static key_t unique_key(int n)
{
	return (key_t)(0x5b000000 | ((getpid() & 0xffff) << 8) | n);
}

static int getval(int id, int num)
{
	return semctl(id, num, GETVAL);
}

static int setval(int id, int num, int val)
{
	return semctl(id, num, SETVAL, (union semun){.val = val});
}

static int op1(int id, int num, int op, int flg)
{
	struct sembuf sb = {.sem_num = num, .sem_op = op, .sem_flg = flg};

	return semop(id, &sb, 1);
}

/* Wait (polling) until GETNCNT or GETZCNT of sem num reaches want. */
static int wait_count(int id, int num, int cmd, int want)
{
	for (int i = 0; i < 5000; i++) {
		int n = semctl(id, num, cmd);
		if (n == want)
			return 0;
		usleep(1000);
	}
	return -1;
}

static void semget_and_stat(void)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 3, 0600));
	struct semid_ds ds;

	CHECK_OK(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
	CHECK_EQ(ds.sem_nsems, 3);
	CHECK_EQ(ds.sem_perm.mode & 0777, 0600);
	CHECK_EQ(ds.sem_perm.cuid, geteuid());
	CHECK_EQ(ds.sem_otime, 0);
	CHECK(ds.sem_ctime > 0);
	CHECK_EQ(semctl(id % 32768, 0, SEM_STAT, (union semun){.buf = &ds}), id);
	CHECK_EQ(ds.sem_perm.__seq, id / 32768);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(getval(id, i), 0);
	CHECK_OK(semctl(id, 0, IPC_RMID));
	CHECK_ERR(getval(id, 0), EINVAL);

	CHECK_ERR(semget(IPC_PRIVATE, 0, 0600), EINVAL);
	CHECK_ERR(semget(IPC_PRIVATE, -1, 0600), EINVAL);
	CHECK_ERR(semget(IPC_PRIVATE, 32001, 0600), EINVAL);
	key_t key = unique_key(1);
	CHECK_ERR(semget(key, 2, 0600), ENOENT);
	id = CHECK_OK(semget(key, 2, IPC_CREAT | IPC_EXCL | 0600));
	CHECK_ERR(semget(key, 2, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	CHECK_EQ(semget(key, 0, 0), id);
	CHECK_EQ(semget(key, 2, IPC_CREAT), id);
	CHECK_ERR(semget(key, 3, 0), EINVAL);
	CHECK_OK(semctl(id, 0, IPC_RMID));
	CHECK_ERR(semctl(-1, 0, IPC_RMID), EINVAL);
	CHECK_ERR(semctl(id, 0, IPC_RMID), EINVAL);
}

static void setval_getall_setall(void)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 4, 0600));
	unsigned short vals[4] = {1, 2, 3, 32767}, got[4];

	CHECK_OK(setval(id, 2, 7));
	CHECK_EQ(getval(id, 2), 7);
	CHECK_EQ(semctl(id, 2, GETPID), getpid());
	CHECK_ERR(setval(id, 2, 32768), ERANGE);
	CHECK_ERR(setval(id, 2, -1), ERANGE);
	CHECK_ERR(setval(id, 4, 1), EINVAL);
	CHECK_ERR(setval(id, -1, 1), EINVAL);
	CHECK_ERR(getval(id, 4), EINVAL);
	CHECK_OK(semctl(id, 0, SETALL, (union semun){.array = vals}));
	CHECK_OK(semctl(id, 0, GETALL, (union semun){.array = got}));
	CHECK_MEM(got, vals, sizeof(vals));
	vals[1] = 40000;
	CHECK_ERR(semctl(id, 0, SETALL, (union semun){.array = vals}), ERANGE);
	CHECK_EQ(getval(id, 1), 2);
	CHECK_ERR(semctl(id, 0, GETALL, (union semun){.array = (void *)8}), EFAULT);
	CHECK_ERR(semctl(id, 0, 99), EINVAL);
	CHECK_OK(semctl(id, 0, IPC_RMID));
}

static void semop_is_atomic(void)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 2, 0600));
	struct sembuf two[2] = {{0, 1, 0}, {1, -5, IPC_NOWAIT}};
	struct sembuf many[501];
	struct semid_ds ds;

	CHECK_OK(op1(id, 0, 3, 0));
	CHECK_EQ(getval(id, 0), 3);
	CHECK_OK(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
	CHECK(ds.sem_otime > 0);
	CHECK_EQ(semctl(id, 0, GETPID), getpid());
	/* The second operation would block: nothing happens. */
	CHECK_ERR(semop(id, two, 2), EAGAIN);
	CHECK_EQ(getval(id, 0), 3);
	CHECK_ERR(op1(id, 0, 0, IPC_NOWAIT), EAGAIN);
	CHECK_ERR(op1(id, 0, -4, IPC_NOWAIT), EAGAIN);
	CHECK_OK(op1(id, 0, -3, IPC_NOWAIT));
	CHECK_OK(op1(id, 0, 0, IPC_NOWAIT));
	/* Operations see the ones before them in the same call. */
	struct sembuf seq[3] = {{1, 2, 0}, {1, -2, 0}, {1, 0, 0}};
	CHECK_OK(semop(id, seq, 3));
	CHECK_OK(setval(id, 1, 32760));
	CHECK_ERR(op1(id, 1, 8, 0), ERANGE);
	CHECK_EQ(getval(id, 1), 32760);
	CHECK_ERR(semop(id, two, 0), EINVAL);
	memset(many, 0, sizeof(many));
	CHECK_ERR(semop(id, many, 501), E2BIG);
	CHECK_OK(semop(id, many, 500)); /* 500 waits for zero */
	CHECK_ERR(op1(id, 2, 1, 0), EFBIG);
	CHECK_ERR(op1(-1, 0, 1, 0), EINVAL);
	CHECK_ERR(semop(id, (struct sembuf *)8, 1), EFAULT);
	CHECK_OK(semctl(id, 0, IPC_RMID));
	CHECK_ERR(op1(id, 0, 1, 0), EINVAL);
}

static void semtimedop_times_out(void)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 1, 0600));
	struct sembuf sb = {0, -1, 0};
	struct timespec ts = {0, 30 * 1000 * 1000}, bad = {0, 1000000000};

	CHECK_ERR(semtimedop(id, &sb, 1, &ts), EAGAIN);
	CHECK_ERR(semtimedop(id, &sb, 1, &bad), EINVAL);
	CHECK_ERR(semtimedop(id, &sb, 1, (struct timespec *)8), EFAULT);
	CHECK_OK(op1(id, 0, 1, 0));
	CHECK_OK(semtimedop(id, &sb, 1, &ts));
	CHECK_OK(semctl(id, 0, IPC_RMID));
}

static void blocked_waiter_woken_by_other_process(void)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 2, 0600));
	pid_t pid = fork();

	if (pid == 0)
		_exit(op1(id, 0, -2, 0) == 0 && getval(id, 0) == 0 ? 0 : 1);
	CHECK_OK(wait_count(id, 0, GETNCNT, 1));
	CHECK_EQ(semctl(id, 0, GETZCNT), 0);
	CHECK_OK(op1(id, 0, 1, 0)); /* not enough yet */
	usleep(20000);
	CHECK_EQ(semctl(id, 0, GETNCNT), 1);
	CHECK_OK(op1(id, 0, 1, 0));
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(semctl(id, 0, GETNCNT), 0);
	CHECK_EQ(semctl(id, 0, GETPID), pid);

	/* A wait for zero counts in GETZCNT and is released by SETVAL. */
	CHECK_OK(setval(id, 1, 4));
	pid = fork();
	if (pid == 0)
		_exit(op1(id, 1, 0, 0) == 0 ? 0 : 1);
	CHECK_OK(wait_count(id, 1, GETZCNT, 1));
	CHECK_OK(setval(id, 1, 0));
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(semctl(id, 0, IPC_RMID));
}

static void on_usr1(int sig)
{
}

static void signal_interrupts_semop(void)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 1, 0600));
	pid_t pid = fork();

	if (pid == 0) {
		/* Never restarted, even with SA_RESTART (signal(7)). */
		struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
		sigaction(SIGUSR1, &sa, NULL);
		_exit(op1(id, 0, -1, 0) == -1 && errno == EINTR ? 0 : 1);
	}
	CHECK_OK(wait_count(id, 0, GETNCNT, 1));
	kill(pid, SIGUSR1);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(semctl(id, 0, GETNCNT), 0);
	CHECK_OK(semctl(id, 0, IPC_RMID));
}

static void removal_wakes_with_eidrm(void)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 1, 0600));
	pid_t pid = fork();

	if (pid == 0)
		_exit(op1(id, 0, -1, 0) == -1 && errno == EIDRM ? 0 : 1);
	CHECK_OK(wait_count(id, 0, GETNCNT, 1));
	CHECK_OK(semctl(id, 0, IPC_RMID));
	CHECK_EQ(h_wait(pid), 0);
}

static void sem_undo_at_exit(void)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 3, 0600));
	int up[2], down[2];
	char c;
	pid_t pid;

	CHECK_OK(setval(id, 1, 5));
	pid = fork();
	if (pid == 0) {
		struct sembuf ops[2] = {{0, 2, SEM_UNDO}, {1, -3, SEM_UNDO}};
		_exit(semop(id, ops, 2) ? 1 : 0);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(getval(id, 0), 0);
	CHECK_EQ(getval(id, 1), 5);
	CHECK_EQ(semctl(id, 0, GETPID), pid);

	/* An adjustment is clamped at 0; SETVAL forgets it. */
	CHECK_OK(pipe(up));
	CHECK_OK(pipe(down));
	pid = fork();
	if (pid == 0) {
		if (op1(id, 0, 3, SEM_UNDO) || op1(id, 2, 1, SEM_UNDO))
			_exit(1);
		if (write(up[1], "x", 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	CHECK_EQ(read(up[0], &c, 1), 1);
	CHECK_OK(op1(id, 0, -2, 0)); /* 1 left: the undo of -3 stops at 0 */
	CHECK_OK(setval(id, 2, 9)); /* undo of sem 2 forgotten */
	CHECK_EQ(write(down[1], "y", 1), 1);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(getval(id, 0), 0);
	CHECK_EQ(getval(id, 2), 9);
	for (int i = 0; i < 2; i++) {
		close(up[i]);
		close(down[i]);
	}

	pid = fork();
	if (pid == 0) {
		if (op1(id, 2, -9, SEM_UNDO))
			_exit(1);
		/* SEMAEM bounds what may be recorded. */
		if (setval(id, 0, 32767) || op1(id, 0, -32767, SEM_UNDO) ||
		    op1(id, 0, 1, SEM_UNDO) || op1(id, 0, 32767, SEM_UNDO) != -1 || errno != ERANGE)
			_exit(2);
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(getval(id, 2), 9);
	CHECK_OK(semctl(id, 0, IPC_RMID));
}

static void permissions(void)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 1, 0640));
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(1234) || setuid(1234))
			_exit(10);
		if (getval(id, 0) != -1 || errno != EACCES)
			_exit(11);
		if (op1(id, 0, 1, 0) != -1 || errno != EACCES)
			_exit(12);
		if (semctl(id, 0, IPC_RMID) != -1 || errno != EPERM)
			_exit(13);
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	pid = fork();
	if (pid == 0) {
		/* The group may read (and wait for zero), not alter. */
		if (setgroups(0, NULL) || setgid(0) || setuid(1234))
			_exit(10);
		if (getval(id, 0) != 0 || op1(id, 0, 0, IPC_NOWAIT))
			_exit(11);
		if (setval(id, 0, 1) != -1 || errno != EACCES)
			_exit(12);
		if (op1(id, 0, 1, 0) != -1 || errno != EACCES)
			_exit(13);
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(semctl(id, 0, IPC_RMID));
}

static void ipc_set_and_info(void)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 5, 0600));
	struct semid_ds ds;
	struct seminfo si;
	int max;

	CHECK_OK(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
	ds.sem_perm.mode = 0604;
	ds.sem_perm.uid = 4321;
	CHECK_OK(semctl(id, 0, IPC_SET, (union semun){.buf = &ds}));
	CHECK_OK(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
	CHECK_EQ(ds.sem_perm.mode & 0777, 0604);
	CHECK_EQ(ds.sem_perm.uid, 4321);
	CHECK_ERR(semctl(id, 0, IPC_SET, (union semun){.buf = (void *)8}), EFAULT);

	max = CHECK_OK(semctl(0, 0, IPC_INFO, (union semun){.__buf = &si}));
	CHECK(max >= id % 32768);
	CHECK_EQ(si.semmsl, 32000);
	CHECK_EQ(si.semopm, 500);
	CHECK_EQ(si.semvmx, 32767);
	CHECK_EQ(si.semmni, 32000);
	CHECK_EQ(si.semmns, 1024000000);
	CHECK_EQ(CHECK_OK(semctl(0, 0, SEM_INFO, (union semun){.__buf = &si})), max);
	CHECK(si.semusz >= 1);
	CHECK(si.semaem >= 5);
	CHECK_ERR(semctl(0, 0, IPC_INFO, (union semun){.__buf = (void *)8}), EFAULT);
	CHECK_OK(semctl(id, 0, IPC_RMID));
}

int main(void)
{
	h_begin();
	RUN(semget_and_stat);
	RUN(setval_getall_setall);
	RUN(semop_is_atomic);
	RUN(semtimedop_times_out);
	RUN(blocked_waiter_woken_by_other_process);
	RUN(signal_interrupts_semop);
	RUN(removal_wakes_with_eidrm);
	RUN(sem_undo_at_exit);
	RUN(permissions);
	RUN(ipc_set_and_info);
	return h_end();
}
