/* sys_cpu.c: /sys/devices/system/cpu and /sys/devices/system/node: the sandbox's CPUs
 * (the host's CPUs of the Sentry's affinity at boot, renumbered from 0 as /proc/cpuinfo
 * shows them) with the host's topology, caches, NUMA nodes and vulnerability reports,
 * snapshotted by sysfs_boot_init() before the walls go up. Sibling and cache sharing
 * sets are the host's, restricted to the sandbox's CPUs and renumbered. */
#include "sentry/fs/sys/sys_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

#define HOST_CPU "/sys/devices/system/cpu"
#define HOST_NODE "/sys/devices/system/node"
#define MAX_CACHES 8
#define MAX_NODES 64
#define MAX_VULNS 64
#define IDX_SHIFT 4096 /* tid of a cache file: cpu + 1 + (index + 1) * IDX_SHIFT */

struct sys_cache {
	char type[16], size[16];
	int level, line, ways, sets, part, id; /* id -1: the host shows none */
	cpu_set_t shared;
};

struct sys_cpu {
	int core_id, pkg_id, die_id, cluster_id;
	cpu_set_t threads, cores, die, cluster;
	int ncache;
	struct sys_cache cache[MAX_CACHES];
};

struct sys_node {
	int id;
	cpu_set_t cpus;
};

struct sys_vuln {
	char name[48], text[512];
};

static struct sys_cpu *g_cpu; /* proc_nr_cpus() entries once sysfs_boot_init ran */
static struct sys_node g_nodes[MAX_NODES];
static int g_nnodes;
static struct sys_vuln g_vulns[MAX_VULNS];
static int g_nvulns;
static char g_kernel_max[16] = "8191";
static bool g_host_open; /* host files may be read: only inside sysfs_boot_init */

