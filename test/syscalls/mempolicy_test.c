/* NUMA memory policies on a one-node machine (node 0): set_mempolicy/get_mempolicy modes,
 * flags and mask rules, mbind per range, set_mempolicy_home_node, migrate_pages and
 * move_pages. The host must have exactly one node (checked first). */
#include "harness.h"

#include <sys/mman.h>

#define DEFAULT 0
#define PREFERRED 1
#define BIND 2
#define INTERLEAVE 3
#define LOCAL 4
#define PREFERRED_MANY 5
#define WEIGHTED 6
#define F_STATIC (1 << 15)
#define F_RELATIVE (1 << 14)
#define F_BALANCING (1 << 13)
#define F_NODE 1
#define F_ADDR 2
#define F_MEMS_ALLOWED 4
#define MF_STRICT 1
#define MF_MOVE 2
#define MF_MOVE_ALL 4
#define PG 4096L

static long set_pol(int mode, unsigned long mask, unsigned long maxnode)
{
	return syscall(SYS_set_mempolicy, mode, &mask, maxnode);
}

static long get_pol(int *mode, unsigned long *mask, unsigned long maxnode, void *addr,
		    unsigned flags)
{
	return syscall(SYS_get_mempolicy, mode, mask, maxnode, addr, flags);
}

static long mbind_pol(void *addr, long len, int mode, unsigned long mask, unsigned flags)
{
	return syscall(SYS_mbind, addr, len, mode, &mask, 64, flags);
}

/* The task's (addr NULL) or addr's policy mode, and its mask in *mask. */
static int mode_of(void *addr, unsigned long *mask)
{
	int mode = -1;
	unsigned long m = ~0UL;

	if (get_pol(&mode, &m, 64, addr, addr ? F_ADDR : 0) < 0)
		return -1;
	if (mask)
		*mask = m;
	return mode;
}

static void host_has_one_node(void)
{
	struct stat st;

	CHECK_OK(stat("/sys/devices/system/node/node0", &st));
	CHECK_ERR(stat("/sys/devices/system/node/node1", &st), ENOENT);
}

static void task_policy_round_trip(void)
{
	unsigned long m;

	CHECK_EQ(mode_of(NULL, &m), DEFAULT);
	CHECK_EQ(m, 0);
	CHECK_OK(set_pol(BIND, 1, 64));
	CHECK_EQ(mode_of(NULL, &m), BIND);
	CHECK_EQ(m, 1);
	CHECK_OK(set_pol(INTERLEAVE, 3, 64)); /* absent node 1 dropped */
	CHECK_EQ(mode_of(NULL, &m), INTERLEAVE);
	CHECK_EQ(m, 1);
	CHECK_OK(set_pol(PREFERRED, 1, 64));
	CHECK_EQ(mode_of(NULL, &m), PREFERRED);
	CHECK_EQ(m, 1);
	CHECK_OK(set_pol(PREFERRED, 0, 64)); /* no node: local allocation */
	CHECK_EQ(mode_of(NULL, &m), LOCAL);
	CHECK_EQ(m, 0);
	CHECK_OK(syscall(SYS_set_mempolicy, LOCAL, NULL, 0));
	CHECK_EQ(mode_of(NULL, NULL), LOCAL);
	CHECK_OK(set_pol(PREFERRED_MANY, 1, 64));
	CHECK_EQ(mode_of(NULL, NULL), PREFERRED_MANY);
	CHECK_OK(set_pol(WEIGHTED, 1, 64));
	CHECK_EQ(mode_of(NULL, NULL), WEIGHTED);
	/* Static and relative masks are reported as given. */
	CHECK_OK(set_pol(INTERLEAVE | F_STATIC, 0x21, 64));
	CHECK_EQ(mode_of(NULL, &m), INTERLEAVE | F_STATIC);
	CHECK_EQ(m, 0x21);
	CHECK_OK(set_pol(PREFERRED | F_RELATIVE, 0x20, 64));
	CHECK_EQ(mode_of(NULL, &m), PREFERRED | F_RELATIVE);
	CHECK_EQ(m, 0x20);
	CHECK_OK(set_pol(BIND | F_BALANCING, 1, 64));
	CHECK_EQ(mode_of(NULL, NULL), BIND | F_BALANCING);
	CHECK_OK(set_pol(DEFAULT | F_STATIC, 0, 64)); /* flags of DEFAULT are dropped */
	CHECK_EQ(mode_of(NULL, &m), DEFAULT);
	CHECK_EQ(m, 0);
}

