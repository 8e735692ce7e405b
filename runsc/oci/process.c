/* process.c: the OCI `process` object (config.json's and `exec --process` files). */
#include "runsc/oci/oci_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

static int parse_user(json_t *obj, const char *prefix, struct oci_process *p,
		      struct oci_warnings *w, struct oci_error *e)
{
	static const char *const known[] = {"uid", "gid", "umask", "additionalGids", "username",
					    NULL};
	char pfx[64];
	json_t *user, *gids;
	int64_t v;
	int err;

	err = oci_get_obj(obj, prefix, "user", &user, e);
	if (err || !user)
		return err;
	snprintf(pfx, sizeof(pfx), "%s.user", prefix);
	v = 0;
	err = oci_get_int(user, pfx, "uid", 0, UINT32_MAX - 1, false, &v, e);
	p->uid = (uid_t)v;
	v = 0;
	if (!err)
		err = oci_get_int(user, pfx, "gid", 0, UINT32_MAX - 1, false, &v, e);
	p->gid = (gid_t)v;
	v = -1;
	if (!err)
		err = oci_get_int(user, pfx, "umask", 0, 0777, false, &v, e);
	p->umask = (int)v;
	if (!err)
		err = oci_get_arr(user, pfx, "additionalGids", &gids, e);
	if (err)
		return err;
	if (gids && json_array_size(gids) > OCI_MAX_GIDS)
		return oci_errorf(e, "%s.additionalGids: more than %d groups", pfx, OCI_MAX_GIDS);
	for (size_t i = 0; gids && i < json_array_size(gids); i++) {
		json_t *g = json_array_get(gids, i);
		if (!json_is_integer(g) || json_integer_value(g) < 0 ||
		    json_integer_value(g) > UINT32_MAX - 1)
			return oci_errorf(e, "%s.additionalGids[%zu]: must be a group id", pfx, i);
		p->gids[p->ngids++] = (gid_t)json_integer_value(g);
	}
	if (oci_has(user, "username"))
		oci_warn(w, "%s.username: ignored (Windows only)", pfx);
	oci_warn_unknown(user, pfx, known, w);
	return 0;
}

static int parse_caps(json_t *obj, const char *prefix, struct oci_process *p,
		      struct oci_warnings *w, struct oci_error *e)
{
	static const char *const sets[OCI_CAP_NSETS] = {"bounding", "effective", "inheritable",
							"permitted", "ambient"};
	static const char *const known[] = {"bounding", "effective", "inheritable", "permitted",
					    "ambient", NULL};
	char pfx[64];
	json_t *caps, *arr;
	int err;

	err = oci_get_obj(obj, prefix, "capabilities", &caps, e);
	if (err || !caps)
		return err;
	snprintf(pfx, sizeof(pfx), "%s.capabilities", prefix);
	p->has_caps = true;
	for (int s = 0; s < OCI_CAP_NSETS; s++) {
		err = oci_get_arr(caps, pfx, sets[s], &arr, e);
		if (err)
			return err;
		for (size_t i = 0; arr && i < json_array_size(arr); i++) {
			const char *name = json_string_value(json_array_get(arr, i));
			int cap = name ? oci_cap_from_name(name) : -EINVAL;
			if (!name)
				return oci_errorf(e, "%s.%s[%zu]: must be a string", pfx, sets[s],
						  i);
			if (cap < 0)
				return oci_errorf(e, "%s.%s[%zu]: unknown capability `%s`", pfx,
						  sets[s], i, name);
			p->caps[s] |= 1ULL << cap;
		}
	}
	oci_warn_unknown(caps, pfx, known, w);
	return 0;
}

static int parse_rlimits(json_t *obj, const char *prefix, struct oci_process *p,
			 struct oci_error *e)
{
	char pfx[64];
	json_t *arr;
	int err;

	err = oci_get_arr(obj, prefix, "rlimits", &arr, e);
	for (size_t i = 0; !err && arr && i < json_array_size(arr); i++) {
		json_t *rl = json_array_get(arr, i);
		char *type = NULL;
		struct oci_rlimit r = {0};

		snprintf(pfx, sizeof(pfx), "%s.rlimits[%zu]", prefix, i);
		if (!json_is_object(rl))
			return oci_errorf(e, "%s: must be an object", pfx);
		err = oci_get_str(rl, pfx, "type", true, &type, e);
		if (!err && (r.type = oci_rlimit_from_name(type)) < 0)
			err = oci_errorf(e, "%s.type: unknown rlimit `%s`", pfx, type);
		free(type);
		if (!err)
			err = oci_get_u64(rl, pfx, "soft", &r.soft, e);
		if (!err)
			err = oci_get_u64(rl, pfx, "hard", &r.hard, e);
		if (!err && r.soft > r.hard)
			err = oci_errorf(e, "%s.soft: %llu is above hard (%llu)", pfx,
					 (unsigned long long)r.soft, (unsigned long long)r.hard);
		for (int j = 0; !err && j < p->nrlimits; j++)
			if (p->rlimits[j].type == r.type)
				err = oci_errorf(e, "%s.type: `%s` is given twice", pfx,
						 oci_rlimit_name(r.type));
		if (!err)
			p->rlimits[p->nrlimits++] = r;
	}
	return err;
}