/* The first line of a host file into buf (no newline); 0 or -1. */
static int host_read(const char *path, char *buf, size_t size)
{
	int fd = g_host_open ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int host_int(const char *path, int dflt)
{
	char buf[32];

	return host_read(path, buf, sizeof(buf)) ? dflt : atoi(buf);
}

/* A host CPU list ("0-3,8") as the set of sandbox CPUs it names; -1 if unreadable. */
static int host_list(const char *path, cpu_set_t *out)
{
	char buf[4096], *p = buf;
	cpu_set_t host;
	int a, b, used;

	CPU_ZERO(out);
	if (host_read(path, buf, sizeof(buf)))
		return -1;
	CPU_ZERO(&host);
	while (*p) {
		if (sscanf(p, "%d-%d%n", &a, &b, &used) != 2 &&
		    (sscanf(p, "%d%n", &a, &used) != 1 || (b = a, 0)))
			return -1;
		for (int c = a; c <= b && c >= 0 && c < CPU_SETSIZE; c++)
			CPU_SET(c, &host);
		p += used;
		if (*p == ',')
			p++;
	}
	for (int i = 0; i < proc_nr_cpus(); i++)
		if (CPU_ISSET(proc_host_cpu(i), &host))
			CPU_SET(i, out);
	return 0;
}

static void read_caches(struct sys_cpu *c, int h)
{
	char dir[96], path[160];

	for (c->ncache = 0; c->ncache < MAX_CACHES; c->ncache++) {
		struct sys_cache *k = &c->cache[c->ncache];

		snprintf(dir, sizeof(dir), HOST_CPU "/cpu%d/cache/index%d", h, c->ncache);
		snprintf(path, sizeof(path), "%s/type", dir);
		if (host_read(path, k->type, sizeof(k->type)))
			break;
		snprintf(path, sizeof(path), "%s/size", dir);
		if (host_read(path, k->size, sizeof(k->size)))
			snprintf(k->size, sizeof(k->size), "0K");
#define CACHE_INT(field, file, dflt)                                                               \
	snprintf(path, sizeof(path), "%s/" file, dir);                                             \
	k->field = host_int(path, dflt)
		CACHE_INT(level, "level", 0);
		CACHE_INT(line, "coherency_line_size", 64);
		CACHE_INT(ways, "ways_of_associativity", 0);
		CACHE_INT(sets, "number_of_sets", 0);
		CACHE_INT(part, "physical_line_partition", 1);
		CACHE_INT(id, "id", -1);
#undef CACHE_INT
		snprintf(path, sizeof(path), "%s/shared_cpu_list", dir);
		if (host_list(path, &k->shared)) {
			CPU_ZERO(&k->shared);
			CPU_SET(c - g_cpu, &k->shared);
		}
	}
}

/* One sandbox CPU from host CPU h; without host sysfs, one core per CPU, one socket. */
static void read_cpu(struct sys_cpu *c, int i, int h)
{
	char path[128];

#define TOPO(file) (snprintf(path, sizeof(path), HOST_CPU "/cpu%d/topology/" file, h), path)
	c->core_id = host_int(TOPO("core_id"), i);
	c->pkg_id = host_int(TOPO("physical_package_id"), 0);
	c->die_id = host_int(TOPO("die_id"), 0);
	c->cluster_id = host_int(TOPO("cluster_id"), 65535);
	if (host_list(TOPO("thread_siblings_list"), &c->threads)) {
		CPU_ZERO(&c->threads);
		CPU_SET(i, &c->threads);
	}
	if (host_list(TOPO("core_siblings_list"), &c->cores))
		for (int j = 0; j < proc_nr_cpus(); j++)
			CPU_SET(j, &c->cores);
	if (host_list(TOPO("die_cpus_list"), &c->die))
		c->die = c->cores;
	if (host_list(TOPO("cluster_cpus_list"), &c->cluster))
		c->cluster = c->threads;
#undef TOPO
	read_caches(c, h);
}

static void read_nodes(void)
{
	DIR *d = g_host_open ? opendir(HOST_NODE) : NULL;
	struct dirent *e;
	char path[300];
	int id;

	while (d && (e = readdir(d)) && g_nnodes < MAX_NODES) {
		char tail;

		if (sscanf(e->d_name, "node%d%c", &id, &tail) != 1 || id < 0)
			continue;
		snprintf(path, sizeof(path), HOST_NODE "/%s/cpulist", e->d_name);
		if (host_list(path, &g_nodes[g_nnodes].cpus) == 0 &&
		    CPU_COUNT(&g_nodes[g_nnodes].cpus) > 0)
			g_nodes[g_nnodes++].id = id;
	}
	if (d)
		closedir(d);
	if (g_nnodes)
		return;
	g_nodes[0].id = 0;
	CPU_ZERO(&g_nodes[0].cpus);
	for (int i = 0; i < proc_nr_cpus(); i++)
		CPU_SET(i, &g_nodes[0].cpus);
	g_nnodes = 1;
}

static void read_vulns(void)
{
	DIR *d = g_host_open ? opendir(HOST_CPU "/vulnerabilities") : NULL;
	struct dirent *e;
	char path[320];

	while (d && (e = readdir(d)) && g_nvulns < MAX_VULNS) {
		struct sys_vuln *v = &g_vulns[g_nvulns];

		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(v->name))
			continue;
		snprintf(path, sizeof(path), HOST_CPU "/vulnerabilities/%s", e->d_name);
		if (host_read(path, v->text, sizeof(v->text)) == 0) {
			snprintf(v->name, sizeof(v->name), "%s", e->d_name);
			g_nvulns++;
		}
	}
	if (d)
		closedir(d);
}

void sysfs_boot_init(void)
{
	int n = proc_nr_cpus();

	if (g_cpu)
		return;
	g_host_open = true;
	g_cpu = xcalloc((size_t)n, sizeof(*g_cpu));
	for (int i = 0; i < n; i++)
		read_cpu(&g_cpu[i], i, proc_host_cpu(i));
	read_nodes();
	read_vulns();
	host_read(HOST_CPU "/kernel_max", g_kernel_max, sizeof(g_kernel_max));
	g_host_open = false;
}

/* Without the boot snapshot (unit tests), the fallbacks for no host sysfs: nothing of
 * the host is opened once the walls are up. */
