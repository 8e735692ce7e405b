/* oci_mounts_test.c: config.json mount options (flags, filesystem data, bind, the last
 * of ro/rw winning, warnings for unknown words) and bind sources resolved at load time
 * (relative to the bundle, missing or special sources refused with the mount named). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsc/oci/oci.h"

#define HEAD "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"mounts\":["

static struct oci_spec *parse(const char *mounts, int want_err, struct oci_error *e)
{
	char text[2048];
	struct oci_spec *s = NULL;

	snprintf(text, sizeof(text), HEAD "%s]}", mounts);
	assert_int_equal(oci_spec_parse(text, strlen(text), &s, e), want_err);
	return s;
}

static bool has_warning(const struct oci_spec *s, const char *needle)
{
	for (int i = 0; i < s->warnings.n; i++)
		if (strstr(s->warnings.v[i], needle))
			return true;
	return false;
}

static void test_flags_and_data(void **state)
{
	struct oci_error e = {{0}};
	struct oci_spec *s = parse(
		"{\"destination\":\"/run\",\"type\":\"tmpfs\",\"options\":[\"nosuid\",\"noexec\","
		"\"nodev\",\"mode=755\",\"size=65536k\",\"rprivate\"]},"
		"{\"destination\":\"/a\",\"type\":\"none\",\"source\":\"/x\",\"options\":[\"rbind\","
		"\"ro\",\"rw\"]},"
		"{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"/x\",\"options\":[\"rw\",\"ro\","
		"\"exec\",\"bogus\"]},"
		"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"options\":[\"newinstance\","
		"\"ptmxmode=0666\",\"gid=5\"]}",
		0, &e);

	assert_int_equal(s->nmounts, 4);
	assert_int_equal(s->mounts[0].flags, MS_NOSUID | MS_NOEXEC | MS_NODEV);
	assert_string_equal(s->mounts[0].data, "mode=755,size=65536k");
	assert_false(s->mounts[0].bind);
	assert_false(s->mounts[0].readonly);
	assert_true(s->mounts[1].bind);
	assert_false(s->mounts[1].readonly); /* rw came last */
	assert_int_equal(s->mounts[1].flags, MS_BIND | MS_REC);
	assert_true(s->mounts[2].bind);
	assert_true(s->mounts[2].readonly);
	assert_string_equal(s->mounts[2].data, "");
	assert_string_equal(s->mounts[3].data, "newinstance,ptmxmode=0666,gid=5");
	assert_true(has_warning(s, "mounts[2].options: `bogus`"));
	assert_false(has_warning(s, "rprivate"));
	oci_spec_free(s);
}

static void test_bad_options(void **state)
{
	struct oci_error e = {{0}};

	assert_null(parse("{\"destination\":\"/r\",\"type\":\"tmpfs\",\"options\":[\"size=1,mode=7\"]}",
			  -EINVAL, &e));
	assert_non_null(strstr(e.msg, "mounts[0].options"));
}

/* A bundle with rootfs/, src/ (dir), src/f (file) and config.json of mounts. */
static void write_bundle(const char *dir, const char *mounts)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/config.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, HEAD "%s]}", mounts);
	fclose(f);
}

static void test_sources_resolved(void **state)
{
	char dir[] = "/tmp/oci-mounts-test.XXXXXX", path[256], want[256];
	struct oci_error e = {{0}};
	struct oci_spec *s = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rootfs", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/src", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/src/f", dir);
	fclose(fopen(path, "w"));

	write_bundle(dir, "{\"destination\":\"/d\",\"type\":\"bind\",\"source\":\"src\"},"
			  "{\"destination\":\"/f\",\"type\":\"bind\",\"source\":\"./src/../src/f\"},"
			  "{\"destination\":\"/t\",\"type\":\"tmpfs\",\"source\":\"nowhere\"}");
	assert_int_equal(oci_spec_load(dir, &s, &e), 0);
	snprintf(want, sizeof(want), "%s/src", dir);
	assert_string_equal(s->mounts[0].source_path, want);
	assert_true(s->mounts[0].source_is_dir);
	snprintf(want, sizeof(want), "%s/src/f", dir);
	assert_string_equal(s->mounts[1].source_path, want);
	assert_false(s->mounts[1].source_is_dir);
	assert_null(s->mounts[2].source_path);
	oci_spec_free(s);

	write_bundle(dir, "{\"destination\":\"/d\",\"type\":\"tmpfs\"},"
			  "{\"destination\":\"/m\",\"type\":\"bind\",\"source\":\"missing\"}");
	assert_int_equal(oci_spec_load(dir, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "mounts[1].source"));
	assert_non_null(strstr(e.msg, "does not exist"));

	write_bundle(dir, "{\"destination\":\"/n\",\"options\":[\"bind\"],\"source\":\"/dev/null\"}");
	assert_int_equal(oci_spec_load(dir, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "mounts[0].source"));

	write_bundle(dir, "{\"destination\":\"/n\",\"type\":\"bind\"}");
	assert_int_equal(oci_spec_load(dir, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "needs a source"));

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_and_data),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_sources_resolved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
