/* sys_process.c: process identity, exit, wait and execve. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "lib/log.h"
#include "sentry/kernel/cputime.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define MAX_ARG_STRINGS 0x7fffffff
#define EXEC_STR_MAX (32 * 4096)
#define PATH_MAX_K 4096

/* Ids as the caller's pid namespace numbers them (sentry/kernel/pidns.h). */
long sys_getpid(struct task *t, const struct sysargs *a)
{
	return tg_vnr(t, t->tg);
}

long sys_gettid(struct task *t, const struct sysargs *a)
{
	return task_vnr(t, t);
}

/* 0 for a namespace's init: its parent is outside, invisible. */
long sys_getppid(struct task *t, const struct sysargs *a)
{
	return t->tg->parent ? tg_vnr(t, t->tg->parent) : 0;
}

long sys_exit(struct task *t, const struct sysargs *a)
{
	t->exit_now = true;
	t->exit_code = arg_int(a, 0);
	return 0;
}

long sys_exit_group(struct task *t, const struct sysargs *a)
{
	tg_do_exit_group(t, (arg_int(a, 0) & 0xff) << 8);
	t->exit_code = arg_int(a, 0);
	return 0;
}

/* Does child c match wait4's pid argument for caller tg? */
static bool wait_matches(struct thread_group *me, struct thread_group *c, int pid)
{
	if (pid > 0)
		return c->tgid == pid;
	if (pid == -1)
		return true;
	if (pid == 0)
		return c->pgid == me->pgid;
	return c->pgid == -pid;
}

struct wait_result {
	int pid, status, uid;
	int code; /* CLD_STOPPED / CLD_CONTINUED for job-control reports, else 0 */
	struct cputime cpu; /* an exited child's own and its children's times (wait4 rusage) */
};

/* A stopped or continued child to report (WUNTRACED / WCONTINUED)? */
static bool wait_jobctl(struct thread_group *c, int options, bool nowait, struct wait_result *res)
{
	if ((options & WUNTRACED) && c->stop_report && c->stopped) {
		res->status = (c->stop_sig << 8) | 0x7f;
		res->code = CLD_STOPPED;
		if (!nowait)
			c->stop_report = false;
	} else if ((options & WCONTINUED) && c->cont_report) {
		res->status = 0xffff;
		res->code = CLD_CONTINUED;
		if (!nowait)
			c->cont_report = false;
	} else {
		return false;
	}
	res->pid = c->tgid;
	res->uid = c->leader ? (int)c->leader->creds.uid : 0;
	return true;
}

/* Find a child matching pid with something to report: a zombie (reaped unless nowait),
 * or a stop/continue the options ask for. Returns 1 found, 0 children exist but none
 * ready, -ECHILD none match. */
static int wait_find(struct task *t, int pid, int options, struct wait_result *res)
{
	bool nowait = options & WNOWAIT;
	struct list_head *pos;
	bool any = false;

	list_for_each(pos, &t->tg->children) {
		struct thread_group *c = list_entry(pos, struct thread_group, sibling);
		if (!wait_matches(t->tg, c, pid))
			continue;
		any = true;
		if (!c->zombie && wait_jobctl(c, options, nowait, res)) {
			res->pid = tg_vnr(t, c);
			return 1;
		}
		if (!c->zombie || !(options & WEXITED))
			continue;
		res->code = 0;
		res->pid = tg_vnr(t, c); /* as the caller numbers it (its pid goes with it) */
		res->status = c->exit_status;
		res->uid = c->leader ? (int)c->leader->creds.uid : 0;
		res->cpu = cputime_tg(c);
		res->cpu.utime_ns += c->child_utime_ns;
		res->cpu.stime_ns += c->child_stime_ns;
		if (!nowait)
			tg_release_zombie(c);
		return 1;
	}
	return any ? 0 : -ECHILD;
}

static int wait_common(struct task *t, int pid, int options, struct wait_result *res)
{
	int r;

	/* A pid or process group named in the caller's namespace; none there: no child. */
	if (pid > 0 || pid < -1) {
		int nr = pid_from_vnr(t, pid > 0 ? pid : -pid);
		if (nr < 0)
			return -ECHILD;
		pid = pid > 0 ? nr : -nr;
	}
	for (;;) {
		r = wait_find(t, pid, options, res);
		if (r != 0)
			return r;
		if (options & WNOHANG)
			return 0;
		if (task_block(t, &t->tg->child_wq, NULL) == -EINTR)
			return -ERESTARTSYS;
	}
}

long sys_wait4(struct task *t, const struct sysargs *a)
{
	int pid = arg_int(a, 0), options = arg_int(a, 2);
	uaddr_t ustatus = arg_uaddr(a, 1), urusage = arg_uaddr(a, 3);
	struct wait_result res = {0};
	int r;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	/* wait4 always reports exits; WUNTRACED/WCONTINUED add job-control changes. */
	r = wait_common(t, pid, (options & (WNOHANG | WUNTRACED | WCONTINUED)) | WEXITED, &res);
	if (r <= 0)
		return r;
	if (!uaddr_is_null(ustatus) && copy_to_user(t, ustatus, &res.status, sizeof(int)))
		return -EFAULT;
	if (!uaddr_is_null(urusage)) {
		struct rusage ru;
		cputime_to_rusage(&ru, res.cpu);
		if (copy_to_user(t, urusage, &ru, sizeof(ru)))
			return -EFAULT;
	}
	return res.pid;
}

