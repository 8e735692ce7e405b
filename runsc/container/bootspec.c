/* bootspec.c: the Sentry's boot spec (JSON in a memfd) made from an OCI spec: program,
 * identity, limits, and the mounts the Sentry serves itself. */
#include "runsc/container/container_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lib/log.h"
#include "runsc/runsc.h"

static json_t *strv_json(char **v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/* One mount for the Sentry: what to mount and the flags programs can observe. */
static json_t *mount_json(const struct oci_mount *m)
{
	return json_pack("{s:s, s:s, s:o, s:s, s:b, s:b, s:b, s:b, s:b, s:b}", "destination",
			 m->destination, "type", m->bind ? "bind" : m->type, "options",
			 strv_json(m->options), "data", m->data, "readonly", m->readonly,
			 "nosuid", (m->flags & MS_NOSUID) != 0, "nodev",
			 (m->flags & MS_NODEV) != 0, "noexec", (m->flags & MS_NOEXEC) != 0,
			 "bind", m->bind, "dir", !m->bind || m->source_is_dir);
}

/* Sentry-served mounts and bind mounts (served by the Gofer, numbered in this order)
 * pass; the rest get one warning each. */
static json_t *mounts_json(const struct oci_spec *s)
{
	static const char *const own[] = {"tmpfs", "proc", "sysfs", "devpts", "mqueue",
					  "cgroup", "cgroup2", NULL};
	json_t *a = json_array();

	for (int i = 0; i < s->nmounts; i++) {
		const struct oci_mount *m = &s->mounts[i];
		const char *const *t = own;
		while (*t && strcmp(*t, m->type))
			t++;
		if (!m->bind && !*t) {
			log_warn("mounts[%d]: %s mount of `%s` at `%s` is not supported, skipped",
				 i, m->type, m->source, m->destination);
			continue;
		}
		json_array_append_new(a, mount_json(m));
	}
	return a;
}

/* The compiled seccomp profile as [code, jt, jf, k, ...]. */
static json_t *seccomp_json(const struct oci_seccomp *sc)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sc->len; i++) {
		json_array_append_new(a, json_integer(sc->prog[i].code));
		json_array_append_new(a, json_integer(sc->prog[i].jt));
		json_array_append_new(a, json_integer(sc->prog[i].jf));
		json_array_append_new(a, json_integer(sc->prog[i].k));
	}
	return a;
}

json_t *bootspec_resources(const struct oci_resources *r)
{
	json_t *o = json_object();

	if (r->memory_limit > 0)
		json_object_set_new(o, "memory_max", json_integer(r->memory_limit));
	if (r->memory_reservation > 0)
		json_object_set_new(o, "memory_low", json_integer(r->memory_reservation));
	if (r->memory_swap > 0 && r->memory_limit > 0 && r->memory_swap >= r->memory_limit)
		json_object_set_new(o, "swap_max",
				    json_integer(r->memory_swap - r->memory_limit));
	if (r->pids_limit > 0 || r->pids_limit == -1) /* -1: unlimited ("max") */
		json_object_set_new(o, "pids_max", json_integer(r->pids_limit));
	if (r->cpu_quota > 0)
		json_object_set_new(o, "cpu_quota", json_integer(r->cpu_quota));
	if (r->cpu_period)
		json_object_set_new(o, "cpu_period", json_integer((json_int_t)r->cpu_period));
	if (r->cpu_shares >= 2)
		json_object_set_new(o, "cpu_weight",
				    json_integer((json_int_t)(1 + (r->cpu_shares - 2) * 9999 / 262142)));
	return o;
}

