/* state.c: the state directory of a container under --root: state.json, the lock, the
 * liveness check of the Sentry, and the OCI state object. */
#include "runsc/container/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

int container_check_id(const char *id, struct oci_error *e)
{
	size_t n = strlen(id);

	if (n == 0 || n > 255 || !strcmp(id, ".") || !strcmp(id, ".."))
		return oci_errorf(e, "invalid container id `%s`", id);
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_.+-", *p)))
			return oci_errorf(e, "invalid container id `%s`: only letters, digits "
					  "and _ . + - are allowed", id);
	return 0;
}

static int lock_dir(struct container *c, struct oci_error *e)
{
	char path[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/lock", c->dir);
	c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (c->lock_fd < 0) {
		int err = -errno;
		oci_errorf(e, "cannot open `%s`: %s", path, strerror(-err));
		return err;
	}
	while (flock(c->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return oci_errorf(e, "cannot lock `%s`: %s", path, strerror(errno));
	return 0;
}

static struct container *container_alloc(const char *root, const char *id)
{
	struct container *c = xcalloc(1, sizeof(*c));

	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->dir, sizeof(c->dir), "%s/%s", root, id);
	snprintf(c->ctl_dir, sizeof(c->ctl_dir), "%s", c->dir);
	c->lock_fd = -1;
	return c;
}

/* mkdir -p with mode 0700 for what is made (the shim's --root parents may not exist). */
static int mkdir_parents(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int container_new(const char *root, const char *id, struct container **out,
		  struct oci_error *e)
{
	struct container *c;
	int err = container_check_id(id, e);

	if (err)
		return err;
	err = mkdir_parents(root);
	if (err)
		return oci_errorf(e, "cannot create the state directory `%s`: %s", root,
				  strerror(-err));
	c = container_alloc(root, id);
	if (mkdir(c->dir, 0700) < 0) {
		err = errno;
		free(c);
		if (err == EEXIST) {
			oci_errorf(e, "container with id `%s` already exists", id);
			return -EEXIST;
		}
		return oci_errorf(e, "cannot create `%s/%s`: %s", root, id, strerror(err));
	}
	err = lock_dir(c, e);
	if (err) {
		container_remove_dir(c);
		container_close(c);
		return err;
	}
	*out = c;
	return 0;
}

static void json_str(json_t *o, const char *key, char *buf, size_t size)
{
	snprintf(buf, size, "%s", json_string_value(json_object_get(o, key)) ?: "");
}

static int load_state(struct container *c, struct oci_error *e)
{
	char path[PATH_MAX + 16];
	json_error_t jerr;
	json_t *o;

	snprintf(path, sizeof(path), "%s/state.json", c->dir);
	o = json_load_file(path, 0, &jerr);
	if (!o)
		return access(path, F_OK) ? -ENOENT
					  : oci_errorf(e, "corrupt state file `%s`: %s", path,
						       jerr.text);
	json_str(o, "bundle", c->bundle, sizeof(c->bundle));
	json_str(o, "rootfs", c->rootfs, sizeof(c->rootfs));
	json_str(o, "created", c->created, sizeof(c->created));
	json_str(o, "status", c->status, sizeof(c->status));
	json_str(o, "cgroup", c->cgroup, sizeof(c->cgroup));
	json_str(o, "owner", c->owner, sizeof(c->owner));
	c->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	c->gofer_pid = (pid_t)json_integer_value(json_object_get(o, "gofer_pid"));
	c->pid_start = (unsigned long long)json_integer_value(json_object_get(o, "pid_start"));
	c->gofer_start =
		(unsigned long long)json_integer_value(json_object_get(o, "gofer_start"));
	c->annotations = json_incref(json_object_get(o, "annotations"));
	json_str(o, "sandbox", c->sandbox, sizeof(c->sandbox));
	c->sandbox_pid = (pid_t)json_integer_value(json_object_get(o, "sandbox_pid"));
	c->sandbox_start =
		(unsigned long long)json_integer_value(json_object_get(o, "sandbox_start"));
	json_decref(o);
	if (c->sandbox[0]) {
		/* <root>/<sandbox>: the same root as the container's own directory. */
		size_t n = strlen(c->dir) - strlen(c->id);
		snprintf(c->ctl_dir, sizeof(c->ctl_dir), "%.*s%s", (int)n, c->dir, c->sandbox);
	}
	return 0;
}

int container_open(const char *root, const char *id, struct container **out,
		   struct oci_error *e)
{
	struct container *c;
	int err = container_check_id(id, e);

	if (err)
		return err;
	c = container_alloc(root, id);
	if (access(c->dir, F_OK) < 0) {
		free(c);
		oci_errorf(e, "container `%s` does not exist", id);
		return -ENOENT;
	}
	err = lock_dir(c, e);
	/* A concurrent delete may have removed it while we waited for the lock. */
	if (!err)
		err = load_state(c, e);
	if (err == -ENOENT)
		oci_errorf(e, "container `%s` does not exist", id);
	if (err) {
		container_close(c);
		return err;
	}
	*out = c;
	return 0;
}

int container_save(struct container *c, struct oci_error *e)
{
	char path[PATH_MAX + 16], tmp[PATH_MAX + 16];
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:s, s:s}",
			      "id", c->id, "bundle", c->bundle, "rootfs", c->rootfs, "created",
			      c->created, "status", c->status, "pid", (int)c->pid, "gofer_pid",
			      (int)c->gofer_pid, "pid_start", (json_int_t)c->pid_start,
			      "gofer_start", (json_int_t)c->gofer_start, "cgroup", c->cgroup,
			      "owner", c->owner);
	int err = 0;

	if (c->annotations)
		json_object_set(o, "annotations", c->annotations);
	if (c->sandbox[0]) {
		json_object_set_new(o, "sandbox", json_string(c->sandbox));
		json_object_set_new(o, "sandbox_pid", json_integer(c->sandbox_pid));
		json_object_set_new(o, "sandbox_start", json_integer((json_int_t)c->sandbox_start));
	}
	snprintf(path, sizeof(path), "%s/state.json", c->dir);
	snprintf(tmp, sizeof(tmp), "%s/state.json.tmp", c->dir);
	if (json_dump_file(o, tmp, JSON_COMPACT) < 0 || rename(tmp, path) < 0)
		err = oci_errorf(e, "cannot write `%s`: %s", path, strerror(errno));
	json_decref(o);
	return err;
}

void container_close(struct container *c)
{
	if (!c)
		return;
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	json_decref(c->annotations);
	free(c);
}

void container_remove_dir(struct container *c)
{
	static const char *const files[] = {"state.json", "state.json.tmp", "config.json",
					    "control", "lock", NULL};
	char path[PATH_MAX + 16];

	for (const char *const *f = files; *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", c->dir, *f);
		unlink(path);
	}
	rmdir(c->dir);
}

unsigned long long container_proc_start(pid_t pid, char *state)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", state, &start) != 2)
		return 0;
	return start;
}

