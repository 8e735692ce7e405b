/* proc_sys.c: the system-wide files of /proc (cpuinfo, meminfo, stat, uptime, loadavg,
 * version, filesystems, mounts) and the read-only /proc/sys values, with the boot-time
 * snapshot of the host's CPU description. */
#include "sentry/fs/proc/proc_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/fs/aio.h"
#include "sentry/ipc/ipc.h"
#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/uts.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/mount.h"

#define CPUINFO_MAX (1 << 20)

static char *g_host_cpuinfo;	/* the host's /proc/cpuinfo, read at boot, or NULL */
static uint64_t g_boot_ns;	/* CLOCK_MONOTONIC at boot */
static uint64_t g_boot_realtime; /* seconds since the epoch at boot (stat's btime) */
static cpu_set_t g_cpus;
static bool g_cpus_known;

static void boot_clock_init(void)
{
	if (g_boot_ns)
		return;
	g_boot_ns = kernel_now_ns();
	g_boot_realtime = (uint64_t)time(NULL);
}

static void cpus_init(void)
{
	if (g_cpus_known)
		return;
	CPU_ZERO(&g_cpus);
	if (sched_getaffinity(0, sizeof(g_cpus), &g_cpus) < 0 || CPU_COUNT(&g_cpus) == 0) {
		CPU_ZERO(&g_cpus);
		CPU_SET(0, &g_cpus);
	}
	g_cpus_known = true;
}

