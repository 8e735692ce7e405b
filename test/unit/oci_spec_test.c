/* oci_spec_test.c: config.json parsing: good specs give the right values, every bad one
 * gives an error that names the offending field, unapplied fields give warnings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsc/oci/oci.h"

#define MIN_SPEC_HEAD "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"

static struct oci_spec *parse_ok(const char *text)
{
	struct oci_error e = {{0}};
	struct oci_spec *s = NULL;
	int err = oci_spec_parse(text, strlen(text), &s, &e);

	if (err)
		fprintf(stderr, "unexpected error: %s\n", e.msg);
	assert_int_equal(err, 0);
	assert_non_null(s);
	return s;
}

static bool has_warning(const struct oci_spec *s, const char *needle)
{
	for (int i = 0; i < s->warnings.n; i++)
		if (strstr(s->warnings.v[i], needle))
			return true;
	return false;
}

static void test_full_spec(void **state)
{
	struct oci_spec *s = parse_ok(
		MIN_SPEC_HEAD
		"\"process\":{\"terminal\":true,\"consoleSize\":{\"height\":24,\"width\":80},"
		"\"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,\"additionalGids\":[5,6]},"
		"\"args\":[\"sh\",\"-c\",\"true\"],\"env\":[\"PATH=/bin\",\"A=b\"],\"cwd\":\"/tmp\","
		"\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"effective\":[\"CAP_KILL\"]},"
		"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":4096}],"
		"\"noNewPrivileges\":true,\"oomScoreAdj\":-500},"
		"\"hostname\":\"box\","
		"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
		"{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv\",\"options\":[\"rbind\",\"ro\"]}],"
		"\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"args\":[\"true\"],\"timeout\":5}],"
		"\"poststop\":[{\"path\":\"/bin/echo\"}]},"
		"\"annotations\":{\"a.b\":\"c\"},"
		"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/run/netns/x\"}],"
		"\"cgroupsPath\":\"/runsc/x\",\"resources\":{\"memory\":{\"limit\":104857600},"
		"\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000},\"pids\":{\"limit\":64},"
		"\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
		"\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
		"\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\"}}}");

	assert_string_equal(s->oci_version, "1.0.2");
	assert_string_equal(s->root_path, "rootfs");
	assert_true(s->has_process);
	assert_true(s->process.terminal);
	assert_int_equal(s->process.console_height, 24);
	assert_int_equal(s->process.console_width, 80);
	assert_int_equal(s->process.uid, 1000);
	assert_int_equal(s->process.gid, 100);
	assert_int_equal(s->process.umask, 18);
	assert_int_equal(s->process.ngids, 2);
	assert_int_equal(s->process.gids[1], 6);
	assert_string_equal(s->process.args[2], "true");
	assert_null(s->process.args[3]);
	assert_string_equal(s->process.env[1], "A=b");
	assert_string_equal(s->process.cwd, "/tmp");
	assert_true(s->process.has_caps);
	assert_int_equal(s->process.caps[OCI_CAP_BOUNDING], (1ULL << 5) | (1ULL << 0));
	assert_int_equal(s->process.caps[OCI_CAP_EFFECTIVE], 1ULL << 5);
	assert_int_equal(s->process.nrlimits, 1);
	assert_int_equal(s->process.rlimits[0].type, RLIMIT_NOFILE);
	assert_int_equal(s->process.rlimits[0].hard, 4096);
	assert_true(s->process.no_new_privs);
	assert_true(s->process.has_oom_score_adj);
	assert_int_equal(s->process.oom_score_adj, -500);
	assert_string_equal(s->hostname, "box");
	assert_int_equal(s->nmounts, 2);
	assert_false(s->mounts[0].bind);
	assert_true(s->mounts[1].bind);
	assert_true(s->mounts[1].readonly);
	assert_int_equal(s->hooks.n[OCI_HOOK_PRESTART], 1);
	assert_int_equal(s->hooks.v[OCI_HOOK_PRESTART][0].timeout, 5);
	assert_int_equal(s->hooks.n[OCI_HOOK_POSTSTOP], 1);
	assert_null(s->hooks.v[OCI_HOOK_POSTSTOP][0].args[0]);
	assert_int_equal(s->nannotations, 1);
	assert_string_equal(s->annotations[0].value, "c");
	assert_int_equal(s->namespaces, CLONE_NEWPID | CLONE_NEWNET);
	assert_string_equal(s->cgroups_path, "/runsc/x");
	assert_int_equal(s->resources.memory_limit, 104857600);
	assert_int_equal(s->resources.cpu_shares, 512);
	assert_int_equal(s->resources.cpu_quota, 50000);
	assert_int_equal(s->resources.cpu_period, 100000);
	assert_int_equal(s->resources.pids_limit, 64);
	assert_string_equal(s->masked_paths[0], "/proc/kcore");
	assert_string_equal(s->readonly_paths[0], "/proc/sys");
	assert_non_null(s->seccomp.prog); /* compiled for the Sentry, no warning */
	assert_false(has_warning(s, "linux.seccomp"));
	assert_true(has_warning(s, "linux.namespaces[1].path"));
	assert_false(has_warning(s, "devices"));
	oci_spec_free(s);
}

