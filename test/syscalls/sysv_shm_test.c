/* System V shared memory: shmget, shmat, shmdt, shmctl as Linux does them. */
#include "harness.h"

#include <grp.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#define PG 4096
#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif

/* A key unique to this run (the native run shares the host's IPC namespace). */
static key_t unique_key(int n)
{
	return (key_t)(0x5a000000 | ((getpid() & 0xffff) << 8) | n);
}

static int stat_of(int id, struct shmid_ds *ds)
{
	return shmctl(id, IPC_STAT, ds);
}

static void shmget_private_and_sizes(void)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, 10000, 0600));
	struct shmid_ds ds;

	CHECK_OK(stat_of(id, &ds));
	CHECK_EQ(ds.shm_segsz, 10000);
	CHECK_EQ(ds.shm_perm.mode & 0777, 0600);
	CHECK_EQ(ds.shm_perm.__key, 0);
	CHECK_EQ(ds.shm_perm.uid, geteuid());
	CHECK_EQ(ds.shm_perm.cuid, geteuid());
	CHECK_EQ(ds.shm_perm.cgid, getegid());
	CHECK_EQ(ds.shm_cpid, getpid());
	CHECK_EQ(ds.shm_lpid, 0);
	CHECK_EQ(ds.shm_nattch, 0);
	CHECK_EQ(ds.shm_atime, 0);
	CHECK_EQ(ds.shm_dtime, 0);
	CHECK(ds.shm_ctime > 0);
	/* ids are seq * 32768 + index; SHM_STAT takes the index and returns the id. */
	CHECK_EQ(shmctl(id % 32768, SHM_STAT, &ds), id);
	CHECK_EQ(ds.shm_perm.__seq, id / 32768);
	CHECK_EQ(shmctl(id % 32768, SHM_STAT_ANY, &ds), id);
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
	CHECK_ERR(stat_of(id, &ds), EINVAL);

	CHECK_ERR(shmget(IPC_PRIVATE, 0, 0600), EINVAL);
	CHECK_ERR(shmget(IPC_PRIVATE, ~0UL, 0600), EINVAL);
	/* Larger than memory: not committed without SHM_NORESERVE. */
	CHECK_ERR(shmget(IPC_PRIVATE, 1UL << 46, 0600), ENOMEM);
	id = CHECK_OK(shmget(IPC_PRIVATE, 1UL << 46, 0600 | SHM_NORESERVE));
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

static void shmget_keys(void)
{
	key_t key = unique_key(1);
	int id, id2;

	CHECK_ERR(shmget(key, PG, 0600), ENOENT);
	id = CHECK_OK(shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600));
	CHECK_ERR(shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	id2 = CHECK_OK(shmget(key, PG, IPC_CREAT | 0600));
	CHECK_EQ(id2, id);
	CHECK_EQ(shmget(key, 0, 0), id);
	CHECK_EQ(shmget(key, 100, 0), id);
	/* Asking for more than the segment has. */
	CHECK_ERR(shmget(key, 2 * PG, 0), EINVAL);
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
	CHECK_ERR(shmget(key, PG, 0), ENOENT);
}

static void shmat_shares_memory(void)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, 3 * PG, 0600));
	char *a = shmat(id, NULL, 0), *b = shmat(id, NULL, 0);
	struct shmid_ds ds;

	CHECK(a != (void *)-1 && b != (void *)-1 && a != b);
	CHECK_EQ(((uintptr_t)a) % PG, 0);
	CHECK_EQ(a[0] | a[3 * PG - 1], 0);
	strcpy(a + PG, "through a");
	CHECK_STR(b + PG, "through a");
	CHECK_OK(stat_of(id, &ds));
	CHECK_EQ(ds.shm_nattch, 2);
	CHECK_EQ(ds.shm_lpid, getpid());
	CHECK(ds.shm_atime > 0);
	CHECK_OK(shmdt(a));
	CHECK_OK(stat_of(id, &ds));
	CHECK_EQ(ds.shm_nattch, 1);
	CHECK(ds.shm_dtime > 0);
	CHECK_ERR(shmdt(a), EINVAL);
	CHECK_ERR(shmdt(b + 1), EINVAL);
	CHECK_ERR(shmdt(b + PG), EINVAL);
	CHECK_OK(shmdt(b));
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

static sigjmp_buf g_jmp;
static void on_segv(int sig)
{
	siglongjmp(g_jmp, 1);
}

