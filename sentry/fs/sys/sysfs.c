/* sysfs.c: /sys, read-only: the CPU topology files programs read (devices/system/cpu:
 * online, possible, present, cpuN/), kernel/mm/transparent_hugepage, and an empty
 * fs/cgroup. Built once as a static tmpfs-like tree of procfs-style generated files. */
#include "sentry/fs/proc/proc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SYSFS_MAGIC 0x62656572

static int show_cpu_list(const struct proc_node *n, struct proc_buf *b)
{
	proc_print_cpu_list(b);
	pb_printf(b, "\n");
	return 0;
}

static int show_empty(const struct proc_node *n, struct proc_buf *b)
{
	pb_printf(b, "\n");
	return 0;
}

static int show_thp(const struct proc_node *n, struct proc_buf *b)
{
	pb_printf(b, "always [madvise] never\n");
	return 0;
}

static int show_thp_defrag(const struct proc_node *n, struct proc_buf *b)
{
	pb_printf(b, "always defer defer+madvise [madvise] never\n");
	return 0;
}

static int show_one(const struct proc_node *n, struct proc_buf *b)
{
	pb_printf(b, "1\n");
	return 0;
}

static const struct proc_ent g_cpun_ents[] = {
	{"online", S_IFREG | 0644, show_one},
	{NULL},
};

/* cpuN directories: N from the dynamic lookup, one per offered CPU. */
static int cpu_lookup(struct super_block *sb, const struct proc_node *dir, const char *name,
		      struct inode **out);
static int cpu_readdir(const struct proc_node *dir, vfs_dirent_fn fn, void *arg);

static const struct proc_dir_ops g_cpu_dops = {cpu_lookup, cpu_readdir};

static const struct proc_ent g_cpun_ent = {"cpu", S_IFDIR | 0755, .children = g_cpun_ents};

static const struct proc_ent g_cpu_ents[] = {
	{"kernel_max", S_IFREG | 0444, show_empty},
	{"offline", S_IFREG | 0444, show_empty},
	{"online", S_IFREG | 0444, show_cpu_list},
	{"possible", S_IFREG | 0444, show_cpu_list},
	{"present", S_IFREG | 0444, show_cpu_list},
	{NULL},
};

static int cpu_lookup(struct super_block *sb, const struct proc_node *dir, const char *name,
		      struct inode **out)
{
	int n, len;

	if (sscanf(name, "cpu%d%n", &n, &len) != 1 || (size_t)len != strlen(name) || n < 0 ||
	    n >= proc_nr_cpus() || (name[3] == '0' && name[4]))
		return -ENOENT;
	/* The CPU number rides in the node's tid: distinct inode numbers per CPU. */
	*out = proc_inode_new(sb, &g_cpun_ent, 0, n + 1, -1);
	return 0;
}

static int cpu_readdir(const struct proc_node *dir, vfs_dirent_fn fn, void *arg)
{
	char name[16];

	for (int i = 0; i < proc_nr_cpus(); i++) {
		snprintf(name, sizeof(name), "cpu%d", i);
		if (proc_emit(fn, arg, name, &g_cpun_ent, 0, i + 1, -1))
			break;
	}
	return 0;
}

static const struct proc_ent g_system_ents[] = {
	{"cpu", S_IFDIR | 0755, .children = g_cpu_ents, .dops = &g_cpu_dops},
	{NULL},
};

static const struct proc_ent g_devices_ents[] = {
	{"system", S_IFDIR | 0755, .children = g_system_ents},
	{NULL},
};

static const struct proc_ent g_thp_ents[] = {
	{"defrag", S_IFREG | 0644, show_thp_defrag},
	{"enabled", S_IFREG | 0644, show_thp},
	{NULL},
};

static const struct proc_ent g_mm_ents[] = {
	{"transparent_hugepage", S_IFDIR | 0755, .children = g_thp_ents},
	{NULL},
};

static const struct proc_ent g_kernel_ents[] = {
	{"mm", S_IFDIR | 0755, .children = g_mm_ents},
	{NULL},
};

static const struct proc_ent g_empty_ents[] = {{NULL}};

static const struct proc_ent g_fs_ents[] = {
	{"cgroup", S_IFDIR | 0755, .children = g_empty_ents},
	{NULL},
};

static const struct proc_ent g_sysfs_root_ents[] = {
	{"block", S_IFDIR | 0755, .children = g_empty_ents},
	{"bus", S_IFDIR | 0755, .children = g_empty_ents},
	{"class", S_IFDIR | 0755, .children = g_empty_ents},
	{"dev", S_IFDIR | 0755, .children = g_empty_ents},
	{"devices", S_IFDIR | 0755, .children = g_devices_ents},
	{"fs", S_IFDIR | 0755, .children = g_fs_ents},
	{"kernel", S_IFDIR | 0755, .children = g_kernel_ents},
	{NULL},
};

static const struct proc_ent g_sysfs_root_ent = {
	"/", S_IFDIR | 0755, .children = g_sysfs_root_ents,
};

static int sysfs_statfs(struct super_block *sb, struct statfs *st)
{
	memset(st, 0, sizeof(*st));
	st->f_type = SYSFS_MAGIC;
	st->f_bsize = 4096;
	st->f_namelen = 255;
	return 0;
}

static const struct super_ops g_sysfs_sops = {.statfs = sysfs_statfs};

struct super_block *sysfs_new(void)
{
	struct super_block *sb = sb_new(&g_sysfs_sops, "sysfs", SYSFS_MAGIC);
	struct inode *root = proc_inode_new(sb, &g_sysfs_root_ent, 0, 0, -1);

	root->ino = 1;
	sb->root = d_alloc_root(sb, root);
	return sb;
}
