/* proc_pid.c: /proc/PID and /proc/PID/task/TID: their entry tables and the simple files
 * (cmdline, environ, comm, auxv, limits, cgroup, maps, smaps, mounts), the exe/cwd/root magic
 * links and the ns/ directory. stat, status and statm are in proc_stat.c. */
#include "sentry/fs/proc/proc_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "sentry/fs/cgroup/cgroup.h"
#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/mm_proc.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/mount.h"

int proc_show_stat(const struct proc_node *n, struct proc_buf *b);   /* proc_stat.c */
int proc_show_status(const struct proc_node *n, struct proc_buf *b); /* proc_stat.c */
int proc_show_statm(const struct proc_node *n, struct proc_buf *b);  /* proc_stat.c */

#define PROC_ARGS_MAX (1 << 20) /* cmdline/environ shown at most */

/* Copy [start, end) of the process's memory into b (what it could read). */
static int show_user_range(const struct proc_node *n, struct proc_buf *b, bool env)
{
	struct mm *mm = proc_get_mm(n->tgid);
	uint64_t start, end;
	char chunk[4096];

	if (!mm)
		return proc_tg_exists(n->tgid) ? 0 : -ESRCH; /* zombies show nothing */
	start = env ? mm->env_start : mm->arg_start;
	end = env ? mm->env_end : mm->arg_end;
	if (end > start && end - start > PROC_ARGS_MAX)
		end = start + PROC_ARGS_MAX;
	while (start < end) {
		size_t len = MIN(sizeof(chunk), end - start);

		if (mm_copy_in(mm, chunk, start, len) < 0)
			break;
		pb_write(b, chunk, len);
		start += len;
	}
	mm_put(mm);
	return 0;
}

static int show_cmdline(const struct proc_node *n, struct proc_buf *b)
{
	return show_user_range(n, b, false);
}

static int show_environ(const struct proc_node *n, struct proc_buf *b)
{
	return show_user_range(n, b, true);
}

static int show_comm(const struct proc_node *n, struct proc_buf *b)
{
	struct proc_task_info info;
	int ret = proc_task_info(n->tgid, n->tid, &info);

	if (ret == 0)
		pb_printf(b, "%s\n", info.comm);
	return ret;
}

static ssize_t write_comm(const struct proc_node *n, const char *buf, size_t size)
{
	size_t len = size;
	int ret;

	if (len && buf[len - 1] == '\n')
		len--;
	ret = proc_set_comm(n->tgid, n->tid, buf, len);
	return ret < 0 ? ret : (ssize_t)size;
}

/* ---- oom_score_adj, oom_adj ---- */

#define PROC_NUMBUF 13	      /* Linux reads at most 12 bytes of a number written here */
#define OOM_SCORE_ADJ_MAX 1000
#define OOM_ADJUST_MAX 15     /* oom_adj: -16..15, and -17 = OOM_DISABLE */
#define OOM_DISABLE (-17)

static int digit_value(char c)
{
	if (isdigit((unsigned char)c))
		return c - '0';
	if (isxdigit((unsigned char)c))
		return tolower((unsigned char)c) - 'a' + 10;
	return 99;
}

/* Linux's kstrtoint(strstrip(text), 0, ...) of a write's first 12 bytes: 0, -EINVAL
 * (nothing or garbage) or -ERANGE (beyond int). */
static int parse_proc_int(const char *buf, size_t size, int *out)
{
	char text[PROC_NUMBUF], *p = text, *end;
	size_t len = MIN(size, sizeof(text) - 1);
	unsigned long long v = 0;
	unsigned base = 10;
	bool neg = false, overflow = false;
	int ndigits = 0;

	memcpy(text, buf, len);
	text[len] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (*p == '-')
		neg = true;
	if (*p == '-' || *p == '+')
		p++;
	if (p[0] == '0' && tolower((unsigned char)p[1]) == 'x' && isxdigit((unsigned char)p[2])) {
		base = 16;
		p += 2;
	} else if (p[0] == '0') {
		base = 8;
	}
	for (; *p && (unsigned)digit_value(*p) < base; p++, ndigits++) {
		unsigned d = (unsigned)digit_value(*p);
		if (v > (ULLONG_MAX - d) / base)
			overflow = true;
		v = v * base + d;
	}
	if (overflow)
		return -ERANGE;
	if (!ndigits || *p)
		return -EINVAL;
	if (neg ? v > (unsigned long long)INT_MAX + 1 : v > INT_MAX)
		return -ERANGE;
	*out = neg ? (int)-(long long)v : (int)v;
	return 0;
}

static int show_oom_score_adj(const struct proc_node *n, struct proc_buf *b)
{
	int adj, ret = proc_get_oom_score_adj(n->tgid, &adj);

	if (ret == 0)
		pb_printf(b, "%d\n", adj);
	return ret;
}