json_t *bootspec_process(const struct oci_process *p)
{
	json_t *gids = json_array(), *rl = json_array();
	json_t *o;

	for (int i = 0; i < p->ngids; i++)
		json_array_append_new(gids, json_integer(p->gids[i]));
	for (int i = 0; i < p->nrlimits; i++)
		json_array_append_new(rl, json_pack("{s:i, s:I, s:I}", "type", p->rlimits[i].type,
						    "soft", (json_int_t)p->rlimits[i].soft,
						    "hard", (json_int_t)p->rlimits[i].hard));
	o = json_pack("{s:o, s:o, s:s, s:I, s:I, s:o, s:o}", "args", strv_json(p->args), "env",
		      strv_json(p->env), "cwd", p->cwd, "uid", (json_int_t)p->uid, "gid",
		      (json_int_t)p->gid, "gids", gids, "rlimits", rl);
	if (p->umask >= 0)
		json_object_set_new(o, "umask", json_integer(p->umask));
	if (p->has_caps)
		json_object_set_new(o, "capabilities",
				    json_pack("{s:I, s:I, s:I, s:I, s:I}",
					      "bounding", (json_int_t)p->caps[OCI_CAP_BOUNDING],
					      "effective", (json_int_t)p->caps[OCI_CAP_EFFECTIVE],
					      "inheritable", (json_int_t)p->caps[OCI_CAP_INHERITABLE],
					      "permitted", (json_int_t)p->caps[OCI_CAP_PERMITTED],
					      "ambient", (json_int_t)p->caps[OCI_CAP_AMBIENT]));
	json_object_set_new(o, "no_new_privs", json_boolean(p->no_new_privs));
	if (p->has_oom_score_adj)
		json_object_set_new(o, "oom_score_adj", json_integer(p->oom_score_adj));
	if (p->has_sched)
		json_object_set_new(o, "sched", json_pack("{s:i, s:i, s:i, s:b}", "policy",
							  p->sched_policy, "nice", p->sched_nice,
							  "priority", p->sched_prio, "reset_on_fork",
							  p->sched_reset_on_fork));
	if (p->ioprio)
		json_object_set_new(o, "ioprio", json_integer(p->ioprio));
	json_object_set_new(o, "terminal", json_boolean(p->terminal));
	return o;
}

json_t *bootspec_json(const struct oci_spec *s, const char *id)
{
	json_t *o = bootspec_process(&s->process);
	char host[65];

	snprintf(host, sizeof(host), "%s", s->hostname ? s->hostname : id);
	/* The program is "argv" for the Sentry. */
	json_object_set(o, "argv", json_object_get(o, "args"));
	json_object_set_new(o, "hostname", json_string(host));
	/* --overlay2=none: the Sentry mounts the bundle's rootfs read-write from the Gofer
	 * (no in-memory upper); root.readonly still keeps every write out. */
	json_object_set_new(o, "overlay", json_boolean(!runsc_write_through()));
	json_object_set_new(o, "readonly", json_boolean(s->root_readonly));
	json_object_set_new(o, "tmpfs_tmp", json_false());
	json_object_set_new(o, "mounts", mounts_json(s));
	json_object_set_new(o, "masked", strv_json(s->masked_paths));
	json_object_set_new(o, "readonly_paths", strv_json(s->readonly_paths));
	json_object_set_new(o, "resources", bootspec_resources(&s->resources));
	if (s->nsysctls) {
		json_t *sc = json_array();
		for (int i = 0; i < s->nsysctls; i++)
			json_array_append_new(sc, json_pack("{s:s, s:s}", "key", s->sysctls[i].key,
							    "value", s->sysctls[i].value));
		json_object_set_new(o, "sysctl", sc);
	}
	if (s->seccomp.prog) {
		json_object_set_new(o, "seccomp", seccomp_json(&s->seccomp));
		json_object_set_new(o, "seccomp_log", json_boolean(s->seccomp.log));
	}
	return o;
}

int bootspec_memfd(const struct oci_spec *s, const char *id, struct oci_error *e)
{
	json_t *o = bootspec_json(s, id);
	int fd = runsc_json_memfd(o, "runsc-spec");

	if (fd < 0) {
		json_decref(o);
		return oci_errorf(e, "cannot write the boot spec: %s", strerror(errno));
	}
	json_decref(o);
	return fd;
}
