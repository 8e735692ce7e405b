/* spec.c: config.json's top level: ociVersion, process, root, hostname, annotations, and
 * loading a bundle's file. */
#include "runsc/oci/oci_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

static int parse_root(json_t *obj, struct oci_spec *s, struct oci_warnings *w,
		      struct oci_error *e)
{
	static const char *const known[] = {"path", "readonly", NULL};
	json_t *root;
	int err = oci_get_obj(obj, "", "root", &root, e);

	if (err)
		return err;
	if (!root)
		return oci_errorf(e, "root: is required");
	err = oci_get_str(root, "root", "path", true, &s->root_path, e);
	if (!err && !s->root_path[0])
		err = oci_errorf(e, "root.path: must not be empty");
	if (!err)
		err = oci_get_bool(root, "root", "readonly", &s->root_readonly, e);
	if (!err)
		oci_warn_unknown(root, "root", known, w);
	return err;
}

static int parse_annotations(json_t *obj, struct oci_spec *s, struct oci_error *e)
{
	const char *key;
	json_t *ann, *v;
	int err = oci_get_obj(obj, "", "annotations", &ann, e);

	if (err || !ann)
		return err;
	s->annotations = xcalloc(json_object_size(ann) + 1, sizeof(*s->annotations));
	json_object_foreach(ann, key, v) {
		if (!json_is_string(v))
			return oci_errorf(e, "annotations.%s: must be a string", key);
		s->annotations[s->nannotations].key = xstrdup(key);
		s->annotations[s->nannotations++].value = xstrdup(json_string_value(v));
	}
	return 0;
}

static int parse_version(json_t *obj, struct oci_spec *s, struct oci_error *e)
{
	int err = oci_get_str(obj, "", "ociVersion", true, &s->oci_version, e);

	if (err == -EINVAL && !json_object_get(obj, "ociVersion"))
		return oci_errorf(e, "ociVersion: is required");
	if (err)
		return oci_errorf(e, "ociVersion: must be a string");
	if (strncmp(s->oci_version, "1.", 2))
		return oci_errorf(e, "ociVersion: version `%s` is not supported (runsc reads 1.x)",
				  s->oci_version);
	return 0;
}

static int parse_top(json_t *obj, struct oci_spec *s, struct oci_error *e)
{
	static const char *const known[] = {"ociVersion", "process", "root", "hostname",
					    "domainname", "mounts", "hooks", "annotations",
					    "linux", "solaris", "windows", "vm", "zos", NULL};
	json_t *v;
	int err;

	err = parse_version(obj, s, e);
	if (!err)
		err = parse_root(obj, s, &s->warnings, e);
	if (err)
		return err;
	v = json_object_get(obj, "process");
	if (v && !json_is_null(v)) {
		s->has_process = true;
		err = oci_process_parse(v, "process", &s->process, &s->warnings, e);
		if (err) {
			s->has_process = false;
			return err;
		}
	}
	err = oci_get_str(obj, "", "hostname", false, &s->hostname, e);
	if (err)
		return oci_errorf(e, "hostname: must be a string");
	if (s->hostname && strlen(s->hostname) > 64)
		return oci_errorf(e, "hostname: longer than 64 bytes");
	if (oci_has(obj, "domainname"))
		oci_warn(&s->warnings, "domainname: not supported by runsc, ignored");
	err = oci_get_arr(obj, "", "mounts", &v, e);
	if (!err && v)
		err = oci_parse_mounts(v, s, e);
	if (!err)
		err = oci_get_obj(obj, "", "hooks", &v, e);
	if (!err && v)
		err = oci_parse_hooks(v, s, e);
	if (!err)
		err = parse_annotations(obj, s, e);
	if (!err)
		err = oci_get_obj(obj, "", "linux", &v, e);
	if (!err && v)
		err = oci_parse_linux(v, s, e);
	if (err)
		return err;
	for (const char *const *n = (const char *const[]){"solaris", "windows", "vm", "zos", NULL};
	     *n; n++)
		if (oci_has(obj, *n))
			oci_warn(&s->warnings, "%s: not for Linux, ignored", *n);
	oci_warn_unknown(obj, "", known, &s->warnings);
	return 0;
}

int oci_spec_parse(const char *text, size_t size, struct oci_spec **out, struct oci_error *e)
{
	json_error_t jerr;
	json_t *obj = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);
	struct oci_spec *s;
	int err;

	if (!obj)
		return oci_errorf(e, "invalid JSON at line %d, column %d: %s", jerr.line,
				  jerr.column, jerr.text);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return oci_errorf(e, "the top level must be a JSON object");
	}
	s = xcalloc(1, sizeof(*s));
	oci_resources_init(&s->resources);
	err = parse_top(obj, s, e);
	json_decref(obj);
	if (err) {
		oci_spec_free(s);
		return err;
	}
	*out = s;
	return 0;
}

static int read_file(const char *path, char **buf, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	else if (st.st_size > (16 << 20))
		err = -EFBIG;
	if (err) {
		close(fd);
		return err;
	}
	*buf = xmalloc((size_t)st.st_size + 1);
	err = read_all(fd, *buf, (size_t)st.st_size);
	close(fd);
	if (err) {
		free(*buf);
		return err;
	}
	*size = (size_t)st.st_size;
	return 0;
}

int oci_spec_load(const char *bundle, struct oci_spec **out, struct oci_error *e)
{
	char path[PATH_MAX], *text = NULL, *abs;
	struct oci_spec *s;
	struct stat st;
	size_t size = 0;
	int err;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	err = read_file(path, &text, &size);
	if (err) {
		oci_errorf(e, "cannot read `%s`: %s", path, strerror(-err));
		return err;
	}
	err = oci_spec_parse(text, size, &s, e);
	free(text);
	if (err)
		return err;
	if (s->root_path[0] == '/')
		snprintf(path, sizeof(path), "%s", s->root_path);
	else
		snprintf(path, sizeof(path), "%s/%s", bundle, s->root_path);
	abs = realpath(path, NULL);
	if (!abs || stat(abs, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err = oci_errorf(e, "root.path: `%s` is not a directory: %s", s->root_path,
				 abs ? strerror(ENOTDIR) : strerror(errno));
		free(abs);
		oci_spec_free(s);
		return err;
	}
	free(s->root_path);
	s->root_path = abs;
	err = oci_mounts_resolve(s, bundle, e);
	if (err) {
		oci_spec_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void oci_spec_free(struct oci_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	if (s->has_process)
		oci_process_free(&s->process);
	free(s->root_path);
	free(s->hostname);
	for (int i = 0; i < s->nmounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		oci_strv_free(s->mounts[i].options);
		free(s->mounts[i].data);
		free(s->mounts[i].source_path);
	}
	free(s->mounts);
	for (int k = 0; k < OCI_HOOK_NKINDS; k++) {
		for (int i = 0; i < s->hooks.n[k]; i++) {
			free(s->hooks.v[k][i].path);
			oci_strv_free(s->hooks.v[k][i].args);
			oci_strv_free(s->hooks.v[k][i].env);
		}
		free(s->hooks.v[k]);
	}
	for (int i = 0; i < s->nannotations; i++) {
		free(s->annotations[i].key);
		free(s->annotations[i].value);
	}
	free(s->annotations);
	free(s->cgroups_path);
	oci_resources_free(&s->resources);
	oci_strv_free(s->masked_paths);
	oci_strv_free(s->readonly_paths);
	oci_sysctls_free(s);
	free(s->seccomp.prog);
	oci_warnings_free(&s->warnings);
	free(s);
}