static void test_minimal_defaults(void **state)
{
	struct oci_spec *s = parse_ok(MIN_SPEC_HEAD "\"process\":{\"args\":[\"/bin/true\"]}}");

	assert_string_equal(s->process.cwd, "/");
	assert_null(s->process.env[0]);
	assert_int_equal(s->process.umask, -1);
	assert_false(s->process.has_caps);
	assert_false(s->process.has_oom_score_adj);
	assert_null(s->hostname);
	assert_null(s->masked_paths);
	assert_int_equal(s->resources.memory_limit, -1);
	assert_int_equal(s->warnings.n, 0);
	oci_spec_free(s);

	/* No process is valid for the spec itself (create refuses it later). */
	s = parse_ok("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"/\"}}");
	assert_false(s->has_process);
	oci_spec_free(s);
}

static void test_unknown_fields_warn(void **state)
{
	struct oci_spec *s = parse_ok(MIN_SPEC_HEAD "\"process\":{\"args\":[\"x\"],\"bogus\":1,"
					       "\"apparmorProfile\":\"p\"},\"extra\":{},"
					       "\"domainname\":\"d\",\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":\"1\","
					       "\"kernel.msgmax\":\"100\",\"kernel/sem\":\"1 2 3 4\"}}}");

	assert_true(has_warning(s, "process.bogus: unknown field"));
	assert_true(has_warning(s, "process.apparmorProfile: not supported"));
	assert_true(has_warning(s, "extra: unknown field"));
	assert_true(has_warning(s, "domainname"));
	assert_true(has_warning(s, "linux.sysctl: `net.ipv4.ip_forward`"));
	assert_int_equal(s->nsysctls, 2);
	assert_string_equal(s->sysctls[0].key, "kernel.msgmax");
	assert_string_equal(s->sysctls[0].value, "100");
	assert_string_equal(s->sysctls[1].key, "kernel.sem");
	assert_string_equal(s->sysctls[1].value, "1 2 3 4");
	oci_spec_free(s);
}