void procfs_boot_init(void)
{
	int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	boot_clock_init();
	cpus_init();
	task_pid_max_init(proc_nr_cpus()); /* the sandbox's possible CPUs are its CPUs */
	if (fd < 0 || g_host_cpuinfo) {
		if (fd >= 0)
			close(fd);
		return;
	}
	g_host_cpuinfo = xmalloc(CPUINFO_MAX + 1);
	for (;;) {
		ssize_t n = read(fd, g_host_cpuinfo + len, CPUINFO_MAX - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	g_host_cpuinfo[len] = '\0';
	if (len == 0) {
		free(g_host_cpuinfo);
		g_host_cpuinfo = NULL;
	}
}

uint64_t proc_boot_ns(void)
{
	boot_clock_init();
	return g_boot_ns;
}

int proc_nr_cpus(void)
{
	cpus_init();
	return CPU_COUNT(&g_cpus);
}

int proc_host_cpu(int i)
{
	cpus_init();
	for (int h = 0; h < CPU_SETSIZE; h++)
		if (CPU_ISSET(h, &g_cpus) && i-- == 0)
			return h;
	return -1;
}

unsigned proc_cpu_mask(void)
{
	unsigned mask = 0;

	cpus_init();
	for (int i = 0; i < 32; i++)
		if (CPU_ISSET(i, &g_cpus))
			mask |= 1u << i;
	return mask;
}

void proc_print_set(struct proc_buf *b, const cpu_set_t *s)
{
	bool first = true;

	for (int i = 0; i < CPU_SETSIZE; i++) {
		int j = i;

		if (!CPU_ISSET(i, s))
			continue;
		while (j + 1 < CPU_SETSIZE && CPU_ISSET(j + 1, s))
			j++;
		pb_printf(b, first ? "%d" : ",%d", i);
		if (j > i)
			pb_printf(b, "-%d", j);
		first = false;
		i = j;
	}
}

void proc_print_cpu_list(struct proc_buf *b)
{
	cpus_init();
	proc_print_set(b, &g_cpus);
}

/* The host's blocks for the CPUs we offer, renumbered from 0. */
static int show_cpuinfo(const struct proc_node *n, struct proc_buf *b)
{
	const char *p = g_host_cpuinfo;
	int host_cpu = 0, out_cpu = 0;

	cpus_init();
	while (p && *p) {
		const char *end = strstr(p, "\n\n");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *colon = strchr(p, ':');

		if (sscanf(p, "processor : %d", &host_cpu) != 1 && colon && colon < p + len)
			sscanf(colon + 1, "%d", &host_cpu);
		if (host_cpu < CPU_SETSIZE && CPU_ISSET(host_cpu, &g_cpus) && colon) {
			pb_printf(b, "processor\t: %d", out_cpu++);
			pb_write(b, strchr(p, '\n') ? strchr(p, '\n') : p + len,
				 (size_t)(p + len - (strchr(p, '\n') ? strchr(p, '\n') : p + len)));
			pb_printf(b, "\n\n");
		}
		p = end ? end + 2 : p + len;
	}
	if (out_cpu)
		return 0;
	for (int i = 0; i < proc_nr_cpus(); i++)
		pb_printf(b, "processor\t: %d\nvendor_id\t: unknown\nmodel name\t: unknown\n"
			     "cpu MHz\t\t: 0.000\ncache size\t: 0 KB\nsiblings\t: %d\n"
			     "core id\t\t: %d\ncpu cores\t: %d\nflags\t\t: fpu sse sse2\n\n",
			  i, proc_nr_cpus(), i, proc_nr_cpus());
	return 0;
}

static int show_meminfo(const struct proc_node *n, struct proc_buf *b)
{
	struct sysinfo si;
	uint64_t total, used = memfile_used_bytes(), free_b;

	if (sysinfo(&si) < 0)
		return -errno;
	total = (uint64_t)si.totalram * si.mem_unit;
	free_b = total > used ? total - used : 0;
	pb_printf(b, "MemTotal:       %8llu kB\nMemFree:        %8llu kB\n"
		     "MemAvailable:   %8llu kB\nBuffers:        %8d kB\nCached:         %8d kB\n"
		     "SwapCached:     %8d kB\n",
		  (unsigned long long)(total >> 10), (unsigned long long)(free_b >> 10),
		  (unsigned long long)(free_b >> 10), 0, 0, 0);
	pb_printf(b, "Active:         %8llu kB\nInactive:       %8d kB\n"
		     "Active(anon):   %8llu kB\nInactive(anon): %8d kB\nActive(file):   %8d kB\n"
		     "Inactive(file): %8d kB\nUnevictable:    %8d kB\nMlocked:        %8d kB\n",
		  (unsigned long long)(used >> 10), 0, (unsigned long long)(used >> 10), 0, 0, 0,
		  0, 0);
	pb_printf(b, "SwapTotal:      %8d kB\nSwapFree:       %8d kB\nDirty:          %8d kB\n"
		     "Writeback:      %8d kB\nAnonPages:      %8llu kB\nMapped:         %8d kB\n"
		     "Shmem:          %8d kB\nCommitLimit:    %8llu kB\nCommitted_AS:   %8llu kB\n",
		  0, 0, 0, 0, (unsigned long long)(used >> 10), 0, 0,
		  (unsigned long long)(total >> 10), (unsigned long long)(used >> 10));
	return 0;
}

static uint64_t uptime_cs(void)
{
	return (kernel_now_ns() - proc_boot_ns()) / 10000000ULL; /* 1/100 s */
}

static int show_uptime(const struct proc_node *n, struct proc_buf *b)
{
	uint64_t up = uptime_cs(), idle = up * (uint64_t)proc_nr_cpus();

	pb_printf(b, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(up / 100),
		  (unsigned long long)(up % 100), (unsigned long long)(idle / 100),
		  (unsigned long long)(idle % 100));
	return 0;
}

static int show_loadavg(const struct proc_node *n, struct proc_buf *b)
{
	int threads, groups, running;

	proc_counts(&threads, &groups, &running);
	pb_printf(b, "0.00 0.00 0.00 %d/%d %d\n", running, threads, proc_last_pid());
	return 0;
}

static int show_stat(const struct proc_node *n, struct proc_buf *b)
{
	uint64_t up = uptime_cs();
	int threads, groups, running, ncpu = proc_nr_cpus();

	proc_counts(&threads, &groups, &running);
	/* No CPU accounting yet: all time is idle time, which keeps ratios meaningful. */
	pb_printf(b, "cpu  0 0 0 %llu 0 0 0 0 0 0\n", (unsigned long long)(up * (uint64_t)ncpu));
	for (int i = 0; i < ncpu; i++)
		pb_printf(b, "cpu%d 0 0 0 %llu 0 0 0 0 0 0\n", i, (unsigned long long)up);
	pb_printf(b, "intr 0\nctxt 0\nbtime %llu\nprocesses %d\nprocs_running %d\n"
		     "procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
		  (unsigned long long)g_boot_realtime, proc_last_pid(), running ? running : 1);
	return 0;
}

static int show_version(const struct proc_node *n, struct proc_buf *b)
{
	struct utsname u;

	uts_get(&u);
	pb_printf(b, "%s version %s (runsc@sandbox) %s\n", u.sysname, u.release, u.version);
	return 0;
}

static int show_filesystems(const struct proc_node *n, struct proc_buf *b)
{
	pb_printf(b, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevpts\n"
		     "nodev\toverlay\nnodev\t9p\nnodev\tcgroup2\nnodev\tmqueue\n");
	return 0;
}

/* ---- mounts ---- */

struct mounts_ctx {
	struct proc_buf *b;
	struct path root; /* the process's root: mounts outside it are not shown */
	bool info;
};

/* "rw,nosuid,nodev,noexec,relatime": the per-mount flags. */
static void mount_opts(const struct mount *m, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s", (m->flags & MNT_READONLY) ? "ro" : "rw",
		 (m->flags & MNT_NOSUID) ? ",nosuid" : "", (m->flags & MNT_NODEV) ? ",nodev" : "",
		 (m->flags & MNT_NOEXEC) ? ",noexec" : "",
		 (m->flags & MNT_NOATIME) ? ",noatime" : ",relatime");
}

/* The filesystem's own options: "ro" or "rw", then tmpfs's size, nr_inodes... */
static void super_opts(const struct mount *m, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s", m->sb->rdonly ? "ro" : "rw");

	if (!strcmp(m->sb->type, "tmpfs") && n > 0 && (size_t)n < size)
		tmpfs_show_options(m->sb, buf + n, size - (size_t)n);
}

/* Names with spaces, tabs, newlines or backslashes as Linux's mangle(): octal escapes. */
static void pb_escaped(struct proc_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			pb_printf(b, "\\%03o", (unsigned char)*s);
		else
			pb_printf(b, "%c", *s);
	}
}