static void shmat_rdonly(void)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, PG, 0600));
	char *w = shmat(id, NULL, 0), *r = shmat(id, NULL, SHM_RDONLY);
	struct sigaction sa = {.sa_handler = on_segv}, old;
	volatile int faulted = 0;

	CHECK(w != (void *)-1 && r != (void *)-1);
	w[5] = 'x';
	CHECK_EQ(r[5], 'x');
	CHECK_ERR(mprotect(r, PG, PROT_READ | PROT_WRITE), EACCES);
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(g_jmp, 1) == 0)
		*(volatile char *)r = 'y';
	else
		faulted = 1;
	sigaction(SIGSEGV, &old, NULL);
	CHECK_EQ(faulted, 1);
	CHECK_EQ(w[0], 0);
	CHECK_OK(shmdt(w));
	CHECK_OK(shmdt(r));
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

static void shmat_addresses(void)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, 2 * PG, 0600));
	char *area = mmap(NULL, 8 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p;

	CHECK(area != MAP_FAILED);
	/* Over an existing mapping only with SHM_REMAP. */
	CHECK(shmat(id, area + PG, 0) == (void *)-1 && errno == EINVAL);
	CHECK(shmat(id, area + PG + 10, 0) == (void *)-1 && errno == EINVAL);
	p = shmat(id, area + PG + 10, SHM_RND | SHM_REMAP);
	CHECK(p == area + PG);
	p[0] = 'q';
	CHECK_OK(shmdt(p));
	CHECK(shmat(id, NULL, SHM_REMAP) == (void *)-1 && errno == EINVAL);
	CHECK(shmat(id, (void *)100, SHM_RND | SHM_REMAP) == (void *)-1 && errno == EINVAL);
	/* A free fixed address. */
	CHECK_OK(munmap(area, 8 * PG));
	p = shmat(id, area + 2 * PG, 0);
	CHECK(p == area + 2 * PG);
	CHECK_EQ(p[0], 'q');
	CHECK_OK(shmdt(p));
	CHECK(shmat(-1, NULL, 0) == (void *)-1 && errno == EINVAL);
	CHECK(shmat(id + 32768, NULL, 0) == (void *)-1 && errno == EINVAL);
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
	CHECK(shmat(id, NULL, 0) == (void *)-1 && errno == EINVAL);
}

static void shmdt_after_split(void)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, 4 * PG, 0600));
	char *p = shmat(id, NULL, 0);
	struct shmid_ds ds;

	CHECK(p != (void *)-1);
	CHECK_OK(mprotect(p + PG, PG, PROT_READ));
	CHECK_OK(stat_of(id, &ds));
	CHECK_EQ(ds.shm_nattch, 3); /* one per VMA, as Linux counts */
	CHECK_OK(shmdt(p));
	CHECK_OK(stat_of(id, &ds));
	CHECK_EQ(ds.shm_nattch, 0);
	CHECK_EQ(mprotect(p + 3 * PG, PG, PROT_READ), -1);
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

static void rmid_destroys_on_last_detach(void)
{
	key_t key = unique_key(2);
	int id = CHECK_OK(shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600));
	char *p = shmat(id, NULL, 0);
	struct shmid_ds ds;

	CHECK(p != (void *)-1);
	strcpy(p, "alive");
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
	CHECK_OK(stat_of(id, &ds));
	CHECK_EQ(ds.shm_perm.mode & SHM_DEST, SHM_DEST);
	CHECK_EQ(ds.shm_perm.__key, 0);
	CHECK_ERR(shmget(key, PG, 0), ENOENT);
	CHECK_STR(p, "alive");
	/* A removed segment can still be attached by its id while it lives. */
	char *q = shmat(id, NULL, 0);
	CHECK(q != (void *)-1);
	CHECK_STR(q, "alive");
	CHECK_OK(shmdt(q));
	CHECK_OK(stat_of(id, &ds));
	CHECK_OK(shmdt(p));
	CHECK_ERR(stat_of(id, &ds), EINVAL);
}