/* Each bad spec must fail with a message that contains the field's name. */
static const struct {
	const char *json;
	const char *field;
} g_bad[] = {
	{"[]", "top level"},
	{"{\"ociVersion\":", "invalid JSON"},
	{"{\"root\":{\"path\":\"r\"}}", "ociVersion: is required"},
	{"{\"ociVersion\":2,\"root\":{\"path\":\"r\"}}", "ociVersion"},
	{"{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"r\"}}", "ociVersion"},
	{"{\"ociVersion\":\"1.0.0\"}", "root: is required"},
	{"{\"ociVersion\":\"1.0.0\",\"root\":{}}", "root.path: is required"},
	{"{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":7}}", "root.path"},
	{"{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\",\"readonly\":\"yes\"}}", "root.readonly"},
	{"{\"ociVersion\":\"1.0.0\",\"root\":\"r\"}", "root: must be an object"},
	{"{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"ociVersion\":\"1.0.0\"}", "invalid JSON"},
	{MIN_SPEC_HEAD "\"process\":7}", "process: must be an object"},
	{MIN_SPEC_HEAD "\"process\":{}}", "process.args: is required"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[]}}", "process.args: must not be empty"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":\"sh\"}}", "process.args"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"sh\",3]}}", "process.args[1]"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"\"]}}", "process.args[0]"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"env\":[1]}}", "process.env[0]"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"cwd\":\"rel\"}}", "process.cwd"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"terminal\":1}}", "process.terminal"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"user\":{\"uid\":-1}}}", "process.user.uid"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"user\":{\"gid\":\"0\"}}}", "process.user.gid"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"user\":{\"umask\":512}}}", "process.user.umask"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"user\":{\"additionalGids\":[\"x\"]}}}",
	 "process.user.additionalGids[0]"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}}}",
	 "process.capabilities.bounding[0]: unknown capability `CAP_NOPE`"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"capabilities\":[]}}", "process.capabilities"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\"}]}}",
	 "process.rlimits[0].type: unknown rlimit"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"rlimits\":[{\"soft\":1,\"hard\":1}]}}",
	 "process.rlimits[0].type: is required"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":9,\"hard\":1}]}}",
	 "process.rlimits[0].soft"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":-1,\"hard\":1}]}}",
	 "process.rlimits[0].soft"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"rlimits\":[{\"type\":\"RLIMIT_CORE\"},{\"type\":\"RLIMIT_CORE\"}]}}",
	 "process.rlimits[1].type"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"consoleSize\":{\"height\":1}}}",
	 "process.consoleSize.width"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"noNewPrivileges\":\"true\"}}", "process.noNewPrivileges"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"oomScoreAdj\":1001}}", "process.oomScoreAdj"},
	{MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"],\"oomScoreAdj\":\"5\"}}", "process.oomScoreAdj"},
	{MIN_SPEC_HEAD "\"hostname\":5}", "hostname"},
	{MIN_SPEC_HEAD "\"mounts\":{}}", "mounts: must be an array"},
	{MIN_SPEC_HEAD "\"mounts\":[{\"type\":\"tmpfs\"}]}", "mounts[0].destination: is required"},
	{MIN_SPEC_HEAD "\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"rel\"}]}",
	 "mounts[1].destination"},
	{MIN_SPEC_HEAD "\"mounts\":[{\"destination\":\"/a\",\"options\":[1]}]}", "mounts[0].options[0]"},
	{MIN_SPEC_HEAD "\"mounts\":[7]}", "mounts[0]: must be an object"},
	{MIN_SPEC_HEAD "\"hooks\":{\"prestart\":[{}]}}", "hooks.prestart[0].path: is required"},
	{MIN_SPEC_HEAD "\"hooks\":{\"poststop\":[{\"path\":\"rel\"}]}}", "hooks.poststop[0].path"},
	{MIN_SPEC_HEAD "\"hooks\":{\"poststart\":[{\"path\":\"/x\",\"timeout\":0}]}}",
	 "hooks.poststart[0].timeout"},
	{MIN_SPEC_HEAD "\"hooks\":{\"createRuntime\":[{\"path\":\"/x\",\"args\":\"a\"}]}}",
	 "hooks.createRuntime[0].args"},
	{MIN_SPEC_HEAD "\"hooks\":{\"prestart\":{}}}", "hooks.prestart: must be an array"},
	{MIN_SPEC_HEAD "\"annotations\":{\"k\":1}}", "annotations.k"},
	{MIN_SPEC_HEAD "\"annotations\":[]}", "annotations: must be an object"},
	{MIN_SPEC_HEAD "\"linux\":[]}", "linux: must be an object"},
	{MIN_SPEC_HEAD "\"linux\":{\"namespaces\":[{\"type\":\"bogus\"}]}}", "linux.namespaces[0].type"},
	{MIN_SPEC_HEAD "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
	 "linux.namespaces[1].type"},
	{MIN_SPEC_HEAD "\"linux\":{\"namespaces\":[{}]}}", "linux.namespaces[0].type: is required"},
	{MIN_SPEC_HEAD "\"linux\":{\"cgroupsPath\":1}}", "linux.cgroupsPath"},
	{MIN_SPEC_HEAD "\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
	 "linux.resources.memory.limit"},
	{MIN_SPEC_HEAD "\"linux\":{\"resources\":{\"cpu\":{\"shares\":-5}}}}", "linux.resources.cpu.shares"},
	{MIN_SPEC_HEAD "\"linux\":{\"resources\":{\"pids\":{}}}}", "linux.resources.pids.limit"},
	{MIN_SPEC_HEAD "\"linux\":{\"resources\":[]}}", "linux.resources"},
	{MIN_SPEC_HEAD "\"linux\":{\"maskedPaths\":[\"proc/kcore\"]}}", "linux.maskedPaths[0]"},
	{MIN_SPEC_HEAD "\"linux\":{\"readonlyPaths\":\"/proc\"}}", "linux.readonlyPaths"},
	{MIN_SPEC_HEAD "\"linux\":{\"sysctl\":{\"vm.swappiness\":\"10\"}}}",
	 "linux.sysctl: `vm.swappiness` is not a namespaced sysctl"},
	{MIN_SPEC_HEAD "\"linux\":{\"sysctl\":{\"kernel.shm_rmid_forced\":\"1\"}}}",
	 "linux.sysctl: `kernel.shm_rmid_forced` is not supported"},
	{MIN_SPEC_HEAD "\"linux\":{\"sysctl\":{\"kernel.msgmax\":100}}}", "linux.sysctl.kernel.msgmax"},
	{MIN_SPEC_HEAD "\"linux\":{\"sysctl\":[]}}", "linux.sysctl: must be an object"},
};

