/* proc_root.c: the /proc directory itself: a directory per thread group (numeric names in
 * the sandbox's pid namespace), the self and thread-self links, and the system files. */
#include "sentry/fs/proc/proc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/task.h"

int proc_parse_pid(const char *name); /* proc_fd.c */

#define PROC_LIST_MAX 65536

static ssize_t self_link(const struct proc_node *n, char *buf, size_t size)
{
	char tmp[48];
	int tgid = proc_pid_view(n->ns, proc_task_tgid(t_current)), len;

	if (!tgid)
		return -ENOENT;
	if (!strcmp(n->ent->name, "thread-self"))
		len = snprintf(tmp, sizeof(tmp), "%d/task/%d", tgid,
			       proc_pid_view(n->ns, proc_task_tid(t_current)));
	else
		len = snprintf(tmp, sizeof(tmp), "%d", tgid);
	len = (int)MIN((size_t)len, size);
	memcpy(buf, tmp, (size_t)len);
	return len;
}

static const struct proc_ent g_self_ent = {"self", S_IFLNK | 0777, .link = self_link};
static const struct proc_ent g_thread_self_ent = {"thread-self", S_IFLNK | 0777,
						  .link = self_link};

static int root_lookup(struct super_block *sb, const struct proc_node *dir, const char *name,
		       struct inode **out)
{
	int pid;

	if (!strcmp(name, "self")) {
		*out = proc_inode_new(sb, &g_self_ent, 0, 0, -1);
		return 0;
	}
	if (!strcmp(name, "thread-self")) {
		*out = proc_inode_new(sb, &g_thread_self_ent, 0, 0, -1);
		return 0;
	}
	pid = proc_parse_pid(name);
	if (pid > 0)
		pid = proc_pid_unview(dir->ns, pid); /* names are in this /proc's pid ns */
	if (pid <= 0 || !proc_tg_exists(pid))
		return -ENOENT;
	*out = proc_inode_new(sb, &g_proc_tgid_ent, pid, pid, -1);
	return 0;
}

static int root_readdir(const struct proc_node *dir, vfs_dirent_fn fn, void *arg)
{
	int *ids = xmalloc(PROC_LIST_MAX * sizeof(int));
	int n = proc_tgid_list(ids, PROC_LIST_MAX);
	char name[16];

	if (proc_emit(fn, arg, "self", &g_self_ent, 0, 0, -1) ||
	    proc_emit(fn, arg, "thread-self", &g_thread_self_ent, 0, 0, -1))
		goto out;
	for (int i = 0; i < n && i < PROC_LIST_MAX; i++) {
		int v = proc_pid_view(dir->ns, ids[i]);

		if (v <= 0)
			continue; /* outside this /proc's pid namespace */
		snprintf(name, sizeof(name), "%d", v);
		if (proc_emit(fn, arg, name, &g_proc_tgid_ent, ids[i], ids[i], -1))
			break;
	}
out:
	free(ids);
	return 0;
}

static const struct proc_dir_ops g_root_dops = {root_lookup, root_readdir};

const struct proc_ent g_proc_root_ent = {
	"/", S_IFDIR | 0555, .children = g_proc_sys_ents, .dops = &g_root_dops,
};
