/* sysfs.c: /sys, read-only: the CPU files programs read (devices/system/cpu and node,
 * sys_cpu.c), kernel/mm/transparent_hugepage, and an empty fs/cgroup. Built once as a
 * static tmpfs-like tree of procfs-style generated files. */
#include "sentry/fs/sys/sys_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SYSFS_MAGIC 0x62656572

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

static const struct proc_ent g_devices_ents[] = {
    {"system", S_IFDIR | 0755, .children = g_sys_system_ents},
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
    "/",
    S_IFDIR | 0755,
    .children = g_sysfs_root_ents,
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