static void mounts_visit(void *arg, struct mount *m)
{
	struct mounts_ctx *c = arg;
	struct path p = {m, m->root};
	char *name = xmalloc(VFS_PATH_MAX), opts[64], sopts[160];

	if (vfs_path_name_from(&c->root, &p, name, VFS_PATH_MAX) < 0) {
		free(name);
		return; /* outside the process's root */
	}
	mount_opts(m, opts, sizeof(opts));
	super_opts(m, sopts, sizeof(sopts));
	if (c->info) {
		char *mroot = xmalloc(VFS_PATH_MAX);

		mnt_root_name(m, mroot, VFS_PATH_MAX);
		pb_printf(c->b, "%d %d %u:%u ", m->id, m->parent ? m->parent->id : 1,
			  major(m->sb->dev), minor(m->sb->dev));
		pb_escaped(c->b, mroot);
		pb_printf(c->b, " ");
		pb_escaped(c->b, name);
		/* Propagation is private only: no shared:/master: fields (mount.h). */
		pb_printf(c->b, " %s%s - %s ", opts,
			  (m->flags & MNT_UNBINDABLE) ? " unbindable" : "", m->sb->type);
		pb_escaped(c->b, mnt_source(m));
		pb_printf(c->b, " %s\n", sopts);
		free(mroot);
	} else {
		pb_escaped(c->b, mnt_source(m));
		pb_printf(c->b, " ");
		pb_escaped(c->b, name);
		pb_printf(c->b, " %s %s%s 0 0\n", m->sb->type, opts, sopts + 2);
	}
	free(name);
}