static int parse_console(json_t *obj, const char *prefix, struct oci_process *p,
			 struct oci_error *e)
{
	char pfx[64];
	json_t *cs;
	int64_t h = 0, wd = 0;
	int err = oci_get_obj(obj, prefix, "consoleSize", &cs, e);

	if (err || !cs)
		return err;
	snprintf(pfx, sizeof(pfx), "%s.consoleSize", prefix);
	err = oci_get_int(cs, pfx, "height", 0, 65535, true, &h, e);
	if (!err)
		err = oci_get_int(cs, pfx, "width", 0, 65535, true, &wd, e);
	p->console_height = (unsigned)h;
	p->console_width = (unsigned)wd;
	return err;
}

/* Linux's range for /proc/PID/oom_score_adj (OOM_SCORE_ADJ_MIN..MAX). */
static int parse_oom_score_adj(json_t *obj, const char *prefix, struct oci_process *p,
			       struct oci_error *e)
{
	int64_t v = 0;
	int err;

	if (!oci_has(obj, "oomScoreAdj"))
		return 0;
	err = oci_get_int(obj, prefix, "oomScoreAdj", -1000, 1000, false, &v, e);
	p->has_oom_score_adj = !err;
	p->oom_score_adj = (int)v;
	return err;
}

/* A policy name's number (sched.h), -1 if unknown; SCHED_DEADLINE is 6. */
static int sched_policy_num(const char *name)
{
	static const char *const names[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",
					    "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE",
					    "SCHED_DEADLINE"};

	for (int i = 0; i < (int)ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

static int sched_flags(json_t *s, const char *pfx, struct oci_process *p,
		       struct oci_warnings *w, struct oci_error *e)
{
	json_t *flags;
	int err = oci_get_arr(s, pfx, "flags", &flags, e);

	for (size_t i = 0; !err && flags && i < json_array_size(flags); i++) {
		const char *f = json_string_value(json_array_get(flags, i));
		if (!f)
			return oci_errorf(e, "%s.flags[%zu]: must be a string", pfx, i);
		if (!strcmp(f, "SCHED_FLAG_RESET_ON_FORK"))
			p->sched_reset_on_fork = true;
		else
			oci_warn(w, "%s.flags: %s not supported by runsc, ignored", pfx, f);
	}
	return err;
}

/* process.scheduler, checked as runc and Linux's sched_setattr would check it. */
static int parse_scheduler(json_t *obj, const char *prefix, struct oci_process *p,
			   struct oci_warnings *w, struct oci_error *e)
{
	static const char *const known[] = {"policy", "nice", "priority", "flags", "runtime",
					    "deadline", "period", NULL};
	char pfx[64], *policy = NULL;
	int64_t nice = 0, prio = 0;
	json_t *s;
	int err = oci_get_obj(obj, prefix, "scheduler", &s, e);

	if (err || !s)
		return err;
	snprintf(pfx, sizeof(pfx), "%s.scheduler", prefix);
	err = oci_get_str(s, pfx, "policy", true, &policy, e);
	if (!err)
		err = oci_get_int(s, pfx, "nice", -20, 19, false, &nice, e);
	if (!err)
		err = oci_get_int(s, pfx, "priority", 0, 99, false, &prio, e);
	if (!err)
		err = sched_flags(s, pfx, p, w, e);
	p->sched_policy = policy ? sched_policy_num(policy) : -1;
	if (!err && (p->sched_policy < 0 || p->sched_policy == 4))
		err = oci_errorf(e, "%s.policy: `%s` is not a Linux scheduling policy", pfx, policy);
	bool rt = p->sched_policy == 1 || p->sched_policy == 2;
	if (!err && (rt ? prio < 1 : prio != 0))
		err = oci_errorf(e, "%s.priority: must be 1..99 for SCHED_FIFO and SCHED_RR, "
			       "0 for the other policies", pfx);
	if (!err && p->sched_policy != 6 &&
	    (oci_has(s, "runtime") || oci_has(s, "deadline") || oci_has(s, "period")))
		err = oci_errorf(e, "%s: runtime, deadline and period are for SCHED_DEADLINE", pfx);
	free(policy);
	if (err)
		return err;
	if (p->sched_policy == 6)
		oci_warn(w, "%s.policy: SCHED_DEADLINE not supported by runsc, ignored", pfx);
	p->has_sched = p->sched_policy != 6;
	p->sched_nice = (int)nice;
	p->sched_prio = (int)prio;
	oci_warn_unknown(s, pfx, known, w);
	return 0;
}

/* process.ioPriority: a class and a level 0..7, as ioprio_set takes them. */
static int parse_io_priority(json_t *obj, const char *prefix, struct oci_process *p,
			     struct oci_warnings *w, struct oci_error *e)
{
	static const char *const classes[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
					      "IOPRIO_CLASS_IDLE"};
	static const char *const known[] = {"class", "priority", NULL};
	char pfx[64], *class = NULL;
	int64_t level = 0;
	json_t *io;
	int err = oci_get_obj(obj, prefix, "ioPriority", &io, e), c = 0;

	if (err || !io)
		return err;
	snprintf(pfx, sizeof(pfx), "%s.ioPriority", prefix);
	err = oci_get_str(io, pfx, "class", true, &class, e);
	if (!err)
		err = oci_get_int(io, pfx, "priority", 0, 7, false, &level, e);
	for (int i = 0; !err && i < (int)ARRAY_SIZE(classes); i++)
		if (!strcmp(class, classes[i]))
			c = i + 1; /* IOPRIO_CLASS_RT is 1 */
	if (!err && !c)
		err = oci_errorf(e, "%s.class: `%s` is not an I/O priority class", pfx, class);
	free(class);
	if (err)
		return err;
	p->ioprio = (c << 13) | (int)level;
	oci_warn_unknown(io, pfx, known, w);
	return 0;
}

/* Fields runsc reads but cannot apply inside the Sentry: one warning each. */
static void warn_unapplied(json_t *obj, const char *prefix, struct oci_warnings *w)
{
	static const char *const names[] = {"apparmorProfile", "selinuxLabel", "execCPUAffinity",
					    "commandLine", NULL};
	for (const char *const *n = names; *n; n++)
		if (oci_has(obj, *n))
			oci_warn(w, "%s.%s: not supported by runsc, ignored", prefix, *n);
}

int oci_process_parse(json_t *obj, const char *prefix, struct oci_process *p,
		      struct oci_warnings *w, struct oci_error *e)
{
	static const char *const known[] = {
		"terminal", "consoleSize", "user", "args", "env", "cwd", "capabilities",
		"rlimits", "noNewPrivileges", "apparmorProfile", "selinuxLabel", "oomScoreAdj",
		"scheduler", "ioPriority", "execCPUAffinity", "commandLine", NULL};
	char pfx[64];
	json_t *v;
	int err;

	memset(p, 0, sizeof(*p));
	p->umask = -1;
	if (!json_is_object(obj))
		return oci_errorf(e, "%s: must be an object", prefix);
	err = oci_get_bool(obj, prefix, "terminal", &p->terminal, e);
	if (!err)
		err = parse_console(obj, prefix, p, e);
	if (!err)
		err = parse_user(obj, prefix, p, w, e);
	if (err)
		goto fail;
	v = json_object_get(obj, "args");
	snprintf(pfx, sizeof(pfx), "%s.args", prefix);
	if (!v || json_is_null(v)) {
		err = oci_errorf(e, "%s: is required", pfx);
		goto fail;
	}
	err = oci_strv(v, pfx, &p->args, e);
	if (!err && !p->args[0])
		err = oci_errorf(e, "%s: must not be empty", pfx);
	if (!err && !p->args[0][0])
		err = oci_errorf(e, "%s[0]: must not be empty", pfx);
	if (err)
		goto fail;
	v = json_object_get(obj, "env");
	snprintf(pfx, sizeof(pfx), "%s.env", prefix);
	err = v && !json_is_null(v) ? oci_strv(v, pfx, &p->env, e) : 0;
	if (!err && !p->env)
		p->env = xcalloc(1, sizeof(char *));
	if (!err)
		err = oci_get_str(obj, prefix, "cwd", false, &p->cwd, e);
	if (!err && !p->cwd)
		p->cwd = xstrdup("/");
	if (!err && p->cwd[0] != '/')
		err = oci_errorf(e, "%s.cwd: `%s` is not an absolute path", prefix, p->cwd);
	if (!err)
		err = parse_caps(obj, prefix, p, w, e);
	if (!err)
		err = parse_rlimits(obj, prefix, p, e);
	if (!err)
		err = oci_get_bool(obj, prefix, "noNewPrivileges", &p->no_new_privs, e);
	if (!err)
		err = parse_oom_score_adj(obj, prefix, p, e);
	if (!err)
		err = parse_scheduler(obj, prefix, p, w, e);
	if (!err)
		err = parse_io_priority(obj, prefix, p, w, e);
	if (err)
		goto fail;
	warn_unapplied(obj, prefix, w);
	oci_warn_unknown(obj, prefix, known, w);
	return 0;
fail:
	oci_process_free(p);
	return err;
}

void oci_process_free(struct oci_process *p)
{
	oci_strv_free(p->args);
	oci_strv_free(p->env);
	free(p->cwd);
	p->args = p->env = NULL;
	p->cwd = NULL;
}
