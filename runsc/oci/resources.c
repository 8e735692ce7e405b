/* resources.c: linux.resources (config.json and `runsc update --resources`): the memory,
 * cpu and pids limits runsc applies to the sandbox's host cgroup. */
#include "runsc/oci/oci_internal.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"

void oci_resources_init(struct oci_resources *r)
{
	memset(r, 0, sizeof(*r));
	r->memory_limit = r->memory_swap = r->memory_reservation = -1;
	r->cpu_quota = -1;
}

void oci_resources_free(struct oci_resources *r)
{
	free(r->cpuset_cpus);
	free(r->cpuset_mems);
	r->cpuset_cpus = r->cpuset_mems = NULL;
}

static int parse_memory(json_t *res, const char *prefix, struct oci_resources *r,
			struct oci_warnings *w, struct oci_error *e)
{
	static const char *const known[] = {"limit", "reservation", "swap", "kernel",
					    "kernelTCP", "swappiness", "disableOOMKiller",
					    "useHierarchy", "checkBeforeUpdate", NULL};
	char pfx[64];
	json_t *m;
	int err = oci_get_obj(res, prefix, "memory", &m, e);

	if (err || !m)
		return err;
	snprintf(pfx, sizeof(pfx), "%s.memory", prefix);
	err = oci_get_int(m, pfx, "limit", -1, INT64_MAX, false, &r->memory_limit, e);
	if (!err)
		err = oci_get_int(m, pfx, "swap", -1, INT64_MAX, false, &r->memory_swap, e);
	if (!err)
		err = oci_get_int(m, pfx, "reservation", -1, INT64_MAX, false,
				  &r->memory_reservation, e);
	if (err)
		return err;
	for (const char *const *n = known + 3; *n; n++)
		if (oci_has(m, *n))
			oci_warn(w, "%s.%s: not supported by runsc, ignored", pfx, *n);
	oci_warn_unknown(m, pfx, known, w);
	return 0;
}

static int parse_cpu(json_t *res, const char *prefix, struct oci_resources *r,
		     struct oci_warnings *w, struct oci_error *e)
{
	static const char *const known[] = {"shares", "quota", "period", "cpus", "mems",
					    "realtimeRuntime", "realtimePeriod", "burst", "idle",
					    NULL};
	char pfx[64];
	json_t *c;
	int err = oci_get_obj(res, prefix, "cpu", &c, e);

	if (err || !c)
		return err;
	snprintf(pfx, sizeof(pfx), "%s.cpu", prefix);
	err = oci_get_u64(c, pfx, "shares", &r->cpu_shares, e);
	if (!err)
		err = oci_get_int(c, pfx, "quota", -1, INT64_MAX, false, &r->cpu_quota, e);
	if (!err)
		err = oci_get_u64(c, pfx, "period", &r->cpu_period, e);
	if (!err)
		err = oci_get_str(c, pfx, "cpus", false, &r->cpuset_cpus, e);
	if (!err)
		err = oci_get_str(c, pfx, "mems", false, &r->cpuset_mems, e);
	if (err)
		return err;
	for (const char *const *n = known + 5; *n; n++)
		if (oci_has(c, *n))
			oci_warn(w, "%s.%s: not supported by runsc, ignored", pfx, *n);
	oci_warn_unknown(c, pfx, known, w);
	return 0;
}

int oci_resources_parse(json_t *res, const char *prefix, struct oci_resources *r,
			struct oci_warnings *w, struct oci_error *e)
{
	static const char *const known[] = {"memory", "cpu", "pids", "devices", "blockIO",
					    "hugepageLimits", "network", "rdma", "unified", NULL};
	char pfx[64];
	json_t *p;
	int err;

	if (!json_is_object(res))
		return oci_errorf(e, "%s: must be an object", prefix);
	err = parse_memory(res, prefix, r, w, e);
	if (!err)
		err = parse_cpu(res, prefix, r, w, e);
	if (!err)
		err = oci_get_obj(res, prefix, "pids", &p, e);
	if (!err && p) {
		snprintf(pfx, sizeof(pfx), "%s.pids", prefix);
		err = oci_get_int(p, pfx, "limit", -1, INT64_MAX, true, &r->pids_limit, e);
	}
	if (err)
		return err;
	/* devices: the Sentry has its own /dev and never opens host devices for the
	 * container, which is stronger than any device cgroup rule: accepted as is. */
	for (const char *const *n = known + 4; *n; n++)
		if (oci_has(res, *n))
			oci_warn(w, "%s.%s: not supported by runsc, ignored", prefix, *n);
	oci_warn_unknown(res, prefix, known, w);
	return 0;
}