/* The mounts of the process's namespace that its root reaches, in mount order. */
static int show_mounts(const struct proc_node *n, struct proc_buf *b, bool info)
{
	struct fs_context *fs = proc_get_fs(n->tgid);
	struct mounts_ctx c = {b, {NULL, NULL}, info};

	if (!fs)
		return 0;
	c.root = fs->root;
	mnt_ns_for_each(fs->mnt_ns, mounts_visit, &c);
	fs_context_put(fs);
	return 0;
}

int proc_show_mounts(const struct proc_node *n, struct proc_buf *b)
{
	return show_mounts(n, b, false);
}

int proc_show_mountinfo(const struct proc_node *n, struct proc_buf *b)
{
	return show_mounts(n, b, true);
}

/* ---- /proc/sys ---- */

static int show_hostname(const struct proc_node *n, struct proc_buf *b)
{
	struct utsname u;
	const char *name = n->ent->name;

	uts_get(&u);
	pb_printf(b, "%s\n", !strcmp(name, "hostname")     ? u.nodename
			 : !strcmp(name, "domainname") ? u.domainname
			 : !strcmp(name, "ostype")     ? u.sysname
			 : !strcmp(name, "osrelease")  ? u.release
						       : u.version);
	return 0;
}

/* Linux's proc_do_uts_string write: up to the first newline or NUL, at most 64 bytes
 * kept; the whole write is consumed. */
static ssize_t write_hostname(const struct proc_node *n, const char *buf, size_t size)
{
	char name[65];
	size_t len = 0;

	if (size == 0)
		return 0;
	while (len < size && len < sizeof(name) - 1 && buf[len] && buf[len] != '\n') {
		name[len] = buf[len];
		len++;
	}
	name[len] = '\0';
	if (!strcmp(n->ent->name, "hostname"))
		uts_set_hostname(name);
	else
		uts_set_domainname(name);
	return (ssize_t)size;
}

/* The IPC namespace's sysctls (sentry/ipc/ipc_sysctl.c), of the viewer's namespace,
 * under kernel/ (prefix "kernel") or fs/mqueue/ ("fs.mqueue"). */
static int show_ipc_sysctl(const struct proc_node *n, struct proc_buf *b, const char *prefix)
{
	char name[64], text[128];
	int len;

	snprintf(name, sizeof(name), "%s.%s", prefix, n->ent->name);
	len = ipc_sysctl_read(t_current, name, text, sizeof(text));
	if (len < 0)
		return len;
	pb_write(b, text, (size_t)len);
	return 0;
}

static ssize_t write_ipc_sysctl(const struct proc_node *n, const char *buf, size_t size,
				const char *prefix)
{
	char name[64];

	snprintf(name, sizeof(name), "%s.%s", prefix, n->ent->name);
	return ipc_sysctl_write(t_current, name, buf, size);
}

#define IPC_SYSCTL_FNS(kind, prefix)                                                       \
	static int show_##kind(const struct proc_node *n, struct proc_buf *b)              \
	{                                                                                  \
		return show_ipc_sysctl(n, b, prefix);                                      \
	}                                                                                  \
	static ssize_t write_##kind(const struct proc_node *n, const char *buf, size_t size) \
	{                                                                                  \
		return write_ipc_sysctl(n, buf, size, prefix);                             \
	}

IPC_SYSCTL_FNS(kernel_ipc, "kernel")
IPC_SYSCTL_FNS(mqueue, "fs.mqueue")

#define SYS_VALUE(fn, text)                                                              \
	static int fn(const struct proc_node *n, struct proc_buf *b)                     \
	{                                                                                \
		pb_printf(b, "%s\n", text);                                              \
		return 0;                                                                \
	}

static int show_pid_max(const struct proc_node *n, struct proc_buf *b)
{
	pb_printf(b, "%d\n", task_pid_max());
	return 0;
}

