/* proc_stat.c: /proc/PID/stat, status and statm, formatted field for field as Linux
 * does (fs/proc/array.c's layout), from kernel snapshots and the mm's statistics. */
#include "sentry/fs/proc/proc_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "sentry/fs/dev/tty.h"
#include "sentry/kernel/proc_api.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/mm_proc.h"
#include "sentry/vfs/file.h"

#define CLK_TCK 100

int proc_show_stat(const struct proc_node *n, struct proc_buf *b);
int proc_show_status(const struct proc_node *n, struct proc_buf *b);
int proc_show_statm(const struct proc_node *n, struct proc_buf *b);

static void stats_of(int tgid, struct mm_stats *st, struct mm **mmp)
{
	struct mm *mm = proc_get_mm(tgid);

	memset(st, 0, sizeof(*st));
	if (mm)
		mm_get_stats(mm, st);
	*mmp = mm;
}

int proc_show_stat(const struct proc_node *n, struct proc_buf *b)
{
	struct proc_task_info in;
	struct mm_stats st;
	struct mm *mm;
	uint64_t start;
	dev_t tty = 0;
	int fg = -1, ret = proc_task_info_ns(n->ns, n->tgid, n->tid, &in);

	if (ret < 0)
		return ret;
	if (tty_session_info(in.sid, &tty, &fg) < 0) {
		tty = 0;
		fg = -1;
	} else if (fg > 0) {
		fg = proc_pid_view(n->ns, fg);
	}
	stats_of(n->tgid, &st, &mm);
	start = in.start_ns > proc_boot_ns() ? (in.start_ns - proc_boot_ns()) / (1000000000 / CLK_TCK)
					      : 0;
	pb_printf(b, "%d (%s) %c %d %d %d %u %d %u ", in.v_tid, in.comm, in.state, in.v_ppid,
		  in.v_pgid, in.v_sid, (unsigned)(((major(tty) & 0xfff) << 8) | (minor(tty) & 0xff) |
					     ((minor(tty) & ~0xffu) << 12)),
		  fg, 0x400000u /* PF_RANDOMIZE-like flags: a user task */);
	/* minflt..cmajflt (not counted), utime, stime, cutime, cstime in ticks, priority
	 * (20 + nice, or -1 - rt priority), nice, threads, itrealvalue. */
	pb_printf(b, "0 0 0 0 %llu %llu %llu %llu %d %d %d 0 %llu %llu %llu %llu ",
		  (unsigned long long)(in.utime_ns / (1000000000 / CLK_TCK)),
		  (unsigned long long)(in.stime_ns / (1000000000 / CLK_TCK)),
		  (unsigned long long)(in.cutime_ns / (1000000000 / CLK_TCK)),
		  (unsigned long long)(in.cstime_ns / (1000000000 / CLK_TCK)),
		  in.policy == 1 || in.policy == 2 ? -1 - in.rt_prio : 20 + in.nice, in.nice,
		  in.nr_threads, (unsigned long long)start, (unsigned long long)st.vsize,
		  (unsigned long long)(st.rss / 4096),
		  (unsigned long long)in.rlim[RLIMIT_RSS].rlim_cur);
	pb_printf(b, "%llu %llu %llu 0 0 ", mm ? 0x400000ULL : 0ULL, mm ? 0x400000ULL : 0ULL,
		  mm ? (unsigned long long)mm->stack_top : 0ULL);
	/* signal, blocked, sigignore, sigcatch: the obsolete decimal masks of 1..31. */
	/* ... wchan, nswap, cnswap, exit_signal, processor, rt_priority, policy, ... */
	pb_printf(b, "%llu %llu %llu %llu 0 0 0 %d 0 %d %d 0 0 0 ",
		  (unsigned long long)((in.sigpnd | in.shdpnd) & 0x7fffffff),
		  (unsigned long long)(in.sigblk & 0x7fffffff),
		  (unsigned long long)(in.sigign & 0x7fffffff),
		  (unsigned long long)(in.sigcgt & 0x7fffffff), in.exit_signal,
		  in.policy == 1 || in.policy == 2 ? in.rt_prio : 0, in.policy);
	pb_printf(b, "%llu %llu %llu %llu %llu %llu %llu 0\n",
		  mm ? (unsigned long long)mm->brk_start : 0ULL,
		  mm ? (unsigned long long)mm->brk_start : 0ULL,
		  mm ? (unsigned long long)mm->brk_start : 0ULL,
		  mm ? (unsigned long long)mm->arg_start : 0ULL,
		  mm ? (unsigned long long)mm->arg_end : 0ULL,
		  mm ? (unsigned long long)mm->env_start : 0ULL,
		  mm ? (unsigned long long)mm->env_end : 0ULL);
	if (mm)
		mm_put(mm);
	return 0;
}

int proc_show_statm(const struct proc_node *n, struct proc_buf *b)
{
	struct mm_stats st;
	struct mm *mm;

	if (!proc_tg_exists(n->tgid))
		return -ESRCH;
	stats_of(n->tgid, &st, &mm);
	pb_printf(b, "%llu %llu %llu %llu 0 %llu 0\n", (unsigned long long)(st.vsize / 4096),
		  (unsigned long long)(st.rss / 4096), (unsigned long long)(st.shared / 4096),
		  (unsigned long long)(st.text / 4096), (unsigned long long)(st.data / 4096));
	if (mm)
		mm_put(mm);
	return 0;
}

static const char *state_name(char s)
{
	switch (s) {
	case 'R':
		return "R (running)";
	case 'S':
		return "S (sleeping)";
	case 'Z':
		return "Z (zombie)";
	case 'T':
		return "T (stopped)";
	default:
		return "X (dead)";
	}
}