long sys_waitid(struct task *t, const struct sysargs *a)
{
	int idtype = arg_int(a, 0), id = arg_int(a, 1), options = arg_int(a, 3), pid;
	uaddr_t uinfo = arg_uaddr(a, 2);
	struct wait_result res = {0};
	siginfo_t info;
	int r;

	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD |
			__WCLONE | __WALL))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (idtype) {
	case P_ALL: pid = -1; break;
	case P_PID: if (id <= 0) return -EINVAL; pid = id; break;
	case P_PGID: if (id < 0) return -EINVAL; pid = id ? -id : 0; break;
	case P_PIDFD:
		pid = pidfd_to_pid(t, id);
		if (pid < 0)
			return pid;
		if (pid == 0)
			return -ECHILD; /* outside the caller's pid namespace: no child of it */
		break;
	default: return -EINVAL;
	}
	/* waitid spells WUNTRACED as WSTOPPED (the same bit). */
	r = wait_common(t, pid, options & (WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED), &res);
	if (r < 0)
		return r;
	memset(&info, 0, sizeof(info));
	if (r == 1) {
		info.si_signo = SIGCHLD;
		info.si_pid = res.pid;
		info.si_uid = (uid_t)res.uid;
		if (res.code) {
			info.si_code = res.code;
			info.si_status = res.code == CLD_STOPPED ? WSTOPSIG(res.status) : SIGCONT;
		} else if (WIFEXITED(res.status)) {
			info.si_code = CLD_EXITED;
			info.si_status = WEXITSTATUS(res.status);
		} else {
			info.si_code = WCOREDUMP(res.status) ? CLD_DUMPED : CLD_KILLED;
			info.si_status = WTERMSIG(res.status);
		}
	}
	if (!uaddr_is_null(uinfo) && copy_to_user(t, uinfo, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/* Copy a NULL-terminated array of strings from the application. Each string goes
 * through one scratch buffer: a buffer of EXEC_STR_MAX per string was a host mmap, mremap
 * and munmap each (~120 host syscalls for a shell's environment). */
static int copy_strings(struct task *t, uaddr_t uvec, char ***out)
{
	char **v = NULL, *s = NULL;
	size_t n = 0, total = 0;
	int err = 0;

	*out = NULL;
	for (; !uaddr_is_null(uvec); n++) {
		uint64_t p;
		if (n >= MAX_ARG_STRINGS || total > (64U << 20)) {
			err = -E2BIG;
			break;
		}
		if (copy_from_user(t, &p, uaddr_add(uvec, n * 8), 8)) {
			err = -EFAULT;
			break;
		}
		if (!p)
			break;
		if (!s)
			s = xmalloc(EXEC_STR_MAX);
		long len = strncpy_from_user(t, s, uaddr(p), EXEC_STR_MAX);
		if (len < 0) {
			err = len == -ENAMETOOLONG ? -E2BIG : (int)len;
			break;
		}
		total += (size_t)len + 1;
		v = xrealloc(v, (n + 2) * sizeof(char *));
		v[n] = xmalloc((size_t)len + 1);
		memcpy(v[n], s, (size_t)len + 1);
		v[n + 1] = NULL;
	}
	free(s);
	if (!v)
		v = xcalloc(1, sizeof(char *));
	*out = v;
	return err;
}

static void free_strings(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static long do_execveat(struct task *t, int dirfd, uaddr_t upath, uaddr_t uargv, uaddr_t uenvp,
			int flags)
{
	char path[PATH_MAX_K], **argv = NULL, **envp = NULL;
	long len;
	int err;

	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	len = strncpy_from_user(t, path, upath, sizeof(path));
	if (len < 0)
		return len;
	err = copy_strings(t, uargv, &argv);
	if (!err)
		err = copy_strings(t, uenvp, &envp);
	if (!err)
		err = len == 0 && !(flags & AT_EMPTY_PATH)
			      ? -ENOENT
			      : kernel_execveat(t, dirfd, path, flags, argv, envp);
	free_strings(argv);
	free_strings(envp);
	return err;
}

long sys_execve(struct task *t, const struct sysargs *a)
{
	return do_execveat(t, AT_FDCWD, arg_uaddr(a, 0), arg_uaddr(a, 1), arg_uaddr(a, 2), 0);
}

long sys_execveat(struct task *t, const struct sysargs *a)
{
	return do_execveat(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uaddr(a, 2), arg_uaddr(a, 3),
			   arg_int(a, 4));
}

long sys_set_tid_address(struct task *t, const struct sysargs *a)
{
	t->clear_child_tid = arg_uaddr(a, 0);
	return task_vnr(t, t);
}

long sys_set_robust_list(struct task *t, const struct sysargs *a)
{
	if (arg_u64(a, 1) != 24)
		return -EINVAL;
	t->robust_list = arg_uaddr(a, 0);
	t->robust_list_len = arg_u64(a, 1);
	return 0;
}

long sys_get_robust_list(struct task *t, const struct sysargs *a)
{
	int pid = arg_int(a, 0);
	struct task *target = pid ? task_find(pid_from_vnr(t, pid)) : t;
	uint64_t head, len = 24;

	if (!target)
		return -ESRCH;
	head = target->robust_list.v;
	if (copy_to_user(t, arg_uaddr(a, 1), &head, 8) || copy_to_user(t, arg_uaddr(a, 2), &len, 8))
		return -EFAULT;
	return 0;
}