SYS_VALUE(show_ngroups_max, "65536")
SYS_VALUE(show_cap_last_cap, "40")
SYS_VALUE(show_overcommit, "0")
SYS_VALUE(show_max_map_count, "65530")
SYS_VALUE(show_mmap_min_addr, "65536")
SYS_VALUE(show_file_max, "9223372036854775807")

/* Native AIO's limit and the events of the live contexts (sentry/fs/aio.c). */
static int show_aio_max_nr(const struct proc_node *n, struct proc_buf *b)
{
	pb_printf(b, "%d\n", AIO_MAX_NR);
	return 0;
}

static int show_aio_nr(const struct proc_node *n, struct proc_buf *b)
{
	pb_printf(b, "%lu\n", aio_nr_total());
	return 0;
}

SYS_VALUE(show_nr_open, "1048576")
SYS_VALUE(show_pipe_max, "1048576")
SYS_VALUE(show_lease_break_time, "45") /* LEASE_BREAK_TIME (sentry/vfs/lease.h) */
SYS_VALUE(show_somaxconn, "4096")
SYS_VALUE(show_threads_max, "4194304")
SYS_VALUE(show_randomize, "2")
SYS_VALUE(show_dmesg_restrict, "1") /* syslog(2) always needs CAP_SYSLOG (sys_syslog.c) */

/* /proc/sysvipc/{shm,sem,msg}: the tables as Linux prints them. */
static int show_sysvipc(struct proc_buf *b, size_t (*fmt)(struct task *, char *, size_t))
{
	size_t len = fmt(t_current, NULL, 0);
	char *text = xmalloc(len + 1);

	fmt(t_current, text, len + 1);
	pb_write(b, text, len);
	free(text);
	return 0;
}

static int show_sysvipc_shm(const struct proc_node *n, struct proc_buf *b)
{
	return show_sysvipc(b, ipc_format_proc_shm);
}

static int show_sysvipc_sem(const struct proc_node *n, struct proc_buf *b)
{
	return show_sysvipc(b, ipc_format_proc_sem);
}

static int show_sysvipc_msg(const struct proc_node *n, struct proc_buf *b)
{
	return show_sysvipc(b, ipc_format_proc_msg);
}

#define IPC_SYSCTL(name) {name, S_IFREG | 0644, show_kernel_ipc, write_kernel_ipc}
#define MQ_SYSCTL(name) {name, S_IFREG | 0644, show_mqueue, write_mqueue}

static const struct proc_ent g_sysvipc[] = {
	{"msg", S_IFREG | 0444, show_sysvipc_msg},
	{"sem", S_IFREG | 0444, show_sysvipc_sem},
	{"shm", S_IFREG | 0444, show_sysvipc_shm},
	{NULL},
};

static const struct proc_ent g_sys_kernel[] = {
	{"cap_last_cap", S_IFREG | 0444, show_cap_last_cap},
	{"dmesg_restrict", S_IFREG | 0444, show_dmesg_restrict},
	{"domainname", S_IFREG | 0644, show_hostname, write_hostname},
	{"hostname", S_IFREG | 0644, show_hostname, write_hostname},
	IPC_SYSCTL("msgmax"),
	IPC_SYSCTL("msgmnb"),
	IPC_SYSCTL("msgmni"),
	{"ngroups_max", S_IFREG | 0444, show_ngroups_max},
	{"osrelease", S_IFREG | 0444, show_hostname},
	{"ostype", S_IFREG | 0444, show_hostname},
	{"pid_max", S_IFREG | 0444, show_pid_max},
	{"randomize_va_space", S_IFREG | 0444, show_randomize},
	IPC_SYSCTL("sem"),
	IPC_SYSCTL("shmall"),
	IPC_SYSCTL("shmmax"),
	IPC_SYSCTL("shmmni"),
	{"threads-max", S_IFREG | 0444, show_threads_max},
	{"version", S_IFREG | 0444, show_hostname},
	{NULL},
};

