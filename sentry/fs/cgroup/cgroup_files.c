/* cgroup_files.c: the control files of a cgroup: the core cgroup.* files, cpu.*, memory.*
 * and pids.*, as Linux prints and parses them. Usage is the sandbox's own accounting:
 * CPU time of the processes below, the memory file's pages (the root) or the processes'
 * resident pages (below it), live threads. */
#include "sentry/fs/cgroup/cgroup_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/pidns.h"
#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/mm_proc.h"

#define PAGE_SIZE_B 4096

const char *const g_cg_ctrl_names[CG_NR] = {"cpu", "memory", "pids"};

static void show_mask(struct proc_buf *b, unsigned mask)
{
	const char *sep = "";

	for (int i = 0; i < CG_NR; i++) {
		if (mask & (1u << i)) {
			pb_printf(b, "%s%s", sep, g_cg_ctrl_names[i]);
			sep = " ";
		}
	}
	if (*sep)
		pb_printf(b, "\n"); /* an empty set is an empty file */
}

static void show_max(struct proc_buf *b, int64_t v)
{
	if (v < 0)
		pb_printf(b, "max\n");
	else
		pb_printf(b, "%lld\n", (long long)v);
}

/* "max" (-1) or a decimal number up to limit: 0, -EINVAL or -ERANGE. */
static int parse_max(const char *buf, int64_t limit, int64_t *out)
{
	char *end;
	long long v;

	if (!strcmp(buf, "max")) {
		*out = -1;
		return 0;
	}
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (end == buf || *end || errno)
		return -EINVAL;
	if (v < 0 || v > limit)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Linux's memparse: a number with an optional K/M/G/T suffix, or "max"; bytes are
 * rounded down to whole pages as the page counters keep them. */
static int parse_bytes(const char *buf, int64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!strcmp(buf, "max")) {
		*out = -1;
		return 0;
	}
	if (*buf == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (end == buf || errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (v > ((unsigned long long)INT64_MAX >> shift))
		v = (unsigned long long)INT64_MAX >> shift;
	*out = (int64_t)((v << shift) & ~(unsigned long long)(PAGE_SIZE_B - 1));
	return 0;
}

/* ---- core files ---- */

static int show_controllers(struct cgroup *cg, struct proc_buf *b)
{
	show_mask(b, cg_controllers(cg));
	return 0;
}

static int show_subtree(struct cgroup *cg, struct proc_buf *b)
{
	show_mask(b, cg->subtree_control);
	return 0;
}

/* "+cpu -memory": every token is checked before anything changes. */
static int write_subtree(struct cgroup *cg, char *buf)
{
	unsigned enable = 0, disable = 0;

	for (char *save, *tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		int i = 0;

		while (i < CG_NR && strcmp(tok + 1, g_cg_ctrl_names[i]))
			i++;
		if (i == CG_NR || (tok[0] != '+' && tok[0] != '-'))
			return -EINVAL;
		if (tok[0] == '+') {
			enable |= 1u << i;
			disable &= ~(1u << i);
		} else {
			disable |= 1u << i;
			enable &= ~(1u << i);
		}
	}
	return cg_set_subtree(cg, enable, disable);
}

struct ids {
	int *v;
	int n, cap;
};

/* Room for n more ids. */
static void ids_reserve(struct ids *ids, int n)
{
	if (ids->cap - ids->n >= n)
		return;
	ids->cap = MAX(ids->cap * 2, ids->n + n + 64);
	ids->v = xrealloc(ids->v, (size_t)ids->cap * sizeof(int));
}

static void ids_add(void *arg, int id)
{
	struct ids *ids = arg;

	ids_reserve(ids, 1);
	ids->v[ids->n++] = id;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Print ids as the reader's pid namespace numbers them (0 for one outside it, as Linux),
 * in that order. */
static void print_ids_vnr(struct ids *ids, struct proc_buf *b)
{
	for (int i = 0; i < ids->n; i++)
		ids->v[i] = pid_vnr(t_current, ids->v[i]);
	qsort(ids->v, (size_t)ids->n, sizeof(int), cmp_int);
	for (int i = 0; i < ids->n; i++)
		pb_printf(b, "%d\n", ids->v[i]);
}

static int show_procs(struct cgroup *cg, struct proc_buf *b)
{
	struct ids ids = {0};

	cg_for_each_proc(cg, false, ids_add, &ids);
	print_ids_vnr(&ids, b);
	free(ids.v);
	return 0;
}

static int show_threads(struct cgroup *cg, struct proc_buf *b)
{
	struct ids ids = {0}, tids = {0};

	cg_for_each_proc(cg, false, ids_add, &ids);
	for (int i = 0; i < ids.n; i++) {
		int n = proc_tid_list(ids.v[i], NULL, 0);

		if (n <= 0)
			continue;
		ids_reserve(&tids, n);
		n = proc_tid_list(ids.v[i], tids.v + tids.n, tids.cap - tids.n);
		tids.n += MIN(n, tids.cap - tids.n);
	}
	print_ids_vnr(&tids, b);
	free(ids.v);
	free(tids.v);
	return 0;
}

static int write_procs(struct cgroup *cg, char *buf)
{
	char *end;
	long pid;

	errno = 0;
	pid = strtol(buf, &end, 10);
	if (end == buf || *end || errno || pid < 0 || pid > INT32_MAX)
		return -EINVAL;
	pid = pid_from_vnr(t_current, (int)pid); /* named in the writer's pid namespace */
	return pid < 0 ? -ESRCH : cg_attach(cg, (int)pid);
}

/* Threads move alone only between threaded cgroups, which we do not support: Linux's
 * answer for a domain cgroup. */
static int write_threads(struct cgroup *cg, char *buf)
{
	return cg->dead ? -ENODEV : -EOPNOTSUPP;
}

static int show_type(struct cgroup *cg, struct proc_buf *b)
{
	pb_printf(b, "domain\n");
	return 0;
}

/* "threaded" is not supported (EOPNOTSUPP); "domain" is what every cgroup is already. */
static int write_type(struct cgroup *cg, char *buf)
{
	if (!strcmp(buf, "domain"))
		return 0;
	return strcmp(buf, "threaded") ? -EINVAL : -EOPNOTSUPP;
}

static int show_events(struct cgroup *cg, struct proc_buf *b)
{
	int procs;

	cg_count(cg, true, NULL, &procs);
	pb_printf(b, "populated %d\nfrozen 0\n", procs > 0);
	return 0;
}

static int show_max_depth(struct cgroup *cg, struct proc_buf *b)
{
	show_max(b, cg->max_depth == INT32_MAX ? -1 : cg->max_depth);
	return 0;
}

static int show_max_desc(struct cgroup *cg, struct proc_buf *b)
{
	show_max(b, cg->max_descendants == INT32_MAX ? -1 : cg->max_descendants);
	return 0;
}

static int write_int_max(int *field, const char *buf)
{
	int64_t v;
	int err = parse_max(buf, INT32_MAX - 1, &v);

	if (err)
		return err;
	*field = v < 0 ? INT32_MAX : (int)v;
	return 0;
}

static int write_max_depth(struct cgroup *cg, char *buf)
{
	return write_int_max(&cg->max_depth, buf);
}

static int write_max_desc(struct cgroup *cg, char *buf)
{
	return write_int_max(&cg->max_descendants, buf);
}

static int show_stat(struct cgroup *cg, struct proc_buf *b)
{
	pb_printf(b, "nr_descendants %d\nnr_dying_descendants 0\n", cg_nr_descendants(cg));
	return 0;
}

/* ---- cpu ---- */

struct cpu_sum {
	uint64_t user_ns, sys_ns;
};

static void cpu_add(void *arg, int tgid)
{
	struct cpu_sum *s = arg;
	struct proc_task_info info;

	if (proc_task_info(tgid, 0, &info))
		return;
	/* Reaped children's time stays with their parent's cgroup. */
	s->user_ns += info.utime_ns + info.cutime_ns;
	s->sys_ns += info.stime_ns + info.cstime_ns;
}

static int show_cpu_stat(struct cgroup *cg, struct proc_buf *b)
{
	struct cpu_sum s = {0, 0};

	cg_for_each_proc(cg, true, cpu_add, &s);
	pb_printf(b, "usage_usec %llu\nuser_usec %llu\nsystem_usec %llu\n",
		  (unsigned long long)((s.user_ns + s.sys_ns) / 1000),
		  (unsigned long long)(s.user_ns / 1000), (unsigned long long)(s.sys_ns / 1000));
	if (cg_controllers(cg) & (1u << CG_CPU))
		pb_printf(b, "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\n"
			     "burst_usec 0\n");
	return 0;
}

static int show_cpu_max(struct cgroup *cg, struct proc_buf *b)
{
	if (cg->cpu_quota < 0)
		pb_printf(b, "max %llu\n", (unsigned long long)cg->cpu_period);
	else
		pb_printf(b, "%lld %llu\n", (long long)cg->cpu_quota,
			  (unsigned long long)cg->cpu_period);
	return 0;
}

/* "$MAX [$PERIOD]": period 1ms..1s, quota at least 1ms (Linux's bounds). */
static int write_cpu_max(struct cgroup *cg, char *buf)
{
	char *period = strchr(buf, ' ');
	int64_t quota, p = (int64_t)cg->cpu_period;
	int err;

	if (period)
		*period++ = '\0';
	err = parse_max(buf, INT64_MAX / 1000, &quota);
	if (!err && period)
		err = parse_max(period, INT64_MAX / 1000, &p);
	if (err)
		return -EINVAL;
	if (p < 1000 || p > 1000000 || (quota >= 0 && quota < 1000))
		return -EINVAL;
	cg->cpu_quota = quota;
	cg->cpu_period = (uint64_t)p;
	return 0;
}

static int show_cpu_weight(struct cgroup *cg, struct proc_buf *b)
{
	pb_printf(b, "%llu\n", (unsigned long long)cg->cpu_weight);
	return 0;
}

static int write_cpu_weight(struct cgroup *cg, char *buf)
{
	int64_t v;
	int err = parse_max(buf, INT64_MAX, &v);

	if (err || v < 0)
		return -EINVAL;
	if (v < 1 || v > 10000)
		return -ERANGE;
	cg->cpu_weight = (uint64_t)v;
	return 0;
}

/* ---- memory ---- */

static void rss_add(void *arg, int tgid)
{
	struct mm *mm = proc_get_mm(tgid);
	struct mm_stats st;

	if (!mm)
		return;
	mm_get_stats(mm, &st);
	*(uint64_t *)arg += st.rss;
	mm_put(mm);
}

/* The root: every page of the memory file; below it, the processes' resident pages. */
static uint64_t memory_current(struct cgroup *cg)
{
	uint64_t sum = 0;

	if (!cg->parent)
		return memfile_used_bytes();
	cg_for_each_proc(cg, true, rss_add, &sum);
	return sum;
}

static int show_mem_current(struct cgroup *cg, struct proc_buf *b)
{
	pb_printf(b, "%llu\n", (unsigned long long)memory_current(cg));
	return 0;
}

static int show_mem_stat(struct cgroup *cg, struct proc_buf *b)
{
	unsigned long long cur = memory_current(cg);

	pb_printf(b, "anon %llu\nfile 0\nkernel 0\nkernel_stack 0\npagetables 0\n"
		     "sock 0\nshmem 0\nfile_mapped 0\nfile_dirty 0\nfile_writeback 0\n"
		     "anon_thp 0\ninactive_anon 0\nactive_anon %llu\ninactive_file 0\n"
		     "active_file 0\nunevictable 0\npgfault 0\npgmajfault 0\n",
		  cur, cur);
	return 0;
}

static int show_mem_events(struct cgroup *cg, struct proc_buf *b)
{
	pb_printf(b, "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
	return 0;
}

static int show_zero(struct cgroup *cg, struct proc_buf *b)
{
	pb_printf(b, "0\n");
	return 0;
}

#define MEM_LIMIT(name, field)                                                                     \
	static int show_##name(struct cgroup *cg, struct proc_buf *b)                              \
	{                                                                                          \
		show_max(b, cg->field);                                                            \
		return 0;                                                                          \
	}                                                                                          \
	static int write_##name(struct cgroup *cg, char *buf)                                      \
	{                                                                                          \
		return parse_bytes(buf, &cg->field);                                               \
	}
MEM_LIMIT(mem_max, memory_max)
MEM_LIMIT(mem_high, memory_high)
MEM_LIMIT(swap_max, swap_max)
#undef MEM_LIMIT

/* memory.min and memory.low: "max" is allowed, and reads back as "max". */
static int show_mem_low(struct cgroup *cg, struct proc_buf *b)
{
	show_max(b, cg->memory_low);
	return 0;
}

static int write_mem_low(struct cgroup *cg, char *buf)
{
	return parse_bytes(buf, &cg->memory_low);
}

static int show_mem_min(struct cgroup *cg, struct proc_buf *b)
{
	show_max(b, cg->memory_min);
	return 0;
}

static int write_mem_min(struct cgroup *cg, char *buf)
{
	return parse_bytes(buf, &cg->memory_min);
}

/* ---- pids ---- */

static int show_pids_current(struct cgroup *cg, struct proc_buf *b)
{
	int threads;

	cg_count(cg, true, &threads, NULL);
	pb_printf(b, "%d\n", threads);
	return 0;
}

static int show_pids_max(struct cgroup *cg, struct proc_buf *b)
{
	show_max(b, cg->pids_max);
	return 0;
}

static int write_pids_max(struct cgroup *cg, char *buf)
{
	int64_t v;
	int err = parse_max(buf, INT32_MAX, &v);

	if (err == -ERANGE)
		return -EINVAL;
	if (!err)
		cg->pids_max = v;
	return err;
}

static int show_pids_events(struct cgroup *cg, struct proc_buf *b)
{
	pb_printf(b, "max %llu\n", (unsigned long long)cg->pids_events_max);
	return 0;
}

#define RO (S_IFREG | 0444)
#define RW (S_IFREG | 0644)
const struct cg_file g_cg_files[] = {
    {"cgroup.controllers", RO, -1, show_controllers},
    {"cgroup.events", RO, -1, show_events},
    {"cgroup.max.depth", RW, -1, show_max_depth, write_max_depth},
    {"cgroup.max.descendants", RW, -1, show_max_desc, write_max_desc},
    {"cgroup.procs", RW, -1, show_procs, write_procs},
    {"cgroup.stat", RO, -1, show_stat},
    {"cgroup.subtree_control", RW, -1, show_subtree, write_subtree},
    {"cgroup.threads", RW, -1, show_threads, write_threads},
    {"cgroup.type", RW, -1, show_type, write_type},
    {"cpu.max", RW, CG_CPU, show_cpu_max, write_cpu_max},
    {"cpu.stat", RO, -1, show_cpu_stat},
    {"cpu.weight", RW, CG_CPU, show_cpu_weight, write_cpu_weight},
    {"memory.current", RO, CG_MEMORY, show_mem_current},
    {"memory.events", RO, CG_MEMORY, show_mem_events},
    {"memory.high", RW, CG_MEMORY, show_mem_high, write_mem_high},
    {"memory.low", RW, CG_MEMORY, show_mem_low, write_mem_low},
    {"memory.max", RW, CG_MEMORY, show_mem_max, write_mem_max},
    {"memory.min", RW, CG_MEMORY, show_mem_min, write_mem_min},
    {"memory.stat", RO, CG_MEMORY, show_mem_stat},
    {"memory.swap.current", RO, CG_MEMORY, show_zero},
    {"memory.swap.max", RW, CG_MEMORY, show_swap_max, write_swap_max},
    {"pids.current", RO, CG_PIDS, show_pids_current},
    {"pids.events", RO, CG_PIDS, show_pids_events},
    {"pids.max", RW, CG_PIDS, show_pids_max, write_pids_max},
    {NULL},
};

bool cg_file_visible(const struct cgroup *cg, const struct cg_file *f)
{
	return f->ctrl < 0 || (cg_controllers(cg) & (1u << f->ctrl));
}