static void fork_counts_attachments(void)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, PG, 0600));
	char *p = shmat(id, NULL, 0);
	struct shmid_ds ds;
	int fds[2];
	char c;
	pid_t pid;

	CHECK(p != (void *)-1);
	CHECK_OK(pipe(fds));
	pid = fork();
	if (pid == 0) {
		struct shmid_ds cds;
		if (shmctl(id, IPC_STAT, &cds) || cds.shm_nattch != 2)
			_exit(1);
		strcpy(p, "from child");
		if (shmdt(p))
			_exit(2);
		if (write(fds[1], "x", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	CHECK_EQ(read(fds[0], &c, 1), 1);
	CHECK_OK(stat_of(id, &ds));
	CHECK_EQ(ds.shm_nattch, 1);
	CHECK_EQ(ds.shm_lpid, pid);
	CHECK_STR(p, "from child");
	kill(pid, SIGKILL);
	CHECK_EQ(h_wait(pid), SIGKILL);
	close(fds[0]);
	close(fds[1]);
	/* A child that exits drops what it inherited. */
	pid = fork();
	if (pid == 0)
		_exit(p[0] == 'f' ? 0 : 1);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(stat_of(id, &ds));
	CHECK_EQ(ds.shm_nattch, 1);
	CHECK_OK(shmdt(p));
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

static const char *g_self;

static void exec_drops_attachments(void)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, PG, 0600));
	struct shmid_ds ds;
	int fds[2];
	char c, fdarg[16];
	pid_t pid;

	CHECK_OK(pipe(fds));
	pid = fork();
	if (pid == 0) {
		if (shmat(id, NULL, 0) == (void *)-1)
			_exit(1);
		snprintf(fdarg, sizeof(fdarg), "%d", fds[1]);
		execl(g_self, g_self, "exec-probe", fdarg, (char *)NULL);
		_exit(2);
	}
	CHECK_EQ(read(fds[0], &c, 1), 1); /* the exec'd program runs */
	CHECK_OK(stat_of(id, &ds));
	CHECK_EQ(ds.shm_nattch, 0);
	close(fds[0]);
	close(fds[1]);
	kill(pid, SIGKILL);
	CHECK_EQ(h_wait(pid), SIGKILL);
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

static void permissions(void)
{
	key_t key = unique_key(3);
	int id = CHECK_OK(shmget(key, PG, IPC_CREAT | IPC_EXCL | 0640));
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		struct shmid_ds ds;
		/* Another user without capabilities: group bits apply to gid 0. */
		if (setgroups(0, NULL) || setgid(1234) || setuid(1234))
			_exit(10);
		/* Flags without mode bits ask for nothing; 0400 asks to read. */
		if (shmget(key, PG, 0) != id)
			_exit(16);
		if (shmget(key, PG, 0400) != -1 || errno != EACCES)
			_exit(11);
		if (shmat(id, NULL, SHM_RDONLY) != (void *)-1 || errno != EACCES)
			_exit(12);
		if (shmctl(id, IPC_STAT, &ds) != -1 || errno != EACCES)
			_exit(13);
		if (shmctl(id, IPC_RMID, NULL) != -1 || errno != EPERM)
			_exit(14);
		if (shmctl(id, SHM_LOCK, NULL) != -1 || errno != EPERM)
			_exit(15);
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	pid = fork();
	if (pid == 0) {
		struct shmid_ds ds;
		/* Group members may read (0640), not write. */
		if (setgroups(0, NULL) || setgid(0) || setuid(1234))
			_exit(10);
		int got = shmget(key, PG, 0440);
		if (got != id) {
			printf("  shmget as group member: %d (%s), want %d\n", got,
			       h_errname(errno), id);
			_exit(11);
		}
		if (shmget(key, PG, 0660) != -1 || errno != EACCES)
			_exit(12);
		char *p = shmat(id, NULL, SHM_RDONLY);
		if (p == (void *)-1 || shmdt(p))
			_exit(13);
		if (shmat(id, NULL, 0) != (void *)-1 || errno != EACCES)
			_exit(14);
		if (shmctl(id, IPC_STAT, &ds) != 0)
			_exit(15);
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

static void ipc_set_changes_owner(void)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, PG, 0600));
	struct shmid_ds ds;
	pid_t pid;

	CHECK_OK(stat_of(id, &ds));
	ds.shm_perm.uid = 1234;
	ds.shm_perm.gid = 99;
	ds.shm_perm.mode = 0641 | 07000;
	CHECK_OK(shmctl(id, IPC_SET, &ds));
	CHECK_OK(stat_of(id, &ds));
	CHECK_EQ(ds.shm_perm.uid, 1234);
	CHECK_EQ(ds.shm_perm.gid, 99);
	CHECK_EQ(ds.shm_perm.cuid, geteuid());
	CHECK_EQ(ds.shm_perm.mode, 0641);
	/* The new owner may now change and remove it. */
	pid = fork();
	if (pid == 0) {
		struct shmid_ds cds;
		if (setgroups(0, NULL) || setgid(1234) || setuid(1234))
			_exit(10);
		if (shmctl(id, IPC_STAT, &cds))
			_exit(11);
		cds.shm_perm.mode = 0600;
		if (shmctl(id, IPC_SET, &cds))
			_exit(12);
		if (shmctl(id, IPC_RMID, NULL))
			_exit(13);
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_ERR(stat_of(id, &ds), EINVAL);
	CHECK_ERR(shmctl(id, IPC_SET, (struct shmid_ds *)8), EFAULT);
	CHECK_ERR(shmctl(id, IPC_SET, &ds), EINVAL);
}

static void ctl_info_and_errors(void)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, 5 * PG, 0600));
	struct shminfo si;
	struct shm_info in;
	struct shmid_ds ds;
	char *p = shmat(id, NULL, 0);
	int max;

	CHECK(p != (void *)-1);
	p[0] = p[2 * PG] = 1;
	max = CHECK_OK(shmctl(0, IPC_INFO, (struct shmid_ds *)&si));
	CHECK(max >= id % 32768);
	CHECK_EQ(si.shmmin, 1);
	CHECK_EQ(si.shmmni, 4096);
	CHECK_EQ(si.shmmax, ~0UL - (1UL << 24));
	CHECK_EQ(si.shmall, ~0UL - (1UL << 24));
	CHECK_EQ(CHECK_OK(shmctl(0, SHM_INFO, (struct shmid_ds *)&in)), max);
	CHECK(in.used_ids >= 1);
	CHECK(in.shm_tot >= 5);
	CHECK(in.shm_rss >= 2);
	CHECK_ERR(shmctl(id, 99, &ds), EINVAL);
	CHECK_ERR(shmctl(-1, IPC_STAT, &ds), EINVAL);
	CHECK_ERR(shmctl(id, -1, &ds), EINVAL);
	CHECK_ERR(shmctl(id, IPC_STAT, (struct shmid_ds *)8), EFAULT);
	CHECK_ERR(shmctl(30000, SHM_STAT, &ds), EINVAL);
	/* SHM_LOCK/SHM_UNLOCK show in the mode. */
	CHECK_OK(shmctl(id, SHM_LOCK, NULL));
	CHECK_OK(stat_of(id, &ds));
	CHECK_EQ(ds.shm_perm.mode & SHM_LOCKED, SHM_LOCKED);
	CHECK_OK(shmctl(id, SHM_UNLOCK, NULL));
	CHECK_OK(stat_of(id, &ds));
	CHECK_EQ(ds.shm_perm.mode & SHM_LOCKED, 0);
	CHECK_OK(shmdt(p));
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