static const struct proc_ent g_sys_vm[] = {
	{"max_map_count", S_IFREG | 0444, show_max_map_count},
	{"mmap_min_addr", S_IFREG | 0444, show_mmap_min_addr},
	{"overcommit_memory", S_IFREG | 0444, show_overcommit},
	{NULL},
};

static const struct proc_ent g_sys_fs_mqueue[] = {
	MQ_SYSCTL("msg_default"),
	MQ_SYSCTL("msg_max"),
	MQ_SYSCTL("msgsize_default"),
	MQ_SYSCTL("msgsize_max"),
	MQ_SYSCTL("queues_max"),
	{NULL},
};

static const struct proc_ent g_sys_fs[] = {
	{"aio-max-nr", S_IFREG | 0444, show_aio_max_nr},
	{"aio-nr", S_IFREG | 0444, show_aio_nr},
	{"file-max", S_IFREG | 0444, show_file_max},
	{"mqueue", S_IFDIR | 0555, .children = g_sys_fs_mqueue},
	{"lease-break-time", S_IFREG | 0444, show_lease_break_time},
	{"nr_open", S_IFREG | 0444, show_nr_open},
	{"pipe-max-size", S_IFREG | 0444, show_pipe_max},
	{NULL},
};

static const struct proc_ent g_sys_net_core[] = {
	{"somaxconn", S_IFREG | 0444, show_somaxconn},
	{NULL},
};

static const struct proc_ent g_sys_net[] = {
	{"core", S_IFDIR | 0555, .children = g_sys_net_core},
	{NULL},
};

static const struct proc_ent g_sys_dirs[] = {
	{"fs", S_IFDIR | 0555, .children = g_sys_fs},
	{"kernel", S_IFDIR | 0555, .children = g_sys_kernel},
	{"net", S_IFDIR | 0555, .children = g_sys_net},
	{"vm", S_IFDIR | 0555, .children = g_sys_vm},
	{NULL},
};

int proc_sysctl_write(const char *key, const char *value)
{
	const struct proc_ent *dir = g_sys_dirs, *e = NULL;
	struct proc_node node = {.fd = -1};
	char *k = xstrdup(key), *save = NULL;
	size_t len = strlen(value);
	ssize_t r;

	for (char *part = strtok_r(k, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
		for (e = dir; e && e->name && strcmp(e->name, part); e++)
			;
		if (!e || !e->name) {
			free(k);
			return -ENOENT;
		}
		dir = e->children;
	}
	free(k);
	if (!e || !S_ISREG(e->mode))
		return -ENOENT;
	if (!e->write)
		return -EACCES;
	node.ent = e;
	while (len && isspace((unsigned char)value[len - 1]))
		len--;
	if (len == 0)
		return -EINVAL;
	r = e->write(&node, value, len);
	if (r < 0)
		return (int)r;
	return (size_t)r < len ? -EINVAL : 0;
}

static ssize_t mounts_link(const struct proc_node *n, char *buf, size_t size)
{
	static const char target[] = "self/mounts";

	size = MIN(size, sizeof(target) - 1);
	memcpy(buf, target, size);
	return (ssize_t)size;
}

const struct proc_ent g_proc_sys_ents[] = {
	{"cpuinfo", S_IFREG | 0444, show_cpuinfo},
	{"filesystems", S_IFREG | 0444, show_filesystems},
	{"loadavg", S_IFREG | 0444, show_loadavg},
	{"meminfo", S_IFREG | 0444, show_meminfo},
	{"mounts", S_IFLNK | 0777, .link = mounts_link},
	{"stat", S_IFREG | 0444, show_stat},
	{"sys", S_IFDIR | 0555, .children = g_sys_dirs},
	{"sysvipc", S_IFDIR | 0555, .children = g_sysvipc},
	{"uptime", S_IFREG | 0444, show_uptime},
	{"version", S_IFREG | 0444, show_version},
	{NULL},
};
