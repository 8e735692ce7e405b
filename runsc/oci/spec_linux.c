/* spec_linux.c: config.json's mounts, hooks and linux objects (namespaces, cgroups,
 * resources, masked and read-only paths), with a warning for each field not applied. */
#include "runsc/oci/oci_internal.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

static int parse_mount(json_t *m, const char *pfx, struct oci_mount *om, struct oci_warnings *w,
		       struct oci_error *e)
{
	static const char *const known[] = {"destination", "type", "source", "options",
					    "uidMappings", "gidMappings", NULL};
	json_t *opts;
	int err;

	if (!json_is_object(m))
		return oci_errorf(e, "%s: must be an object", pfx);
	err = oci_get_str(m, pfx, "destination", true, &om->destination, e);
	if (!err && om->destination[0] != '/')
		err = oci_errorf(e, "%s.destination: `%s` is not an absolute path", pfx,
				 om->destination);
	if (!err)
		err = oci_get_str(m, pfx, "type", false, &om->type, e);
	if (!err)
		err = oci_get_str(m, pfx, "source", false, &om->source, e);
	if (!err)
		err = oci_get_arr(m, pfx, "options", &opts, e);
	if (!err && opts) {
		char opfx[96];
		snprintf(opfx, sizeof(opfx), "%s.options", pfx);
		err = oci_strv(opts, opfx, &om->options, e);
	}
	if (err)
		return err;
	if (!om->type)
		om->type = xstrdup("");
	if (!om->source)
		om->source = xstrdup("");
	if (!om->options)
		om->options = xcalloc(1, sizeof(char *));
	err = oci_mount_options(om, pfx, w, e);
	if (err)
		return err;
	if (oci_has(m, "uidMappings") || oci_has(m, "gidMappings"))
		oci_warn(w, "%s.uidMappings: id-mapped mounts are not supported, ignored", pfx);
	oci_warn_unknown(m, pfx, known, w);
	return 0;
}

int oci_parse_mounts(json_t *arr, struct oci_spec *s, struct oci_error *e)
{
	char pfx[48];

	s->mounts = xcalloc(json_array_size(arr) + 1, sizeof(*s->mounts));
	for (size_t i = 0; i < json_array_size(arr); i++) {
		snprintf(pfx, sizeof(pfx), "mounts[%zu]", i);
		/* Counted first so that oci_spec_free releases a half-parsed entry. */
		s->nmounts++;
		int err = parse_mount(json_array_get(arr, i), pfx, &s->mounts[i], &s->warnings, e);
		if (err)
			return err;
	}
	return 0;
}

static int parse_hook(json_t *h, const char *pfx, struct oci_hook *oh, struct oci_error *e)
{
	char apfx[96];
	json_t *v;
	int64_t tmo = 0;
	int err;

	if (!json_is_object(h))
		return oci_errorf(e, "%s: must be an object", pfx);
	err = oci_get_str(h, pfx, "path", true, &oh->path, e);
	if (!err && oh->path[0] != '/')
		err = oci_errorf(e, "%s.path: `%s` is not an absolute path", pfx, oh->path);
	if (!err && (v = json_object_get(h, "args")) && !json_is_null(v)) {
		snprintf(apfx, sizeof(apfx), "%s.args", pfx);
		err = oci_strv(v, apfx, &oh->args, e);
	}
	if (!err && (v = json_object_get(h, "env")) && !json_is_null(v)) {
		snprintf(apfx, sizeof(apfx), "%s.env", pfx);
		err = oci_strv(v, apfx, &oh->env, e);
	}
	if (!err)
		err = oci_get_int(h, pfx, "timeout", 1, INT32_MAX, false, &tmo, e);
	oh->timeout = (int)tmo;
	if (!err && !oh->args)
		oh->args = xcalloc(1, sizeof(char *));
	if (!err && !oh->env)
		oh->env = xcalloc(1, sizeof(char *));
	return err;
}

int oci_parse_hooks(json_t *obj, struct oci_spec *s, struct oci_error *e)
{
	static const char *const kinds[OCI_HOOK_NKINDS + 1] = {
		"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
		"poststop", NULL};
	char pfx[64];
	json_t *arr;

	for (int k = 0; k < OCI_HOOK_NKINDS; k++) {
		int err = oci_get_arr(obj, "hooks", kinds[k], &arr, e);
		if (err)
			return err;
		if (!arr)
			continue;
		s->hooks.v[k] = xcalloc(json_array_size(arr) + 1, sizeof(struct oci_hook));
		for (size_t i = 0; i < json_array_size(arr); i++) {
			snprintf(pfx, sizeof(pfx), "hooks.%s[%zu]", kinds[k], i);
			s->hooks.n[k]++;
			err = parse_hook(json_array_get(arr, i), pfx, &s->hooks.v[k][i], e);
			if (err)
				return err;
		}
	}
	oci_warn_unknown(obj, "hooks", kinds, &s->warnings);
	return 0;
}