static const struct sys_cpu *cpu_of(int i)
{
	if (!g_cpu) {
		g_cpu = xcalloc((size_t)proc_nr_cpus(), sizeof(*g_cpu));
		for (int j = 0; j < proc_nr_cpus(); j++)
			read_cpu(&g_cpu[j], j, -1);
		read_nodes();
	}
	return &g_cpu[i];
}

/* Linux's list ("0-2,5") and mask ("ff,ffffffff") forms of a set of sandbox CPUs. */
static void print_list(struct proc_buf *b, const cpu_set_t *s)
{
	proc_print_set(b, s);
	pb_printf(b, "\n");
}

static void print_mask(struct proc_buf *b, const cpu_set_t *s)
{
	int nbits = proc_nr_cpus(), top = (nbits - 1) / 32;

	for (int w = top; w >= 0; w--) {
		unsigned word = 0;

		for (int bit = 0; bit < 32 && w * 32 + bit < nbits; bit++)
			if (CPU_ISSET(w * 32 + bit, s))
				word |= 1u << bit;
		if (w == top)
			pb_printf(b, "%0*x", ((nbits - 1) % 32) / 4 + 1, word);
		else
			pb_printf(b, ",%08x", word);
	}
	pb_printf(b, "\n");
}

static void print_set(struct proc_buf *b, const char *file, const cpu_set_t *s)
{
	if (strstr(file, "_list"))
		print_list(b, s);
	else
		print_mask(b, s);
}

/* Names "<prefix>N" with no leading zeros, sign or spaces: N, or -1. */
static int numbered(const char *name, const char *prefix)
{
	size_t pl = strlen(prefix);
	const char *d = name + pl;
	char *end;
	long v;

	if (strncmp(name, prefix, pl) || !isdigit((unsigned char)*d) || (*d == '0' && d[1]))
		return -1;
	errno = 0;
	v = strtol(d, &end, 10);
	return *end || errno || v > CPU_SETSIZE ? -1 : (int)v;
}

/* ---- cpuN/topology ---- */

static int show_topo(const struct proc_node *n, struct proc_buf *b)
{
	const struct sys_cpu *c = cpu_of(n->tid - 1);
	const char *f = n->ent->name;

	if (!strcmp(f, "core_id"))
		pb_printf(b, "%d\n", c->core_id);
	else if (!strcmp(f, "physical_package_id"))
		pb_printf(b, "%d\n", c->pkg_id);
	else if (!strcmp(f, "die_id"))
		pb_printf(b, "%d\n", c->die_id);
	else if (!strcmp(f, "cluster_id"))
		pb_printf(b, "%d\n", c->cluster_id);
	else if (!strncmp(f, "thread_siblings", 15) || !strncmp(f, "core_cpus", 9))
		print_set(b, f, &c->threads);
	else if (!strncmp(f, "core_siblings", 13) || !strncmp(f, "package_cpus", 12))
		print_set(b, f, &c->cores);
	else if (!strncmp(f, "die_cpus", 8))
		print_set(b, f, &c->die);
	else
		print_set(b, f, &c->cluster);
	return 0;
}

#define TOPO_ENT(name)                                                                             \
	{                                                                                          \
		name, S_IFREG | 0444, show_topo                                                    \
	}
static const struct proc_ent g_topo_ents[] = {
    TOPO_ENT("cluster_cpus"),
    TOPO_ENT("cluster_cpus_list"),
    TOPO_ENT("cluster_id"),
    TOPO_ENT("core_cpus"),
    TOPO_ENT("core_cpus_list"),
    TOPO_ENT("core_id"),
    TOPO_ENT("core_siblings"),
    TOPO_ENT("core_siblings_list"),
    TOPO_ENT("die_cpus"),
    TOPO_ENT("die_cpus_list"),
    TOPO_ENT("die_id"),
    TOPO_ENT("package_cpus"),
    TOPO_ENT("package_cpus_list"),
    TOPO_ENT("physical_package_id"),
    TOPO_ENT("thread_siblings"),
    TOPO_ENT("thread_siblings_list"),
    {NULL},
};

/* ---- cpuN/cache/indexM ---- */

static const struct sys_cache *cache_of(const struct proc_node *n)
{
	return &cpu_of(n->tid % IDX_SHIFT - 1)->cache[n->tid / IDX_SHIFT - 1];
}