static void bad_modes_and_masks(void)
{
	unsigned long big[18] = {1};

	CHECK_ERR(set_pol(7, 1, 64), EINVAL);
	CHECK_ERR(set_pol(BIND | F_STATIC | F_RELATIVE, 1, 64), EINVAL);
	CHECK_ERR(set_pol(PREFERRED | F_BALANCING, 1, 64), EINVAL);
	CHECK_ERR(set_pol(INTERLEAVE | F_BALANCING, 1, 64), EINVAL);
	CHECK_ERR(set_pol(DEFAULT | F_BALANCING, 0, 64), EINVAL);
	CHECK_ERR(set_pol(DEFAULT, 1, 64), EINVAL);
	CHECK_ERR(set_pol(LOCAL, 1, 64), EINVAL);
	CHECK_ERR(set_pol(LOCAL | F_STATIC, 0, 64), EINVAL);
	CHECK_ERR(set_pol(PREFERRED | F_STATIC, 0, 64), EINVAL);
	CHECK_ERR(set_pol(BIND, 0, 64), EINVAL);
	CHECK_ERR(set_pol(BIND, 2, 64), EINVAL);	      /* node 1 is not present */
	CHECK_ERR(set_pol(BIND | F_STATIC, 0x20, 64), EINVAL);
	CHECK_OK(set_pol(BIND | F_RELATIVE, 0x20, 64));	      /* folds onto node 0 */
	/* maxnode counts one bit more than is read. */
	CHECK_ERR(set_pol(BIND, 1, 1), EINVAL);
	CHECK_ERR(set_pol(BIND, 2, 2), EINVAL);
	CHECK_OK(set_pol(BIND, 3, 2));
	CHECK_ERR(set_pol(BIND, 1, 0), EINVAL);
	CHECK_ERR(set_pol(BIND, 1, 4096 * 8 + 2), EINVAL);
	/* Nodes past MAX_NUMNODES (1024) must be clear; below it they are just absent. */
	big[512 / 64] = 1;
	CHECK_OK(syscall(SYS_set_mempolicy, BIND | F_STATIC, big, 64 * 18 + 1));
	big[1024 / 64] = 1;
	CHECK_ERR(syscall(SYS_set_mempolicy, BIND | F_STATIC, big, 64 * 18 + 1), EINVAL);
	CHECK_ERR(syscall(SYS_set_mempolicy, BIND, (void *)8, 64), EFAULT);
	CHECK_OK(syscall(SYS_set_mempolicy, DEFAULT, NULL, 0));
}

static void get_mempolicy_flags(void)
{
	unsigned long m[2] = {~0UL, ~0UL};
	int mode = -1;

	CHECK_OK(get_pol(&mode, m, 64, NULL, F_MEMS_ALLOWED));
	CHECK_EQ(mode, 0);
	CHECK_EQ(m[0], 1);
	CHECK_ERR(get_pol(&mode, m, 64, NULL, F_MEMS_ALLOWED | F_NODE), EINVAL);
	CHECK_ERR(get_pol(&mode, m, 64, NULL, 8), EINVAL);
	CHECK_ERR(get_pol(&mode, m, 64, (void *)PG, 0), EINVAL);
	CHECK_ERR(get_pol(&mode, m, 0, NULL, 0), EINVAL);
	/* F_NODE alone: the next interleave node, only under an interleave policy. */
	CHECK_OK(set_pol(BIND, 1, 64));
	CHECK_ERR(get_pol(&mode, NULL, 0, NULL, F_NODE), EINVAL);
	CHECK_OK(set_pol(INTERLEAVE, 1, 64));
	mode = -1;
	CHECK_OK(get_pol(&mode, NULL, 0, NULL, F_NODE));
	CHECK_EQ(mode, 0);
	/* maxnode 1 writes no mask; 128 writes two longs, the second zero. */
	m[0] = m[1] = 0xff;
	CHECK_OK(get_pol(&mode, m, 1, NULL, 0));
	CHECK_EQ(m[0], 0xff);
	CHECK_OK(get_pol(&mode, m, 129, NULL, 0));
	CHECK_EQ(m[0], 1);
	CHECK_EQ(m[1], 0);
	CHECK_ERR(get_pol(&mode, m, 64 * 4096 + 2, NULL, 0), EINVAL);
	CHECK_ERR(get_pol((int *)8, m, 64, NULL, 0), EFAULT);
	CHECK_ERR(get_pol(&mode, (unsigned long *)8, 64, NULL, 0), EFAULT);
	CHECK_OK(set_pol(DEFAULT, 0, 64));
}