/* One number per pid namespace level, from this /proc's down to the task's. */
static void ns_column(struct proc_buf *b, const char *name, const int *nr, int n)
{
	pb_printf(b, "%s", name);
	for (int i = 0; i < n; i++)
		pb_printf(b, "\t%d", nr[i]);
}

static void status_ids(struct proc_buf *b, const struct proc_task_info *in)
{
	int fdsize = 0;
	struct fdtable *ft = proc_get_files(in->tgid);
	struct fs_context *fs = proc_get_fs(in->tgid);

	if (ft) {
		for (int fd = fdtable_next_fd(ft, 0); fd >= 0; fd = fdtable_next_fd(ft, fd + 1))
			fdsize = fd + 1;
		fdtable_put(ft);
	}
	/* Linux reports the table's allocated size: a multiple of 64. */
	fdsize = fdsize <= 64 ? 64 : ALIGN_UP(fdsize, 64);
	if (fs) {
		pb_printf(b, "Umask:\t%04o\n", fs->umask);
		fs_context_put(fs);
	}
	pb_printf(b, "State:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n",
		  state_name(in->state), in->v_tgid, in->v_tid, in->v_ppid);
	pb_printf(b, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nGroups:\t",
		  in->uid, in->euid, in->suid, in->fsuid, in->gid, in->egid, in->sgid, in->fsgid,
		  fdsize);
	for (int i = 0; i < in->ngroups; i++)
		pb_printf(b, "%u ", in->groups[i]);
	ns_column(b, "\nNStgid:", in->ns_tgid, in->ns_count);
	ns_column(b, "\nNSpid:", in->ns_tid, in->ns_count);
	ns_column(b, "\nNSpgid:", in->ns_pgid, in->ns_count);
	ns_column(b, "\nNSsid:", in->ns_sid, in->ns_count);
	pb_printf(b, "\nKthread:\t0\n");
}

static void status_vm(struct proc_buf *b, int tgid)
{
	struct mm_stats st;
	struct mm *mm;

	stats_of(tgid, &st, &mm);
	if (!mm)
		return;
	pb_printf(b, "VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\nVmLck:\t%8d kB\nVmPin:\t%8d kB\n",
		  (unsigned long long)(st.vsize >> 10), (unsigned long long)(st.vsize >> 10), 0,
		  0);
	pb_printf(b, "VmHWM:\t%8llu kB\nVmRSS:\t%8llu kB\nRssAnon:\t%8llu kB\n",
		  (unsigned long long)(st.rss >> 10), (unsigned long long)(st.rss >> 10),
		  (unsigned long long)((st.rss - st.shared) >> 10));
	pb_printf(b, "RssFile:\t%8llu kB\nRssShmem:\t%8d kB\nVmData:\t%8llu kB\n",
		  (unsigned long long)(st.shared >> 10), 0, (unsigned long long)(st.data >> 10));
	pb_printf(b, "VmStk:\t%8llu kB\nVmExe:\t%8llu kB\nVmLib:\t%8llu kB\n",
		  (unsigned long long)(st.stack >> 10), (unsigned long long)(st.text >> 10),
		  (unsigned long long)(st.lib >> 10));
	pb_printf(b, "VmPTE:\t%8llu kB\nVmSwap:\t%8d kB\nHugetlbPages:\t%8d kB\n",
		  (unsigned long long)((st.vsize >> 21) * 8 / 1024 + 4), 0, 0);
	pb_printf(b, "CoreDumping:\t0\nTHP_enabled:\t1\n");
	mm_put(mm);
}

int proc_show_status(const struct proc_node *n, struct proc_buf *b)
{
	struct proc_task_info in;
	int ret = proc_task_info_ns(n->ns, n->tgid, n->tid, &in);

	if (ret < 0)
		return ret;
	pb_printf(b, "Name:\t%s\n", in.comm);
	status_ids(b, &in);
	if (in.state != 'Z')
		status_vm(b, n->tgid);
	pb_printf(b, "Threads:\t%d\nSigQ:\t%d/%llu\n", in.nr_threads, in.sigq,
		  (unsigned long long)in.rlim[RLIMIT_SIGPENDING].rlim_cur);
	pb_printf(b, "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\n",
		  (unsigned long long)in.sigpnd, (unsigned long long)in.shdpnd,
		  (unsigned long long)in.sigblk);
	pb_printf(b, "SigIgn:\t%016llx\nSigCgt:\t%016llx\n", (unsigned long long)in.sigign,
		  (unsigned long long)in.sigcgt);
	pb_printf(b, "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\n",
		  (unsigned long long)in.cap_inh, (unsigned long long)in.cap_prm,
		  (unsigned long long)in.cap_eff);
	pb_printf(b, "CapBnd:\t%016llx\nCapAmb:\t%016llx\nNoNewPrivs:\t%d\n",
		  (unsigned long long)in.cap_bnd, (unsigned long long)in.cap_amb,
		  in.no_new_privs ? 1 : 0);
	pb_printf(b, "Seccomp:\t%d\nSeccomp_filters:\t%d\n", in.seccomp_mode, in.seccomp_filters);
	pb_printf(b, "Speculation_Store_Bypass:\tthread vulnerable\n");
	pb_printf(b, "Cpus_allowed:\t%x\nCpus_allowed_list:\t", proc_cpu_mask());
	proc_print_cpu_list(b);
	pb_printf(b, "\nMems_allowed:\t1\nMems_allowed_list:\t0\n");
	pb_printf(b, "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
	return 0;
}
