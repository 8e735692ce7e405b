/* mounts.c: a config.json mount's options (mount(8) words) turned into flags and a
 * filesystem data string, and bind sources resolved on the host at create time. */
#include "runsc/oci/oci_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "lib/util.h"

/* Words that set or clear MS_* flags (mount(8)). */
static const struct {
	const char *name;
	unsigned long flag;
	bool clear;
} g_flag_words[] = {
	{"ro", MS_RDONLY, false},	  {"rw", MS_RDONLY, true},
	{"nosuid", MS_NOSUID, false},	  {"suid", MS_NOSUID, true},
	{"nodev", MS_NODEV, false},	  {"dev", MS_NODEV, true},
	{"noexec", MS_NOEXEC, false},	  {"exec", MS_NOEXEC, true},
	{"sync", MS_SYNCHRONOUS, false},  {"async", MS_SYNCHRONOUS, true},
	{"dirsync", MS_DIRSYNC, false},	  {"mand", MS_MANDLOCK, false},
	{"nomand", MS_MANDLOCK, true},	  {"noatime", MS_NOATIME, false},
	{"atime", MS_NOATIME, true},	  {"nodiratime", MS_NODIRATIME, false},
	{"diratime", MS_NODIRATIME, true}, {"relatime", MS_RELATIME, false},
	{"norelatime", MS_RELATIME, true}, {"strictatime", MS_STRICTATIME, false},
	{"nostrictatime", MS_STRICTATIME, true}, {"bind", MS_BIND, false},
	{"rbind", MS_BIND | MS_REC, false},
};

/* Propagation words: the sandbox's mount tree is its own, nothing propagates anyway. */
static const char *const g_propagation[] = {
	"private", "rprivate", "shared",     "rshared",	    "slave",
	"rslave",  "unbindable", "runbindable", "remount", NULL};

/* Filesystem options the Sentry's filesystems read (tmpfs, devpts, mqueue, proc). */
static const char *const g_data_keys[] = {"size", "mode", "nr_inodes", "uid", "gid",
					  "ptmxmode", "newinstance", "nr_blocks", "hidepid",
					  "subset", NULL};

static bool in_list(const char *const *list, const char *word, size_t len)
{
	for (; *list; list++)
		if (strlen(*list) == len && !strncmp(*list, word, len))
			return true;
	return false;
}

static void data_append(char **data, const char *opt)
{
	size_t old = *data ? strlen(*data) : 0, add = strlen(opt);
	char *d = xrealloc(*data, old + add + 2);

	if (old)
		d[old++] = ',';
	memcpy(d + old, opt, add + 1);
	*data = d;
}

int oci_mount_options(struct oci_mount *m, const char *pfx, struct oci_warnings *w,
		      struct oci_error *e)
{
	m->flags = 0;
	for (char **o = m->options; *o; o++) {
		const char *word = *o;
		size_t i, key_len = strcspn(word, "=");

		for (i = 0; i < ARRAY_SIZE(g_flag_words); i++)
			if (!strcmp(word, g_flag_words[i].name))
				break;
		if (i < ARRAY_SIZE(g_flag_words)) {
			if (g_flag_words[i].clear)
				m->flags &= ~g_flag_words[i].flag;
			else
				m->flags |= g_flag_words[i].flag;
		} else if (in_list(g_propagation, word, strlen(word))) {
			continue;
		} else if (in_list(g_data_keys, word, key_len)) {
			if (strchr(word, ','))
				return oci_errorf(e, "%s.options: `%s` holds a comma", pfx, word);
			data_append(&m->data, word);
		} else {
			oci_warn(w, "%s.options: `%s` is not supported by runsc, ignored", pfx,
				 word);
		}
	}
	m->bind = !strcmp(m->type, "bind") || (m->flags & MS_BIND);
	m->readonly = m->flags & MS_RDONLY;
	if (!m->data)
		m->data = xstrdup("");
	return 0;
}

int oci_mounts_resolve(struct oci_spec *s, const char *bundle, struct oci_error *e)
{
	char path[PATH_MAX];

	for (int i = 0; i < s->nmounts; i++) {
		struct oci_mount *m = &s->mounts[i];
		struct stat st;
		char *abs;

		if (!m->bind)
			continue;
		if (!m->source[0])
			return oci_errorf(e, "mounts[%d].source: a bind mount needs a source", i);
		/* The runtime spec: bind sources are absolute or relative to the bundle. */
		if (m->source[0] == '/')
			snprintf(path, sizeof(path), "%s", m->source);
		else
			snprintf(path, sizeof(path), "%s/%s", bundle, m->source);
		abs = realpath(path, NULL);
		if (!abs || stat(abs, &st) < 0) {
			int err = errno;
			free(abs);
			return oci_errorf(e, "mounts[%d].source: cannot bind `%s` at `%s`: %s", i,
					  m->source, m->destination,
					  err == ENOENT ? "it does not exist" : strerror(err));
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
			free(abs);
			return oci_errorf(e, "mounts[%d].source: `%s` is neither a directory nor "
					  "a regular file (runsc binds only those)", i, m->source);
		}
		free(m->source_path);
		m->source_path = abs;
		m->source_is_dir = S_ISDIR(st.st_mode);
	}
	return 0;
}