static void address_queries(void)
{
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int node = -1;

	CHECK(p != MAP_FAILED);
	CHECK_OK(munmap(p + PG, PG));
	CHECK_OK(mprotect(p + 2 * PG, PG, PROT_NONE));
	/* A VMA without a policy reports DEFAULT, not the task's policy. */
	CHECK_OK(set_pol(BIND, 1, 64));
	CHECK_EQ(mode_of(p, NULL), DEFAULT);
	CHECK_OK(get_pol(&node, NULL, 0, p + 5, F_NODE | F_ADDR));
	CHECK_EQ(node, 0);
	CHECK_ERR(get_pol(&node, NULL, 0, p + PG, F_ADDR), EFAULT);
	CHECK_ERR(get_pol(&node, NULL, 0, p + PG, F_NODE | F_ADDR), EFAULT);
	CHECK_EQ(mode_of(p + 2 * PG, NULL), DEFAULT);
	CHECK_ERR(get_pol(&node, NULL, 0, p + 2 * PG, F_NODE | F_ADDR), EFAULT);
	CHECK_OK(set_pol(DEFAULT, 0, 64));
	munmap(p, 3 * PG);
}

static void mbind_ranges(void)
{
	char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long m;

	CHECK(p != MAP_FAILED);
	CHECK_OK(mbind_pol(p + PG, PG, INTERLEAVE, 1, 0));
	CHECK_EQ(mode_of(p, NULL), DEFAULT);
	CHECK_EQ(mode_of(p + PG, &m), INTERLEAVE);
	CHECK_EQ(m, 1);
	CHECK_EQ(mode_of(p + 2 * PG, NULL), DEFAULT);
	CHECK_OK(mbind_pol(p, 4 * PG, BIND | F_STATIC, 0x41, 0));
	CHECK_EQ(mode_of(p + 3 * PG, &m), BIND | F_STATIC);
	CHECK_EQ(m, 0x41);
	/* A hole: EFAULT and nothing changed, except for DEFAULT, which skips it. */
	CHECK_OK(munmap(p + 2 * PG, PG));
	CHECK_ERR(mbind_pol(p, 4 * PG, PREFERRED, 1, 0), EFAULT);
	CHECK_EQ(mode_of(p, NULL), BIND | F_STATIC);
	CHECK_OK(syscall(SYS_mbind, p, 4 * PG, DEFAULT, NULL, 0, 0));
	CHECK_EQ(mode_of(p + 3 * PG, NULL), DEFAULT);
	CHECK_ERR(syscall(SYS_mbind, p + 2 * PG, PG, DEFAULT, NULL, 0, 0), EFAULT);
	CHECK_ERR(mbind_pol(p + 1, PG, BIND, 1, 0), EINVAL);
	CHECK_ERR(mbind_pol(p, PG, BIND, 1, 8), EINVAL);
	CHECK_ERR(mbind_pol(p, PG, BIND, 0, 0), EINVAL);
	CHECK_ERR(mbind_pol(p, -PG, BIND, 1, 0), EINVAL);
	CHECK_OK(mbind_pol(p + 2 * PG, 0, BIND, 1, 0));
	CHECK_OK(mbind_pol(p, PG, BIND, 1, MF_MOVE | MF_MOVE_ALL));
	/* STRICT: a present page off the caller's mask (local: none) is EIO, nothing set. */
	p[3 * PG] = 1;
	CHECK_OK(mbind_pol(p + 3 * PG, PG, BIND, 1, MF_STRICT));
	CHECK_ERR(syscall(SYS_mbind, p + 3 * PG, PG, LOCAL, NULL, 0, MF_STRICT), EIO);
	CHECK_EQ(mode_of(p + 3 * PG, NULL), BIND);
	CHECK_OK(syscall(SYS_mbind, p + 3 * PG, PG, LOCAL, NULL, 0, MF_STRICT | MF_MOVE));
	CHECK_EQ(mode_of(p + 3 * PG, NULL), LOCAL);
	CHECK_ERR(mbind_pol(p + 3 * PG, PG, BIND | F_RELATIVE, 0x20, MF_STRICT), EIO);
	munmap(p, 4 * PG);
}