static int show_cache(const struct proc_node *n, struct proc_buf *b)
{
	const struct sys_cache *k = cache_of(n);
	const char *f = n->ent->name;

	if (!strcmp(f, "type"))
		pb_printf(b, "%s\n", k->type);
	else if (!strcmp(f, "size"))
		pb_printf(b, "%s\n", k->size);
	else if (!strncmp(f, "shared_cpu", 10))
		print_set(b, f, &k->shared);
	else
		pb_printf(b, "%d\n",
			  !strcmp(f, "level")			? k->level
			  : !strcmp(f, "coherency_line_size")	? k->line
			  : !strcmp(f, "ways_of_associativity") ? k->ways
			  : !strcmp(f, "number_of_sets")	? k->sets
			  : !strcmp(f, "id")			? k->id
								: k->part);
	return 0;
}

#define CACHE_ENT(name)                                                                            \
	{                                                                                          \
		name, S_IFREG | 0444, show_cache                                                   \
	}
static const struct proc_ent g_index_ents[] = {
    CACHE_ENT("coherency_line_size"),
    CACHE_ENT("id"),
    CACHE_ENT("level"),
    CACHE_ENT("number_of_sets"),
    CACHE_ENT("physical_line_partition"),
    CACHE_ENT("shared_cpu_list"),
    CACHE_ENT("shared_cpu_map"),
    CACHE_ENT("size"),
    CACHE_ENT("type"),
    CACHE_ENT("ways_of_associativity"),
    {NULL},
};

static const struct proc_ent g_index_ent = {"index", S_IFDIR | 0755, .children = g_index_ents};

static int cache_lookup(struct super_block *sb, const struct proc_node *dir, const char *name,
			struct inode **out)
{
	int m = numbered(name, "index");

	if (m < 0 || m >= cpu_of(dir->tid - 1)->ncache)
		return -ENOENT;
	*out = proc_inode_new(sb, &g_index_ent, 0, dir->tid + (m + 1) * IDX_SHIFT, -1);
	return 0;
}

static int cache_readdir(const struct proc_node *dir, vfs_dirent_fn fn, void *arg)
{
	char name[16];

	for (int m = 0; m < cpu_of(dir->tid - 1)->ncache; m++) {
		snprintf(name, sizeof(name), "index%d", m);
		if (proc_emit(fn, arg, name, &g_index_ent, 0, dir->tid + (m + 1) * IDX_SHIFT, -1))
			break;
	}
	return 0;
}

static const struct proc_dir_ops g_cache_dops = {cache_lookup, cache_readdir};

/* ---- cpuN ---- */

static int show_one(const struct proc_node *n, struct proc_buf *b)
{
	pb_printf(b, "1\n");
	return 0;
}

static const struct proc_ent g_cpun_ents[] = {
    {"cache", S_IFDIR | 0755, .dops = &g_cache_dops},
    {"online", S_IFREG | 0644, show_one},
    {"topology", S_IFDIR | 0755, .children = g_topo_ents},
    {NULL},
};

static const struct proc_ent g_cpun_ent = {"cpu", S_IFDIR | 0755, .children = g_cpun_ents};

static int cpu_lookup(struct super_block *sb, const struct proc_node *dir, const char *name,
		      struct inode **out)
{
	int n = numbered(name, "cpu");