static ssize_t write_oom_score_adj(const struct proc_node *n, const char *buf, size_t size)
{
	int adj, ret = parse_proc_int(buf, size, &adj);

	if (!ret && (adj < -OOM_SCORE_ADJ_MAX || adj > OOM_SCORE_ADJ_MAX))
		ret = -EINVAL;
	if (!ret)
		ret = proc_set_oom_score_adj(t_current, n->tgid, adj, false);
	return ret < 0 ? ret : (ssize_t)MIN(size, PROC_NUMBUF - 1);
}

/* The legacy scale: -17..15, where 15 is +1000 and -17 is -1000. */
static int show_oom_adj(const struct proc_node *n, struct proc_buf *b)
{
	int adj, ret = proc_get_oom_score_adj(n->tgid, &adj);

	if (ret == 0)
		pb_printf(b, "%d\n", adj == OOM_SCORE_ADJ_MAX ? OOM_ADJUST_MAX
							  : adj * -OOM_DISABLE / OOM_SCORE_ADJ_MAX);
	return ret;
}

static ssize_t write_oom_adj(const struct proc_node *n, const char *buf, size_t size)
{
	int adj, ret = parse_proc_int(buf, size, &adj);

	if (!ret && (adj < OOM_DISABLE + 1 || adj > OOM_ADJUST_MAX) && adj != OOM_DISABLE)
		ret = -EINVAL;
	if (!ret) {
		adj = adj == OOM_ADJUST_MAX ? OOM_SCORE_ADJ_MAX
					    : adj * OOM_SCORE_ADJ_MAX / -OOM_DISABLE;
		ret = proc_set_oom_score_adj(t_current, n->tgid, adj, true);
	}
	return ret < 0 ? ret : (ssize_t)MIN(size, PROC_NUMBUF - 1);
}

static int show_auxv(const struct proc_node *n, struct proc_buf *b)
{
	struct mm *mm = proc_get_mm(n->tgid);

	if (!mm)
		return proc_tg_exists(n->tgid) ? 0 : -ESRCH;
	pb_write(b, mm->auxv, (size_t)mm->auxv_len * sizeof(uint64_t));
	mm_put(mm);
	return 0;
}

static const struct {
	const char *name, *unit;
} g_limit_names[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = {"Max cpu time", "seconds"},
	[RLIMIT_FSIZE] = {"Max file size", "bytes"},
	[RLIMIT_DATA] = {"Max data size", "bytes"},
	[RLIMIT_STACK] = {"Max stack size", "bytes"},
	[RLIMIT_CORE] = {"Max core file size", "bytes"},
	[RLIMIT_RSS] = {"Max resident set", "bytes"},
	[RLIMIT_NPROC] = {"Max processes", "processes"},
	[RLIMIT_NOFILE] = {"Max open files", "files"},
	[RLIMIT_MEMLOCK] = {"Max locked memory", "bytes"},
	[RLIMIT_AS] = {"Max address space", "bytes"},
	[RLIMIT_LOCKS] = {"Max file locks", "locks"},
	[RLIMIT_SIGPENDING] = {"Max pending signals", "signals"},
	[RLIMIT_MSGQUEUE] = {"Max msgqueue size", "bytes"},
	[RLIMIT_NICE] = {"Max nice priority", NULL},
	[RLIMIT_RTPRIO] = {"Max realtime priority", NULL},
	[RLIMIT_RTTIME] = {"Max realtime timeout", "us"},
};

static void limit_value(struct proc_buf *b, rlim_t v)
{
	if (v == RLIM_INFINITY)
		pb_printf(b, "%-20s ", "unlimited");
	else
		pb_printf(b, "%-20llu ", (unsigned long long)v);
}

static int show_limits(const struct proc_node *n, struct proc_buf *b)
{
	struct proc_task_info info;
	int ret = proc_task_info(n->tgid, n->tid, &info);

	if (ret < 0)
		return ret;
	pb_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int i = 0; i < RLIM_NLIMITS; i++) {
		pb_printf(b, "%-25s ", g_limit_names[i].name);
		limit_value(b, info.rlim[i].rlim_cur);
		limit_value(b, info.rlim[i].rlim_max);
		if (g_limit_names[i].unit)
			pb_printf(b, "%-10s\n", g_limit_names[i].unit);
		else
			pb_printf(b, "\n");
	}
	return 0;
}

