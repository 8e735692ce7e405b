/* /sys/devices/system/cpu/cpuN/{topology,cache}, devices/system/node and
 * cpu/vulnerabilities (what lscpu, hwloc and runtimes read) agree with /proc/cpuinfo and
 * sched_getaffinity; /proc/sys/kernel/pid_max is Linux's boot default for the CPUs. */
#include "harness.h"

#include <dirent.h>
#include <sched.h>
#include <sys/wait.h>

/* The first line of a file, newline stripped; "" if unreadable. */
static const char *sysread(char *buf, size_t size, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	ssize_t n;
	int fd;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return buf;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* "0-3,8" into s; -1 if malformed. */
static int parse_list(const char *text, cpu_set_t *s)
{
	int a, b, used;

	CPU_ZERO(s);
	while (*text) {
		if (sscanf(text, "%d-%d%n", &a, &b, &used) != 2) {
			if (sscanf(text, "%d%n", &a, &used) != 1)
				return -1;
			b = a;
		}
		for (int c = a; c <= b && c < CPU_SETSIZE; c++)
			CPU_SET(c, s);
		text += used;
		if (*text == ',')
			text++;
	}
	return 0;
}

/* "ff,00000003" (32-bit hex words, most significant first) into s; -1 if malformed. */
static int parse_mask(const char *text, cpu_set_t *s)
{
	int words = 1, w;

	for (const char *p = text; *p; p++)
		words += *p == ',';
	CPU_ZERO(s);
	for (w = words - 1; w >= 0; w--) {
		char *end;
		unsigned long v = strtoul(text, &end, 16);

		if (end == text || (*end != ',' && *end != '\0'))
			return -1;
		for (int bit = 0; bit < 32; bit++)
			if (v & (1ul << bit))
				CPU_SET(w * 32 + bit, s);
		text = *end ? end + 1 : end;
	}
	return 0;
}

static int online_cpus(cpu_set_t *s)
{
	char buf[512];

	CHECK_OK(parse_list(sysread(buf, sizeof(buf), "/sys/devices/system/cpu/online"), s));
	return CPU_COUNT(s);
}

/* Each cpuinfo processor's core id and physical id are its topology's; siblings is the
 * weight of its core_siblings; the processors are the online CPUs. */
static void topology_matches_cpuinfo(void)
{
	static char info[1 << 20];
	char buf[512], *p = info;
	int fd = CHECK_OK(open("/proc/cpuinfo", O_RDONLY)), nproc = 0, cpu = -1;
	ssize_t n, len = 0;
	cpu_set_t online, s;

	while ((n = read(fd, info + len, sizeof(info) - 1 - len)) > 0)
		len += n;
	close(fd);
	info[len] = '\0';
	while (p && *p) {
		int v;

		if (sscanf(p, "processor : %d", &v) == 1) {
			cpu = v;
			nproc++;
		} else if (sscanf(p, "core id : %d", &v) == 1) {
			CHECK_EQ(
			    atoi(sysread(buf, sizeof(buf),
					 "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu)),
			    v);
		} else if (sscanf(p, "physical id : %d", &v) == 1) {
			CHECK_EQ(atoi(sysread(buf, sizeof(buf),
					      "/sys/devices/system/cpu/cpu%d/topology/"
					      "physical_package_id",
					      cpu)),
				 v);
		} else if (sscanf(p, "siblings : %d", &v) == 1) {
			sysread(buf, sizeof(buf),
				"/sys/devices/system/cpu/cpu%d/topology/core_siblings_list", cpu);
			CHECK_OK(parse_list(buf, &s));
			CHECK_EQ(CPU_COUNT(&s), v);
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	CHECK(nproc > 0);
	CHECK_EQ(nproc, online_cpus(&online));
}

/* Every CPU sched_getaffinity offers has a topology; lists and masks agree; a CPU is
 * its own thread sibling, and its thread siblings are core siblings. */
static void affinity_cpus_have_topology(void)
{
	char list[512], mask[512];
	cpu_set_t aff, online, threads, tmask, cores;

	CHECK_OK(sched_getaffinity(0, sizeof(aff), &aff));
	online_cpus(&online);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &aff))
			continue;
		CHECK(CPU_ISSET(c, &online));
		sysread(list, sizeof(list),
			"/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", c);
		sysread(mask, sizeof(mask),
			"/sys/devices/system/cpu/cpu%d/topology/thread_siblings", c);
		CHECK_OK(parse_list(list, &threads));
		CHECK_OK(parse_mask(mask, &tmask));
		CHECK(CPU_EQUAL(&threads, &tmask));
		CHECK(CPU_ISSET(c, &threads));
		sysread(list, sizeof(list),
			"/sys/devices/system/cpu/cpu%d/topology/core_siblings_list", c);
		CHECK_OK(parse_list(list, &cores));
		CPU_AND(&tmask, &threads, &cores);
		CHECK(CPU_EQUAL(&tmask, &threads));
		CHECK(strlen(sysread(list, sizeof(list),
				     "/sys/devices/system/cpu/cpu%d/topology/die_id", c)) > 0);
	}
}

/* cpu0's caches: L1 at least; size = ways * sets * line * partitions; shared with cpu0. */
static void cpu0_caches_are_described(void)
{
	char buf[512], mask[512];
	int idx, l1 = 0;

	for (idx = 0;; idx++) {
		const char *d = "/sys/devices/system/cpu/cpu0/cache/index";
		long ways, sets, line, part, size;
		cpu_set_t s, m;

		if (!*sysread(buf, sizeof(buf), "%s%d/type", d, idx))
			break;
		CHECK(!strcmp(buf, "Data") || !strcmp(buf, "Instruction") ||
		      !strcmp(buf, "Unified"));
		l1 += atoi(sysread(buf, sizeof(buf), "%s%d/level", d, idx)) == 1;
		ways = atol(sysread(buf, sizeof(buf), "%s%d/ways_of_associativity", d, idx));
		sets = atol(sysread(buf, sizeof(buf), "%s%d/number_of_sets", d, idx));
		line = atol(sysread(buf, sizeof(buf), "%s%d/coherency_line_size", d, idx));
		part = atol(sysread(buf, sizeof(buf), "%s%d/physical_line_partition", d, idx));
		size = atol(sysread(buf, sizeof(buf), "%s%d/size", d, idx));
		CHECK_EQ(buf[strlen(buf) - 1], 'K');
		CHECK(line > 0);
		CHECK_EQ(ways * sets * line * part, size * 1024);
		CHECK_OK(parse_list(sysread(buf, sizeof(buf), "%s%d/shared_cpu_list", d, idx), &s));
		CHECK_OK(
		    parse_mask(sysread(mask, sizeof(mask), "%s%d/shared_cpu_map", d, idx), &m));
		CHECK(CPU_EQUAL(&s, &m));
		CHECK(CPU_ISSET(0, &s));
	}
	CHECK(idx >= 2);
	CHECK(l1 >= 1);
	CHECK_ERR(open("/sys/devices/system/cpu/cpu0/cache/index99/type", O_RDONLY), ENOENT);
	CHECK_ERR(open("/sys/devices/system/cpu/cpu0/cache/index00/type", O_RDONLY), ENOENT);
	CHECK_ERR(open("/sys/devices/system/cpu/cpu0/cache/index+0/type", O_RDONLY), ENOENT);
	CHECK_ERR(open("/sys/devices/system/cpu/cpu00/topology/core_id", O_RDONLY), ENOENT);
	CHECK_ERR(open("/sys/devices/system/cpu/cpu 0/topology/core_id", O_RDONLY), ENOENT);
	CHECK_ERR(open("/sys/devices/system/node/node00/cpulist", O_RDONLY), ENOENT);
}

/* The online nodes' cpulists cover exactly the online CPUs. */
static void nodes_cover_the_cpus(void)
{
	char buf[512];
	cpu_set_t nodes, all, online, s, m;
	int n = 0;

	CHECK_OK(parse_list(sysread(buf, sizeof(buf), "/sys/devices/system/node/online"), &nodes));
	CHECK(CPU_COUNT(&nodes) >= 1);
	CPU_ZERO(&all);
	for (int id = 0; id < CPU_SETSIZE; id++) {
		if (!CPU_ISSET(id, &nodes))
			continue;
		CHECK_OK(parse_list(
		    sysread(buf, sizeof(buf), "/sys/devices/system/node/node%d/cpulist", id), &s));
		CHECK_OK(parse_mask(
		    sysread(buf, sizeof(buf), "/sys/devices/system/node/node%d/cpumap", id), &m));
		CHECK(CPU_EQUAL(&s, &m));
		n += CPU_COUNT(&s);
		CPU_OR(&all, &all, &s);
	}
	online_cpus(&online);
	CHECK(CPU_EQUAL(&all, &online));
	CHECK_EQ(n, CPU_COUNT(&online));
}

/* Each vulnerability report is one non-empty line. */
static void vulnerabilities_are_reported(void)
{
	DIR *d = opendir("/sys/devices/system/cpu/vulnerabilities");
	struct dirent *e;
	char buf[512];
	int files = 0;

	CHECK(d != NULL);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		files++;
		CHECK(strlen(sysread(buf, sizeof(buf), "/sys/devices/system/cpu/vulnerabilities/%s",
				     e->d_name)) > 0);
	}
	if (d)
		closedir(d);
	CHECK(files > 0);
	CHECK(strlen(sysread(buf, sizeof(buf),
			     "/sys/devices/system/cpu/vulnerabilities/meltdown")) > 0);
}

/* Linux's boot default: max(32768, 1024 * possible CPUs), at most 4194304 (a host with
 * kernel.pid_max set by sysctl fails natively here, and says so). New pids are below it. */
static void pid_max_is_the_boot_default(void)
{
	char buf[512];
	cpu_set_t possible;
	long want, got;
	pid_t child;
	int status;

	CHECK_OK(
	    parse_list(sysread(buf, sizeof(buf), "/sys/devices/system/cpu/possible"), &possible));
	want = 1024L * CPU_COUNT(&possible);
	want = want < 32768 ? 32768 : want > 4194304 ? 4194304 : want;
	got = atol(sysread(buf, sizeof(buf), "/proc/sys/kernel/pid_max"));
	if (got != want)
		printf("  pid_max %ld is not the boot default %ld: set by sysctl?\n", got, want);
	CHECK_EQ(got, want);
	child = CHECK_OK(fork());
	if (child == 0)
		_exit(0);
	CHECK(child < got);
	CHECK_EQ(waitpid(child, &status, 0), child);
}

int main(void)
{
	h_begin();
	RUN(topology_matches_cpuinfo);
	RUN(affinity_cpus_have_topology);
	RUN(cpu0_caches_are_described);
	RUN(nodes_cover_the_cpus);
	RUN(vulnerabilities_are_reported);
	RUN(pid_max_is_the_boot_default);
	return h_end();
}