static void policies_survive_fork(void)
{
	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int status;

	CHECK_OK(set_pol(INTERLEAVE, 1, 64));
	CHECK_OK(mbind_pol(p + PG, PG, PREFERRED, 1, 0));
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(mode_of(NULL, NULL) == INTERLEAVE && mode_of(p + PG, NULL) == PREFERRED &&
			      mode_of(p, NULL) == DEFAULT ? 0 : 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK_OK(set_pol(DEFAULT, 0, 64));
	munmap(p, 2 * PG);
}

static void home_node(void)
{
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK_ERR(syscall(SYS_set_mempolicy_home_node, p, PG, 0, 0), ENOENT);
	CHECK_ERR(syscall(SYS_set_mempolicy_home_node, p, PG, 1, 0), EINVAL);
	CHECK_ERR(syscall(SYS_set_mempolicy_home_node, p, PG, 0, 1), EINVAL);
	CHECK_ERR(syscall(SYS_set_mempolicy_home_node, p + 1, PG, 0, 0), EINVAL);
	CHECK_ERR(syscall(SYS_set_mempolicy_home_node, p, 0, 5, 0), EINVAL);
	CHECK_ERR(syscall(SYS_set_mempolicy_home_node, p, -PG, 0, 0), EINVAL);
	CHECK_OK(syscall(SYS_set_mempolicy_home_node, p, 0, 0, 0));
	CHECK_OK(mbind_pol(p, PG, INTERLEAVE, 1, 0));
	CHECK_ERR(syscall(SYS_set_mempolicy_home_node, p, PG, 0, 0), EOPNOTSUPP);
	CHECK_OK(mbind_pol(p, PG, BIND, 1, 0));
	CHECK_OK(mbind_pol(p + 2 * PG, PG, PREFERRED_MANY, 1, 0));
	CHECK_OK(syscall(SYS_set_mempolicy_home_node, p, 3 * PG, 0, 0));
	CHECK_EQ(mode_of(p, NULL), BIND);
	CHECK_EQ(mode_of(p + PG, NULL), DEFAULT);
	CHECK_EQ(mode_of(p + 2 * PG, NULL), PREFERRED_MANY);
	munmap(p, 3 * PG);
}

static int drop_to_nobody(void)
{
	return setresuid(54321, 54321, 54321);
}

static void migrate_pages(void)
{
	unsigned long from = 1, to = 1;
	pid_t pid;
	int status;

	CHECK_EQ(syscall(SYS_migrate_pages, 0, 64, &from, &to), 0);
	CHECK_EQ(syscall(SYS_migrate_pages, getpid(), 2, &from, &to), 0);
	CHECK_ERR(syscall(SYS_migrate_pages, 0, 1, &from, &to), EINVAL);
	to = 2;
	CHECK_ERR(syscall(SYS_migrate_pages, 0, 64, &from, &to), EINVAL);
	to = 3;
	CHECK_EQ(syscall(SYS_migrate_pages, 0, 64, &from, &to), 0);
	CHECK_ERR(syscall(SYS_migrate_pages, 0, 64, NULL, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_migrate_pages, 999999, 64, &from, &to), ESRCH);
	CHECK_ERR(syscall(SYS_migrate_pages, -1, 64, &from, &to), ESRCH);
	CHECK_ERR(syscall(SYS_migrate_pages, 0, 64, (void *)8, &to), EFAULT);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pid_t parent = getppid();
		unsigned long one = 1, two = 3;
		if (drop_to_nobody() < 0)
			_exit(9);
		if (syscall(SYS_migrate_pages, parent, 64, &one, &one) != -1 || errno != EPERM)
			_exit(1);
		if (syscall(SYS_migrate_pages, 0, 64, &one, &two) != -1 || errno != EPERM)
			_exit(2);
		_exit(syscall(SYS_migrate_pages, 0, 64, &one, &one) == 0 ? 0 : 3);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
}

static void move_pages(void)
{
	/* The untouched page is a mapping of its own: the sandbox brings in the neighbours
	 * of a faulting page with it. */
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q = mmap(p + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	void *pages[3] = {p, q, p + 2 * PG};
	int nodes[3] = {0, 0, 0}, st[3];

	p[0] = 1;
	CHECK_OK(munmap(p + 2 * PG, PG));
	memset(st, 0x55, sizeof(st));
	CHECK_EQ(syscall(SYS_move_pages, 0, 3, pages, NULL, st, 0), 0);
	CHECK_EQ(st[0], 0);
	CHECK_EQ(st[1], -ENOENT);
	CHECK_EQ(st[2], -EFAULT);
	memset(st, 0x55, sizeof(st));
	CHECK_EQ(syscall(SYS_move_pages, getpid(), 3, pages, nodes, st, MF_MOVE), 0);
	CHECK_EQ(st[0], 0);
	CHECK_EQ(st[1], -ENOENT);
	CHECK_EQ(st[2], -EFAULT);
	memset(st, 0x55, sizeof(st));
	nodes[1] = 1;
	CHECK_ERR(syscall(SYS_move_pages, 0, 3, pages, nodes, st, 0), ENODEV);
	CHECK_EQ(st[0], 0);
	CHECK_EQ(st[1], 0x55555555);
	nodes[1] = -1;
	CHECK_ERR(syscall(SYS_move_pages, 0, 3, pages, nodes, st, 0), ENODEV);
	nodes[1] = 0;
	CHECK_ERR(syscall(SYS_move_pages, 0, 3, pages, nodes, st, 8), EINVAL);
	CHECK_ERR(syscall(SYS_move_pages, 999999, 3, pages, nodes, st, 0), ESRCH);
	CHECK_EQ(syscall(SYS_move_pages, 0, 0, pages, nodes, st, 0), 0);
	CHECK_ERR(syscall(SYS_move_pages, 0, 3, NULL, nodes, st, 0), EFAULT);
	CHECK_ERR(syscall(SYS_move_pages, 0, 3, pages, nodes, NULL, 0), EFAULT);
	CHECK_ERR(syscall(SYS_move_pages, 0, 1, pages, NULL, (void *)8, 0), EFAULT);
	munmap(p, 3 * PG);
}

static void move_pages_of_another_process(void)
{
	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	void *pages[2] = {p, p + PG};
	int st[2] = {9, 9}, ready[2], go[2], status;
	char c;
	pid_t pid;

	CHECK_OK(pipe(ready));
	CHECK_OK(pipe(go));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		p[0] = 1; /* the child's page: present in its mm */
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(9);
		if (drop_to_nobody() < 0)
			_exit(8);
		/* Unprivileged: MOVE_ALL needs CAP_SYS_NICE, another user's pages EPERM. */
		if (syscall(SYS_move_pages, 0, 2, pages, NULL, st, MF_MOVE_ALL) != -1 ||
		    errno != EPERM)
			_exit(1);
		if (syscall(SYS_move_pages, getppid(), 2, pages, NULL, st, 0) != -1 ||
		    errno != EPERM)
			_exit(2);
		_exit(0);
	}
	CHECK_EQ(read(ready[0], &c, 1), 1);
	CHECK_EQ(syscall(SYS_move_pages, pid, 1, pages, NULL, st, 0), 0);
	CHECK_EQ(st[0], 0);
	CHECK_EQ(write(go[1], "g", 1), 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	munmap(p, 2 * PG);
}

int main(void)
{
	h_begin();
	RUN(host_has_one_node);
	RUN(task_policy_round_trip);
	RUN(bad_modes_and_masks);
	RUN(get_mempolicy_flags);
	RUN(address_queries);
	RUN(mbind_ranges);
	RUN(policies_survive_fork);
	RUN(home_node);
	RUN(migrate_pages);
	RUN(move_pages);
	RUN(move_pages_of_another_process);
	return h_end();
}
