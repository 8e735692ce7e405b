/* seccomp.c: config.json's linux.seccomp compiled with libseccomp into the classic BPF
 * program the Sentry runs before each of the container's syscalls (the syscalls never
 * reach the host, so the host kernel cannot apply it). Actions, errnoRet, argument
 * conditions and architectures as runc reads them; TRACE and NOTIFY are refused. */
#include "runsc/oci/oci_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <seccomp.h>

#include "lib/util.h"

#define ERRNO_DEFAULT 1 /* EPERM, as runc: SCMP_ACT_ERRNO without errnoRet */

static int parse_action(json_t *obj, const char *pfx, const char *key, const char *errno_key,
			bool req, uint32_t def_errno, uint32_t *out, struct oci_error *e)
{
	static const struct { const char *name; uint32_t act; } acts[] = {
		{"SCMP_ACT_KILL", SCMP_ACT_KILL}, {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
		{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS}, {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
		{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW}, {"SCMP_ACT_LOG", SCMP_ACT_LOG}};
	char *name = NULL;
	int64_t err_ret = def_errno;
	int ret = oci_get_str(obj, pfx, key, req, &name, e);

	if (ret)
		return ret;
	if (!name)
		return 1; /* absent and optional */
	ret = oci_get_int(obj, pfx, errno_key, 0, 4095, false, &err_ret, e);
	if (!ret && !strcmp(name, "SCMP_ACT_ERRNO")) {
		*out = SCMP_ACT_ERRNO((uint32_t)err_ret);
	} else if (!ret && (!strcmp(name, "SCMP_ACT_TRACE") || !strcmp(name, "SCMP_ACT_NOTIFY"))) {
		ret = oci_errorf(e, "%s.%s: `%s` is not supported by runsc (no tracer or "
				 "listener can reach the sandbox's processes)", pfx, key, name);
	} else if (!ret) {
		size_t i;
		for (i = 0; i < ARRAY_SIZE(acts) && strcmp(acts[i].name, name); i++)
			;
		if (i == ARRAY_SIZE(acts))
			ret = oci_errorf(e, "%s.%s: unknown action `%s`", pfx, key, name);
		else
			*out = acts[i].act;
	}
	free(name);
	return ret;
}

static int parse_arg(json_t *a, const char *pfx, struct scmp_arg_cmp *c, struct oci_error *e)
{
	static const struct { const char *name; enum scmp_compare op; } ops[] = {
		{"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT},
		{"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
		{"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
		{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
	int64_t index = 0;
	uint64_t v1 = 0, v2 = 0;
	char *op = NULL;
	size_t i;
	int ret;

	if (!json_is_object(a))
		return oci_errorf(e, "%s: must be an object", pfx);
	ret = oci_get_int(a, pfx, "index", 0, 5, true, &index, e);
	if (!ret)
		ret = oci_get_u64(a, pfx, "value", &v1, e);
	if (!ret)
		ret = oci_get_u64(a, pfx, "valueTwo", &v2, e);
	if (!ret)
		ret = oci_get_str(a, pfx, "op", true, &op, e);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(ops) && strcmp(ops[i].name, op); i++)
		;
	if (i == ARRAY_SIZE(ops))
		ret = oci_errorf(e, "%s.op: unknown operator `%s`", pfx, op);
	else
		*c = (struct scmp_arg_cmp){(unsigned)index, ops[i].op, v1, v2};
	free(op);
	return ret;
}

/* Add the rule for one name. Conditions on one argument index twice become separate
 * rules (libseccomp cannot AND them), as runc does. */
static int add_rule(scmp_filter_ctx ctx, int nr, uint32_t act, struct scmp_arg_cmp *c, int n)
{
	bool dup = false;

	for (int i = 0; i < n && !dup; i++)
		for (int j = i + 1; j < n; j++)
			dup |= c[i].arg == c[j].arg;
	if (!dup)
		return seccomp_rule_add_array(ctx, act, nr, (unsigned)n, c);
	for (int i = 0; i < n; i++) {
		int ret = seccomp_rule_add_array(ctx, act, nr, 1, &c[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_syscall(scmp_filter_ctx ctx, json_t *s, const char *pfx, uint32_t def,
			 struct oci_error *e)
{
	char apfx[128];
	struct scmp_arg_cmp c[6 * 4];
	json_t *names, *args;
	uint32_t act = 0;
	int n = 0, ret;

	if (!json_is_object(s))
		return oci_errorf(e, "%s: must be an object", pfx);
	ret = parse_action(s, pfx, "action", "errnoRet", true, ERRNO_DEFAULT, &act, e);
	if (!ret)
		ret = oci_get_arr(s, pfx, "names", &names, e);
	if (!ret)
		ret = oci_get_arr(s, pfx, "args", &args, e);
	if (ret)
		return ret;
	if (!names || !json_array_size(names))
		return oci_errorf(e, "%s.names: is required", pfx);
	if (json_array_size(args) > ARRAY_SIZE(c))
		return oci_errorf(e, "%s.args: more than %zu conditions", pfx, ARRAY_SIZE(c));
	for (size_t i = 0; i < json_array_size(args); i++, n++) {
		snprintf(apfx, sizeof(apfx), "%s.args[%zu]", pfx, i);
		ret = parse_arg(json_array_get(args, i), apfx, &c[n], e);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < json_array_size(names); i++) {
		const char *name = json_string_value(json_array_get(names, i));
		int nr;

		if (!name)
			return oci_errorf(e, "%s.names[%zu]: must be a string", pfx, i);
		nr = seccomp_syscall_resolve_name(name);
		/* Unknown names are skipped as runc does (profiles list newer syscalls), and a
		 * rule that repeats the default action changes nothing. */
		if (nr == __NR_SCMP_ERROR || act == def)
			continue;
		ret = add_rule(ctx, nr, act, c, n);
		if (ret)
			return oci_errorf(e, "%s: cannot add the rule for `%s`: %s", pfx, name,
					  strerror(-ret));
	}
	return 0;
}

static int parse_arches(scmp_filter_ctx ctx, json_t *sc, struct oci_error *e)
{
	json_t *arr;
	int ret = oci_get_arr(sc, "linux.seccomp", "architectures", &arr, e);

	for (size_t i = 0; !ret && arr && i < json_array_size(arr); i++) {
		const char *name = json_string_value(json_array_get(arr, i));
		char lower[32];
		uint32_t arch;
		size_t k;

		if (!name || strncmp(name, "SCMP_ARCH_", 10) || strlen(name + 10) >= sizeof(lower))
			return oci_errorf(e, "linux.seccomp.architectures[%zu]: unknown "
					  "architecture", i);
		for (k = 0; name[10 + k]; k++)
			lower[k] = (char)tolower((unsigned char)name[10 + k]);
		lower[k] = '\0';
		arch = seccomp_arch_resolve_name(lower);
		if (!arch)
			return oci_errorf(e, "linux.seccomp.architectures[%zu]: unknown "
					  "architecture `%s`", i, name);
		ret = seccomp_arch_add(ctx, arch);
		if (ret == -EEXIST)
			ret = 0;
		if (ret)
			return oci_errorf(e, "linux.seccomp.architectures[%zu]: %s", i,
					  strerror(-ret));
	}
	return ret;
}

static int parse_flags(json_t *sc, bool *log, struct oci_error *e)
{
	static const char *const known[] = {
		"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
		"SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL};
	json_t *arr;
	int ret = oci_get_arr(sc, "linux.seccomp", "flags", &arr, e);

	for (size_t i = 0; !ret && arr && i < json_array_size(arr); i++) {
		const char *f = json_string_value(json_array_get(arr, i));
		const char *const *k = known;
		while (*k && f && strcmp(*k, f))
			k++;
		if (!f || !*k)
			return oci_errorf(e, "linux.seccomp.flags[%zu]: unknown flag", i);
		if (!strcmp(f, "SECCOMP_FILTER_FLAG_LOG"))
			*log = true;
	}
	return ret;
}

/* The compiled program, through a memfd (libseccomp 2.5 exports only to an fd). */
static int export_bpf(scmp_filter_ctx ctx, struct oci_seccomp *out, struct oci_error *e)
{
	int fd = memfd_create("runsc-seccomp", MFD_CLOEXEC), ret;
	off_t size;

	if (fd < 0)
		return oci_errorf(e, "linux.seccomp: memfd: %s", strerror(errno));
	ret = seccomp_export_bpf(ctx, fd);
	size = ret ? 0 : lseek(fd, 0, SEEK_END);
	if (ret || size <= 0 || size % (off_t)sizeof(out->prog[0]) ||
	    size / (off_t)sizeof(out->prog[0]) > BPF_MAXINSNS) {
		close(fd);
		return oci_errorf(e, "linux.seccomp: the profile does not compile to a program of "
				  "at most %d instructions", BPF_MAXINSNS);
	}
	out->len = (size_t)size / sizeof(out->prog[0]);
	out->prog = xmalloc((size_t)size);
	ret = pread(fd, out->prog, (size_t)size, 0) == size ? 0 : -EIO;
	close(fd);
	return ret ? oci_errorf(e, "linux.seccomp: cannot read the compiled program") : 0;
}

int oci_parse_seccomp(json_t *sc, struct oci_seccomp *out, struct oci_error *e)
{
	static const char *const unsupported[] = {"listenerPath", "listenerMetadata", NULL};
	scmp_filter_ctx ctx;
	uint32_t def = 0;
	json_t *arr;
	char pfx[48];
	int ret;

	if (!json_is_object(sc))
		return oci_errorf(e, "linux.seccomp: must be an object");
	for (const char *const *k = unsupported; *k; k++)
		if (oci_has(sc, *k))
			return oci_errorf(e, "linux.seccomp.%s: seccomp user notification is not "
					  "supported by runsc", *k);
	ret = parse_action(sc, "linux.seccomp", "defaultAction", "defaultErrnoRet", true,
			   ERRNO_DEFAULT, &def, e);
	if (ret)
		return ret;
	ctx = seccomp_init(def);
	if (!ctx)
		return oci_errorf(e, "linux.seccomp.defaultAction: libseccomp refused it");
	ret = parse_arches(ctx, sc, e);
	if (!ret)
		ret = parse_flags(sc, &out->log, e);
	if (!ret)
		ret = oci_get_arr(sc, "linux.seccomp", "syscalls", &arr, e);
	for (size_t i = 0; !ret && arr && i < json_array_size(arr); i++) {
		snprintf(pfx, sizeof(pfx), "linux.seccomp.syscalls[%zu]", i);
		ret = parse_syscall(ctx, json_array_get(arr, i), pfx, def, e);
	}
	if (!ret)
		ret = export_bpf(ctx, out, e);
	seccomp_release(ctx);
	return ret;
}