	if (n < 0 || n >= proc_nr_cpus())
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

static const struct proc_dir_ops g_cpu_dops = {cpu_lookup, cpu_readdir};

/* ---- vulnerabilities ---- */

static int show_vuln(const struct proc_node *n, struct proc_buf *b)
{
	pb_printf(b, "%s\n", g_vulns[n->tid - 1].text);
	return 0;
}

static const struct proc_ent g_vuln_ent = {"vuln", S_IFREG | 0444, show_vuln};

static int vuln_lookup(struct super_block *sb, const struct proc_node *dir, const char *name,
		       struct inode **out)
{
	for (int i = 0; i < g_nvulns; i++) {
		if (!strcmp(g_vulns[i].name, name)) {
			*out = proc_inode_new(sb, &g_vuln_ent, 0, i + 1, -1);
			return 0;
		}
	}
	return -ENOENT;
}

static int vuln_readdir(const struct proc_node *dir, vfs_dirent_fn fn, void *arg)
{
	for (int i = 0; i < g_nvulns; i++)
		if (proc_emit(fn, arg, g_vulns[i].name, &g_vuln_ent, 0, i + 1, -1))
			break;
	return 0;
}

static const struct proc_dir_ops g_vuln_dops = {vuln_lookup, vuln_readdir};

/* ---- devices/system/cpu ---- */

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

static int show_kernel_max(const struct proc_node *n, struct proc_buf *b)
{
	pb_printf(b, "%s\n", g_kernel_max);
	return 0;
}

static const struct proc_ent g_cpu_ents[] = {
    {"kernel_max", S_IFREG | 0444, show_kernel_max},
    {"offline", S_IFREG | 0444, show_empty},
    {"online", S_IFREG | 0444, show_cpu_list},
    {"possible", S_IFREG | 0444, show_cpu_list},
    {"present", S_IFREG | 0444, show_cpu_list},
    {"vulnerabilities", S_IFDIR | 0755, .dops = &g_vuln_dops},
    {NULL},
};

/* ---- devices/system/node ---- */

static const struct sys_node *node_of(const struct proc_node *n)
{
	cpu_of(0); /* the fallback node without the boot snapshot */
	for (int i = 0; i < g_nnodes; i++)
		if (g_nodes[i].id == n->tid - 1)
			return &g_nodes[i];
	return &g_nodes[0];
}

static int show_node_cpus(const struct proc_node *n, struct proc_buf *b)
{
	print_set(b, !strcmp(n->ent->name, "cpulist") ? "_list" : "map", &node_of(n)->cpus);
	return 0;
}

static const struct proc_ent g_noden_ents[] = {
    {"cpulist", S_IFREG | 0444, show_node_cpus},
    {"cpumap", S_IFREG | 0444, show_node_cpus},
    {NULL},
};

static const struct proc_ent g_noden_ent = {"node", S_IFDIR | 0755, .children = g_noden_ents};

/* online, possible, has_cpu, ...: the nodes holding the sandbox's CPUs, as a list. */
static int show_node_list(const struct proc_node *n, struct proc_buf *b)
{
	cpu_set_t ids;

	cpu_of(0);
	CPU_ZERO(&ids);
	for (int i = 0; i < g_nnodes; i++)
		CPU_SET(g_nodes[i].id, &ids);
	print_list(b, &ids);
	return 0;
}

static int node_lookup(struct super_block *sb, const struct proc_node *dir, const char *name,
		       struct inode **out)
{
	int id = numbered(name, "node");

	cpu_of(0);
	for (int i = 0; id >= 0 && i < g_nnodes; i++) {
		if (g_nodes[i].id == id) {
			*out = proc_inode_new(sb, &g_noden_ent, 0, id + 1, -1);
			return 0;
		}
	}
	return -ENOENT;
}

static int node_readdir(const struct proc_node *dir, vfs_dirent_fn fn, void *arg)
{
	char name[24];

	cpu_of(0);
	for (int i = 0; i < g_nnodes; i++) {
		snprintf(name, sizeof(name), "node%d", g_nodes[i].id);
		if (proc_emit(fn, arg, name, &g_noden_ent, 0, g_nodes[i].id + 1, -1))
			break;
	}
	return 0;
}

static const struct proc_dir_ops g_node_dops = {node_lookup, node_readdir};

static const struct proc_ent g_node_ents[] = {
    {"has_cpu", S_IFREG | 0444, show_node_list},
    {"has_memory", S_IFREG | 0444, show_node_list},
    {"has_normal_memory", S_IFREG | 0444, show_node_list},
    {"online", S_IFREG | 0444, show_node_list},
    {"possible", S_IFREG | 0444, show_node_list},
    {NULL},
};

const struct proc_ent g_sys_system_ents[] = {
    {"cpu", S_IFDIR | 0755, .children = g_cpu_ents, .dops = &g_cpu_dops},
    {"node", S_IFDIR | 0755, .children = g_node_ents, .dops = &g_node_dops},
    {NULL},
};