bool container_pid_alive(pid_t pid, unsigned long long start)
{
	char state = 0;

	if (pid <= 0)
		return false;
	return container_proc_start(pid, &state) == start && state != 'Z' && state != 'X';
}

const char *container_status(const struct container *c)
{
	if (!strcmp(c->status, "stopped") || !container_pid_alive(c->pid, c->pid_start))
		return "stopped";
	/* A pod's container ends with its sandbox (its proxy notices a moment later). */
	if (c->sandbox[0] && !container_pid_alive(c->sandbox_pid, c->sandbox_start))
		return "stopped";
	return c->status;
}

json_t *container_state_json(const struct container *c, const char *status)
{
	bool stopped = !strcmp(status, "stopped");
	json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "ociVersion", "1.0.2",
			      "id", c->id, "pid", stopped ? 0 : (int)c->pid, "status", status,
			      "bundle", c->bundle, "rootfs", c->rootfs, "created", c->created,
			      "owner", c->owner);

	if (c->annotations && json_object_size(c->annotations))
		json_object_set(o, "annotations", c->annotations);
	return o;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int container_list_ids(const char *root, char ***ids)
{
	DIR *d = opendir(root);
	struct dirent *de;
	char **v = xcalloc(1, sizeof(char *));
	size_t n = 0;

	*ids = v;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		if (de->d_name[0] == '.' || container_check_id(de->d_name, NULL))
			continue;
		snprintf(path, sizeof(path), "%s/%s/state.json", root, de->d_name);
		if (access(path, F_OK) < 0)
			continue;
		v = xrealloc(v, (n + 2) * sizeof(char *));
		v[n++] = xstrdup(de->d_name);
		v[n] = NULL;
	}
	closedir(d);
	qsort(v, n, sizeof(char *), cmp_str);
	*ids = v;
	return 0;
}

int container_load_spec(const struct container *c, struct oci_spec **out, struct oci_error *e)
{
	char path[PATH_MAX + 16], *text;
	struct stat st;
	int fd, err;

	snprintf(path, sizeof(path), "%s/config.json", c->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = oci_errorf(e, "cannot read `%s`: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	text = xmalloc((size_t)st.st_size + 1);
	err = read_all(fd, text, (size_t)st.st_size);
	close(fd);
	if (!err)
		err = oci_spec_parse(text, (size_t)st.st_size, out, e);
	else
		oci_errorf(e, "cannot read `%s`: %s", path, strerror(-err));
	free(text);
	return err;
}