static int parse_namespaces(json_t *lx, struct oci_spec *s, struct oci_error *e)
{
	static const struct { const char *name; unsigned long flag; } types[] = {
		{"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
		{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"user", CLONE_NEWUSER},
		{"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
	char pfx[48];
	json_t *arr;
	int err = oci_get_arr(lx, "linux", "namespaces", &arr, e);

	for (size_t i = 0; !err && arr && i < json_array_size(arr); i++) {
		json_t *ns = json_array_get(arr, i);
		char *type = NULL, *path = NULL;
		size_t t;

		snprintf(pfx, sizeof(pfx), "linux.namespaces[%zu]", i);
		if (!json_is_object(ns))
			return oci_errorf(e, "%s: must be an object", pfx);
		err = oci_get_str(ns, pfx, "type", true, &type, e);
		if (!err)
			err = oci_get_str(ns, pfx, "path", false, &path, e);
		for (t = 0; !err && t < ARRAY_SIZE(types); t++)
			if (!strcmp(type, types[t].name))
				break;
		if (!err && t == ARRAY_SIZE(types))
			err = oci_errorf(e, "%s.type: unknown namespace type `%s`", pfx, type);
		if (!err && (s->namespaces & types[t].flag))
			err = oci_errorf(e, "%s.type: namespace `%s` is listed twice", pfx, type);
		if (!err) {
			s->namespaces |= types[t].flag;
			/* A pid namespace path in a pod container names its sandbox's (CRI
			 * passes the pause container's): the container shares the sandbox's. */
			if (path && path[0] && types[t].flag == CLONE_NEWPID)
				s->pid_ns_joined = true;
			/* The Sentry is its own kernel: joining a host namespace has no meaning. */
			else if (path && path[0])
				oci_warn(&s->warnings, "%s.path: joining the host namespace `%s` is "
					 "not supported (the sandbox has its own), ignored", pfx,
					 path);
		}
		free(type);
		free(path);
	}
	return err;
}

static int parse_paths(json_t *lx, const char *key, char ***out, struct oci_error *e)
{
	char pfx[48];
	json_t *v = json_object_get(lx, key);
	int err;

	snprintf(pfx, sizeof(pfx), "linux.%s", key);
	if (!v || json_is_null(v)) {
		*out = xcalloc(1, sizeof(char *));
		return 0;
	}
	err = oci_strv(v, pfx, out, e);
	for (size_t i = 0; !err && (*out)[i]; i++)
		if ((*out)[i][0] != '/')
			return oci_errorf(e, "%s[%zu]: `%s` is not an absolute path", pfx, i,
					  (*out)[i]);
	return err;
}

int oci_parse_linux(json_t *lx, struct oci_spec *s, struct oci_error *e)
{
	static const char *const known[] = {
		"namespaces", "uidMappings", "gidMappings", "timeOffsets", "devices",
		"cgroupsPath", "rootfsPropagation", "resources", "unified", "sysctl", "seccomp",
		"maskedPaths", "readonlyPaths", "mountLabel", "intelRdt", "personality",
		"memoryPolicy", NULL};
	static const char *const unapplied[] = {
		"uidMappings", "gidMappings", "timeOffsets", "devices", "mountLabel", "intelRdt",
		"personality", "memoryPolicy", "unified", NULL};
	json_t *res;
	int err;

	err = parse_namespaces(lx, s, e);
	if (!err)
		err = oci_get_str(lx, "linux", "cgroupsPath", false, &s->cgroups_path, e);
	if (!err)
		err = oci_get_obj(lx, "linux", "resources", &res, e);
	if (!err && res)
		err = oci_resources_parse(res, "linux.resources", &s->resources, &s->warnings, e);
	if (!err)
		err = parse_paths(lx, "maskedPaths", &s->masked_paths, e);
	if (!err)
		err = parse_paths(lx, "readonlyPaths", &s->readonly_paths, e);
	if (!err && oci_has(lx, "seccomp"))
		err = oci_parse_seccomp(json_object_get(lx, "seccomp"), &s->seccomp, e);
	if (!err && json_object_get(lx, "sysctl") && !json_is_null(json_object_get(lx, "sysctl")))
		err = oci_parse_sysctl(json_object_get(lx, "sysctl"), s, e);
	if (err)
		return err;
	for (const char *const *n = unapplied; *n; n++)
		if (oci_has(lx, *n))
			oci_warn(&s->warnings, "linux.%s: not supported by runsc, ignored", *n);
	oci_warn_unknown(lx, "linux", known, &s->warnings);
	return 0;
}