static void test_bad_specs_name_the_field(void **state)
{
	for (size_t i = 0; i < sizeof(g_bad) / sizeof(g_bad[0]); i++) {
		struct oci_error e = {{0}};
		struct oci_spec *s = NULL;
		int err = oci_spec_parse(g_bad[i].json, strlen(g_bad[i].json), &s, &e);

		if (err != -EINVAL || !strstr(e.msg, g_bad[i].field)) {
			fprintf(stderr, "case %zu: %s\n  err %d, message `%s`, wanted `%s`\n", i,
				g_bad[i].json, err, e.msg, g_bad[i].field);
			fail();
		}
		assert_null(s);
	}
}

static void test_names(void **state)
{
	assert_int_equal(oci_signal_from_name("9"), SIGKILL);
	assert_int_equal(oci_signal_from_name("KILL"), SIGKILL);
	assert_int_equal(oci_signal_from_name("SIGTERM"), SIGTERM);
	assert_int_equal(oci_signal_from_name("sigusr1"), SIGUSR1);
	assert_int_equal(oci_signal_from_name("SIGRTMIN+2"), 36);
	assert_int_equal(oci_signal_from_name("RTMAX"), 64);
	assert_int_equal(oci_signal_from_name("0"), -EINVAL);
	assert_int_equal(oci_signal_from_name("65"), -EINVAL);
	assert_int_equal(oci_signal_from_name("9x"), -EINVAL);
	assert_int_equal(oci_signal_from_name("SIGNOPE"), -EINVAL);
	assert_int_equal(oci_signal_from_name(""), -EINVAL);
	assert_int_equal(oci_cap_from_name("CAP_SYS_ADMIN"), 21);
	assert_string_equal(oci_cap_name(40), "CAP_CHECKPOINT_RESTORE");
	assert_int_equal(oci_cap_from_name("CAP_X"), -EINVAL);
	assert_int_equal(oci_rlimit_from_name("RLIMIT_NPROC"), RLIMIT_NPROC);
	assert_int_equal(oci_rlimit_from_name("NOFILE"), -EINVAL);
}

static void test_load_bundle(void **state)
{
	char dir[] = "/tmp/oci-spec-test.XXXXXX", path[256];
	struct oci_error e = {{0}};
	struct oci_spec *s = NULL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(oci_spec_load(dir, &s, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "config.json"));
	snprintf(path, sizeof(path), "%s/config.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(MIN_SPEC_HEAD "\"process\":{\"args\":[\"a\"]}}", f);
	fclose(f);
	assert_int_equal(oci_spec_load(dir, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "root.path"));
	snprintf(path, sizeof(path), "%s/rootfs", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(oci_spec_load(dir, &s, &e), 0);
	assert_string_equal(s->root_path, path);
	oci_spec_free(s);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	unlink(path);
	rmdir(dir);
}

static void test_exec_process_file(void **state)
{
	struct oci_warnings w = {0};
	struct oci_process p;
	struct oci_error e = {{0}};
	json_t *obj = json_loads("{\"args\":[\"ls\"],\"cwd\":\"/\",\"env\":[\"A=1\"],"
				 "\"user\":{\"uid\":5,\"gid\":6}}", 0, NULL);

	assert_int_equal(oci_process_parse(obj, "process", &p, &w, &e), 0);
	assert_int_equal(p.uid, 5);
	assert_string_equal(p.args[0], "ls");
	oci_process_free(&p);
	json_decref(obj);
	obj = json_loads("{\"cwd\":\"/\"}", 0, NULL);
	assert_int_equal(oci_process_parse(obj, "process", &p, &w, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "process.args"));
	json_decref(obj);
	assert_int_equal(w.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_spec),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_unknown_fields_warn),
		cmocka_unit_test(test_bad_specs_name_the_field),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_load_bundle),
		cmocka_unit_test(test_exec_process_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
