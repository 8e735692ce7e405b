/* sysctl.c: config.json's linux.sysctl. The keys the Sentry owns (its IPC namespace's
 * limits, the UTS names) go to it; net.* gets a warning (no network stack yet); any
 * other key is refused, as runc refuses sysctls that are not namespaced. */
#include "runsc/oci/oci_internal.h"

#include <string.h>

#include "lib/util.h"

/* Written by the Sentry at boot through its /proc/sys code. */
static const char *const g_sentry_keys[] = {
	"kernel.shmmax", "kernel.shmall", "kernel.shmmni", "kernel.msgmax", "kernel.msgmnb",
	"kernel.msgmni", "kernel.sem", "fs.mqueue.queues_max", "fs.mqueue.msg_max",
	"fs.mqueue.msgsize_max", "fs.mqueue.msg_default", "fs.mqueue.msgsize_default",
	"kernel.hostname", "kernel.domainname", NULL,
};

/* Namespaced in Linux (runc allows them) but not kept by the Sentry. */
static const char *const g_unsupported_keys[] = {
	"kernel.shm_rmid_forced", "kernel.msg_next_id", "kernel.sem_next_id",
	"kernel.shm_next_id", "kernel.auto_msgmni", NULL,
};

static bool in_list(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (!strcmp(*list, key))
			return true;
	return false;
}

/* sysctl(8)'s spelling: when '/' comes first it separates and '.' is literal. */
static char *normalize_key(const char *key)
{
	char *k = xstrdup(key);
	size_t slash = strcspn(k, "/"), dot = strcspn(k, ".");

	if (slash < dot)
		for (char *p = k; *p; p++)
			*p = *p == '/' ? '.' : *p == '.' ? '/' : *p;
	return k;
}

/* Classify one key: 1 for the Sentry, 0 to ignore (warned), or an error. */
static int classify(const char *key, struct oci_warnings *w, struct oci_error *e)
{
	if (in_list(g_sentry_keys, key))
		return 1;
	if (!strncmp(key, "net.", 4)) {
		oci_warn(w, "linux.sysctl: `%s`: the sandbox has no network stack yet, ignored",
			 key);
		return 0;
	}
	if (in_list(g_unsupported_keys, key) || !strncmp(key, "fs.mqueue.", 10))
		return oci_errorf(e, "linux.sysctl: `%s` is not supported by runsc", key);
	return oci_errorf(e, "linux.sysctl: `%s` is not a namespaced sysctl: a container "
			  "cannot set it", key);
}

int oci_parse_sysctl(json_t *obj, struct oci_spec *s, struct oci_error *e)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return oci_errorf(e, "linux.sysctl: must be an object");
	s->sysctls = xcalloc(json_object_size(obj) + 1, sizeof(*s->sysctls));
	json_object_foreach(obj, key, v) {
		char *k = normalize_key(key);
		int r = json_is_string(v) ? classify(k, &s->warnings, e)
					  : oci_errorf(e, "linux.sysctl.%s: must be a string", key);
		if (r <= 0) {
			free(k);
			if (r < 0)
				return r;
			continue;
		}
		s->sysctls[s->nsysctls].key = k;
		s->sysctls[s->nsysctls++].value = xstrdup(json_string_value(v));
	}
	return 0;
}

void oci_sysctls_free(struct oci_spec *s)
{
	for (int i = 0; i < s->nsysctls; i++) {
		free(s->sysctls[i].key);
		free(s->sysctls[i].value);
	}
	free(s->sysctls);
	s->sysctls = NULL;
	s->nsysctls = 0;
}