static void maps_names_segment(void)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, PG, 0600));
	char *p = shmat(id, NULL, 0), want[64], line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	CHECK(p != (void *)-1 && f);
	snprintf(want, sizeof(want), "%lx-", (unsigned long)p);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)) && strstr(line, " rw-s ") &&
		    strstr(line, "/SYSV00000000 (deleted)"))
			found = 1;
	if (f)
		fclose(f);
	CHECK_EQ(found, 1);
	CHECK_OK(shmdt(p));
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

static void proc_sysvipc_lists_segment(void)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, 12345, 0640));
	char line[512], want[64];
	FILE *f = fopen("/proc/sysvipc/shm", "r");
	int found = 0, lines = 0;

	CHECK(f != NULL);
	snprintf(want, sizeof(want), "%10d %10d  %4o %21d %5d ", 0, id, 0640, 12345, getpid());
	while (f && fgets(line, sizeof(line), f)) {
		if (lines++ == 0)
			CHECK(strstr(line, "key") && strstr(line, "shmid") && strstr(line, "nattch"));
		found += !strncmp(line, want, strlen(want));
	}
	if (f)
		fclose(f);
	CHECK_EQ(found, 1);
	f = fopen("/proc/sys/kernel/shmmni", "r");
	CHECK(f && fgets(line, sizeof(line), f));
	CHECK_STR(line, "4096\n");
	if (f)
		fclose(f);
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "exec-probe")) {
		if (write(atoi(argv[2]), "x", 1) != 1)
			return 1;
		pause();
		return 0;
	}
	g_self = argv[0];
	h_begin();
	RUN(shmget_private_and_sizes);
	RUN(shmget_keys);
	RUN(shmat_shares_memory);
	RUN(shmat_rdonly);
	RUN(shmat_addresses);
	RUN(shmdt_after_split);
	RUN(rmid_destroys_on_last_detach);
	RUN(fork_counts_attachments);
	RUN(exec_drops_attachments);
	RUN(permissions);
	RUN(ipc_set_changes_owner);
	RUN(ctl_info_and_errors);
	RUN(maps_names_segment);
	RUN(proc_sysvipc_lists_segment);
	return h_end();
}