/* cgroup v2 only: "0::" and the process's path in the hierarchy (sentry/fs/cgroup). */
static int show_cgroup(const struct proc_node *n, struct proc_buf *b)
{
	struct cgroup *cg = proc_tg_cgroup(n->tgid);
	char path[VFS_PATH_MAX];

	if (!cg)
		return -ESRCH;
	if (cgroup_path(cg, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	pb_printf(b, "0::%s\n", path);
	return 0;
}

static int show_zero(const struct proc_node *n, struct proc_buf *b)
{
	pb_printf(b, "0\n");
	return 0;
}

static int show_vmas(const struct proc_node *n, struct proc_buf *b,
		     size_t (*format)(struct mm *, struct task *, char *, size_t))
{
	struct mm *mm = proc_get_mm(n->tgid);
	struct task *viewer = t_current;
	size_t need;

	if (!mm)
		return proc_tg_exists(n->tgid) ? 0 : -ESRCH;
	need = format(mm, viewer, NULL, 0);
	b->cap = need + 1;
	b->buf = xrealloc(b->buf, b->cap);
	b->len = format(mm, viewer, b->buf, b->cap);
	if (b->len > need)
		b->len = need;
	mm_put(mm);
	return 0;
}

static int show_maps(const struct proc_node *n, struct proc_buf *b)
{
	return show_vmas(n, b, mm_format_maps);
}

static int show_smaps(const struct proc_node *n, struct proc_buf *b)
{
	return show_vmas(n, b, mm_format_smaps);
}

/* ---- exe, cwd, root: magic links ---- */

enum link_kind { LINK_EXE, LINK_CWD, LINK_ROOT };

/* The object of a link, referenced. */
static int link_target(const struct proc_node *n, enum link_kind k, struct path *out)
{
	if (k == LINK_EXE) {
		struct mm *mm = proc_get_mm(n->tgid);
		struct file *f = mm ? mm_exe_file(mm) : NULL;

		if (mm)
			mm_put(mm);
		if (!f)
			return -ENOENT;
		*out = f->path;
		path_get(out);
		file_put(f);
		return 0;
	}
	struct fs_context *fs = proc_get_fs(n->tgid);

	if (!fs)
		return -ENOENT;
	*out = k == LINK_CWD ? fs->cwd : fs->root;
	path_get(out);
	fs_context_put(fs);
	return 0;
}

static ssize_t link_text(const struct proc_node *n, enum link_kind k, char *buf, size_t size)
{
	struct path p;
	char *tmp;
	ssize_t len;
	int ret = link_target(n, k, &p);

	if (ret < 0)
		return ret;
	tmp = xmalloc(VFS_PATH_MAX + 16);
	len = proc_path_name(&p, tmp, VFS_PATH_MAX);
	if (len > 0) {
		len--; /* without the NUL */
		if (!p.dentry->hashed) {
			strcat(tmp, " (deleted)");
			len += 10;
		}
		len = MIN((size_t)len, size);
		memcpy(buf, tmp, (size_t)len);
	}
	free(tmp);
	path_put(&p);
	return len;
}

#define LINK_FNS(kind, lname)                                                              \
	static ssize_t lname##_link(const struct proc_node *n, char *buf, size_t size)     \
	{                                                                                  \
		return link_text(n, kind, buf, size);                                      \
	}                                                                                  \
	static int lname##_get_link(struct task *t, const struct path *l,                  \
				    const struct proc_node *n, struct path *out)           \
	{                                                                                  \
		return link_target(n, kind, out);                                          \
	}

LINK_FNS(LINK_EXE, exe)
LINK_FNS(LINK_CWD, cwd)
LINK_FNS(LINK_ROOT, root)

/* ---- ns/ ---- */

static unsigned long mnt_ns_ino_of(int tgid)
{
	struct fs_context *fs = proc_get_fs(tgid);
	unsigned long ino;

	if (!fs)
		return 0;
	ino = (unsigned long)mnt_ns_ino(fs->mnt_ns);
	fs_context_put(fs);
	return ino;
}

static const struct {
	const char *name;
	unsigned long ino;
} g_ns[] = {
	{"cgroup", 4026531835UL}, {"ipc", 4026531839UL}, {"mnt", 4026531841UL},
	{"net", 4026531840UL}, {"pid", 4026531836UL}, {"pid_for_children", 4026531836UL},
	{"time", 4026531834UL}, {"time_for_children", 4026531834UL},
	{"user", 4026531837UL}, {"uts", 4026531838UL},
};

static ssize_t ns_link(const struct proc_node *n, char *buf, size_t size)
{
	char tmp[64];
	int len = 0;

	for (size_t i = 0; i < ARRAY_SIZE(g_ns); i++) {
		if (!strcmp(g_ns[i].name, n->ent->name)) {
			const char *kind = g_ns[i].name;
			size_t klen = strcspn(kind, "_");

			unsigned long ino = g_ns[i].ino;

			/* pid namespaces are real: each has its own number. */
			if (!strncmp(kind, "pid", 3))
				ino = proc_pidns_ino(n->tgid, n->tid == n->tgid ? 0 : n->tid,
						     kind[3] == '_');
			if (!strcmp(kind, "mnt"))
				ino = mnt_ns_ino_of(n->tgid);
			if (!ino)
				return -ENOENT;
			len = snprintf(tmp, sizeof(tmp), "%.*s:[%lu]", (int)klen, kind, ino);
		}
	}
	if (len <= 0)
		return -ENOENT;
	len = (int)MIN((size_t)len, size);
	memcpy(buf, tmp, (size_t)len);
	return len;
}

#define NS_ENT(n) {n, S_IFLNK | 0777, .link = ns_link}
static const struct proc_ent g_ns_ents[] = {
	NS_ENT("cgroup"), NS_ENT("ipc"), NS_ENT("mnt"), NS_ENT("net"), NS_ENT("pid"),
	NS_ENT("pid_for_children"), NS_ENT("time"), NS_ENT("time_for_children"),
	NS_ENT("user"), NS_ENT("uts"), {NULL},
};

/* ---- the tables ---- */

#define PID_COMMON_ENTS                                                                    \
	{"auxv", S_IFREG | 0400, show_auxv},                                               \
	{"cgroup", S_IFREG | 0444, show_cgroup},                                           \
	{"cmdline", S_IFREG | 0444, show_cmdline},                                         \
	{"comm", S_IFREG | 0644, show_comm, write_comm},                                   \
	{"cwd", S_IFLNK | 0777, .link = cwd_link, .get_link = cwd_get_link},               \
	{"environ", S_IFREG | 0400, show_environ},                                         \
	{"exe", S_IFLNK | 0777, .link = exe_link, .get_link = exe_get_link},               \
	{"limits", S_IFREG | 0444, show_limits},                                           \
	{"maps", S_IFREG | 0444, show_maps},                                               \
	{"mountinfo", S_IFREG | 0444, proc_show_mountinfo},                                \
	{"mounts", S_IFREG | 0444, proc_show_mounts},                                      \
	{"ns", S_IFDIR | 0511, .children = g_ns_ents},                                     \
	{"oom_adj", S_IFREG | 0644, show_oom_adj, write_oom_adj},                          \
	{"oom_score", S_IFREG | 0444, show_zero},                                          \
	{"oom_score_adj", S_IFREG | 0644, show_oom_score_adj, write_oom_score_adj},        \
	{"root", S_IFLNK | 0777, .link = root_link, .get_link = root_get_link},            \
	{"smaps", S_IFREG | 0444, show_smaps},                                             \
	{"stat", S_IFREG | 0444, proc_show_stat},                                          \
	{"statm", S_IFREG | 0444, proc_show_statm},                                        \
	{"status", S_IFREG | 0444, proc_show_status}

static const struct proc_ent g_tid_ents[] = {
	PID_COMMON_ENTS,
	{NULL},
};

/* fd/, fdinfo/ and task/ come from proc_fd.c: the tables point at them by lookup. */
static int pid_extra_lookup(struct super_block *sb, const struct proc_node *dir,
			    const char *name, struct inode **out)
{
	const struct proc_ent *e = NULL;

	if (!strcmp(name, "fd"))
		e = &g_proc_fd_ent;
	else if (!strcmp(name, "fdinfo"))
		e = &g_proc_fdinfo_ent;
	else if (!strcmp(name, "task") && dir->ent == &g_proc_tgid_ent)
		e = &g_proc_task_ent;
	if (!e)
		return -ENOENT;
	*out = proc_inode_new(sb, e, dir->tgid, dir->tid, -1);
	return 0;
}

static int pid_extra_readdir(const struct proc_node *dir, vfs_dirent_fn fn, void *arg)
{
	if (proc_emit(fn, arg, "fd", &g_proc_fd_ent, dir->tgid, dir->tid, -1) ||
	    proc_emit(fn, arg, "fdinfo", &g_proc_fdinfo_ent, dir->tgid, dir->tid, -1))
		return 0;
	if (dir->ent == &g_proc_tgid_ent)
		proc_emit(fn, arg, "task", &g_proc_task_ent, dir->tgid, dir->tid, -1);
	return 0;
}

static const struct proc_dir_ops g_pid_dops = {
	.lookup = pid_extra_lookup,
	.readdir = pid_extra_readdir,
};

const struct proc_ent g_proc_tgid_ent = {
	"pid", S_IFDIR | 0555, .children = g_tid_ents, .dops = &g_pid_dops,
};

const struct proc_ent g_proc_tid_ent = {
	"tid", S_IFDIR | 0555, .children = g_tid_ents, .dops = &g_pid_dops, .tid_scope = true,
};
