/* mount_api.c: filesystem contexts, the new mount API's fds: fsopen(2) makes one for a
 * type, fsconfig(2) sets its parameters and creates or reconfigures the superblock,
 * fsmount(2) makes a detached mount of it, fspick(2) opens one on a mounted superblock
 * for reconfiguration. Phases, checks and errors follow Linux's fs/fsopen.c and
 * fs_context.c; read(2) returns its error messages ("e tmpfs: Unknown parameter 'x'"). */
#include "sentry/vfs/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "sentry/fs/anon.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"

#ifndef FSCONFIG_CMD_CREATE_EXCL
#define FSCONFIG_CMD_CREATE_EXCL 8
#endif
#define FSMOUNT_VALID                                                                              \
	(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |            \
	 MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW)
#define FC_LOG_MAX 8
#define ENOPARAM 519 /* Linux's internal "not this parser's parameter" */

enum fc_phase {
	FC_CREATE_PARAMS,   /* fsopen: parameters, then CMD_CREATE */
	FC_AWAITING_MOUNT,  /* created: fsmount */
	FC_AWAITING_RECONF, /* mounted (or fspick'd): the next fsconfig starts a reconfigure */
	FC_RECONF_PARAMS,   /* parameters, then CMD_RECONFIGURE */
	FC_FAILED,	    /* a create or reconfigure failed: every call EBUSY */
};

struct fc_type;

struct fs_ctx {
	const struct fc_type *ft;
	const char *type; /* the filesystem type's name (static) */
	enum fc_phase phase;
	char *source;		/* "source" parameter */
	char *opts;		/* the type's options since the last create/reconfigure */
	bool rdonly;		/* "ro" / "rw" */
	struct super_block *sb; /* from CMD_CREATE or fspick; pinned (ctx_pins) */
	uint64_t ino;
	char *log[FC_LOG_MAX]; /* error messages not read yet, oldest first */
	int nlog;
};

/* The types mount(2) supports, and their parameters (flags or strings) as Linux's. */
struct fc_param {
	const char *key;
	bool flag;
};

static const struct fc_param g_proc_params[] = {
    {"gid", false}, {"hidepid", false}, {"subset", false}, {"pidns", false}, {NULL, false}};
static const struct fc_param g_cgroup2_params[] = {{"nsdelegate", true},
						   {"favordynmods", true},
						   {"memory_localevents", true},
						   {"memory_recursiveprot", true},
						   {"memory_hugetlb_accounting", true},
						   {"pids_localevents", true},
						   {NULL, false}};
static const struct fc_param g_devpts_params[] = {
    {"uid", false},	   {"gid", false}, {"mode", false}, {"ptmxmode", false},
    {"newinstance", true}, {"max", false}, {NULL, false}};
static const struct fc_param g_no_params[] = {{NULL, false}};

static const struct fc_type {
	const char *name;
	const struct fc_param *params; /* NULL: tmpfs, checked by tmpfs_check_option */
	bool shared_sb;		       /* Linux reuses a superblock: CMD_CREATE_EXCL is EBUSY */
} g_types[] = {
    {"tmpfs", NULL, false},	   {"proc", g_proc_params, false},
    {"sysfs", g_no_params, true},  {"cgroup2", g_cgroup2_params, true},
    {"mqueue", g_no_params, true}, {"devpts", g_devpts_params, false},
};
/* fspick of the Sentry's other filesystems (overlay, 9p, devtmpfs...): "ro"/"rw" only. */
static const struct fc_type g_other_type = {NULL, g_no_params, true};

static const struct fc_type *fc_type_of(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(g_types); i++)
		if (!strcmp(g_types[i].name, name))
			return &g_types[i];
	return NULL;
}

static void fc_log(struct fs_ctx *fc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fc_log(struct fs_ctx *fc, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	buf[n] = '\n'; /* each message is a line, as Linux's */
	buf[n + 1] = '\0';
	if (fc->nlog == FC_LOG_MAX) {
		free(fc->log[0]);
		memmove(fc->log, fc->log + 1, sizeof(fc->log[0]) * (FC_LOG_MAX - 1));
		fc->nlog--;
	}
	fc->log[fc->nlog++] = xstrdup(buf);
}

static ssize_t fc_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	struct fs_ctx *fc = f->priv;
	size_t n;

	(void)t;
	(void)pos;
	if (fc->nlog == 0)
		return -ENODATA;
	n = strlen(fc->log[0]);
	if (n > size)
		return -EMSGSIZE;
	memcpy(buf, fc->log[0], n);
	free(fc->log[0]);
	memmove(fc->log, fc->log + 1, sizeof(fc->log[0]) * (size_t)(fc->nlog - 1));
	fc->nlog--;
	return (ssize_t)n;
}

static int fc_stat(struct file *f, struct kstat *st)
{
	anon_fill_stat(st, ((struct fs_ctx *)f->priv)->ino);
	return 0;
}

static void fc_unpin(struct fs_ctx *fc)
{
	struct super_block *sb = fc->sb;

	fc->sb = NULL;
	if (sb && --sb->ctx_pins == 0 && !mnt_sb_in_use(sb))
		sb_release(sb);
}

static void fc_release(struct file *f)
{
	struct fs_ctx *fc = f->priv;

	fc_unpin(fc);
	for (int i = 0; i < fc->nlog; i++)
		free(fc->log[i]);
	free(fc->source);
	free(fc->opts);
	free(fc);
}

static const struct file_ops g_fs_context_ops = {
    .read = fc_read,
    .stat = fc_stat,
    .release = fc_release,
};

bool file_is_fs_context(const struct file *f)
{
	return f->ops == &g_fs_context_ops;
}

static struct file *fc_file(struct fs_ctx *fc)
{
	struct file *f = file_alloc(O_RDWR);

	fc->ino = anon_next_ino();
	f->ops = &g_fs_context_ops;
	f->priv = fc;
	return f;
}

int vfs_fsopen(struct task *t, const char *type, unsigned flags, struct file **out)
{
	const struct fc_type *ft;
	struct fs_ctx *fc;

	if (!caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if (flags & ~FSOPEN_CLOEXEC)
		return -EINVAL;
	ft = fc_type_of(type);
	if (!ft)
		return -ENODEV;
	fc = xcalloc(1, sizeof(*fc));
	fc->ft = ft;
	fc->type = ft->name;
	fc->phase = FC_CREATE_PARAMS;
	*out = fc_file(fc);
	return 0;
}

/* Linux's vfs_parse_sb_flag: the words every filesystem takes, as a key of any type. */
static bool sb_flag(struct fs_ctx *fc, const char *key)
{
	static const char *const set[] = {"dirsync", "lazytime", "mand", "ro", "sync"};
	static const char *const clr[] = {"async", "nolazytime", "nomand", "rw"};

	for (size_t i = 0; i < ARRAY_SIZE(set); i++)
		if (!strcmp(key, set[i])) {
			fc->rdonly |= !strcmp(key, "ro");
			return true;
		}
	for (size_t i = 0; i < ARRAY_SIZE(clr); i++)
		if (!strcmp(key, clr[i])) {
			fc->rdonly &= strcmp(key, "rw") != 0;
			return true;
		}
	return false;
}

static void opts_add(struct fs_ctx *fc, const char *key, const char *value)
{
	size_t n = (fc->opts ? strlen(fc->opts) : 0) + strlen(key) + strlen(value) + 3;
	char *s = xmalloc(n);

	snprintf(s, n, "%s%s%s=%s", fc->opts ? fc->opts : "", fc->opts ? "," : "", key, value);
	free(fc->opts);
	fc->opts = s;
}

/* The type's own parameter: -ENOPARAM if it has none by that name. */
static int type_param(struct fs_ctx *fc, unsigned cmd, const char *key, const char *value)
{
	const struct fc_param *p = fc->ft->params;
	bool is_flag = cmd == FSCONFIG_SET_FLAG;

	if (!p) { /* tmpfs: every option takes a string */
		if (tmpfs_check_option(key, "0") < 0)
			return -ENOPARAM;
		if (cmd != FSCONFIG_SET_STRING || tmpfs_check_option(key, value) < 0) {
			fc_log(fc, "e tmpfs: Bad value for '%s'", key);
			return -EINVAL;
		}
		opts_add(fc, key, value);
		return 0;
	}
	for (; p->key; p++) {
		if (strcmp(p->key, key))
			continue;
		if (p->flag != is_flag || (!p->flag && cmd != FSCONFIG_SET_STRING)) {
			fc_log(fc, "e %s: %s value for '%s'", fc->type,
			       p->flag ? "Unexpected" : "Bad", key);
			return -EINVAL;
		}
		return 0; /* accepted; these types' options have no effect here */
	}
	return -ENOPARAM;
}

/* Linux's vfs_parse_fs_param. value NULL for a flag; other non-string kinds (binary,
 * path, fd) come as cmd with value NULL. */
static int parse_param(struct fs_ctx *fc, unsigned cmd, const char *key, const char *value)
{
	int ret;

	if (sb_flag(fc, key))
		return 0;
	ret = type_param(fc, cmd, key, value);
	if (ret != -ENOPARAM)
		return ret;
	if (!strcmp(key, "source")) {
		if (cmd != FSCONFIG_SET_STRING) {
			fc_log(fc, "e VFS: Non-string source");
			return -EINVAL;
		}
		if (fc->source) {
			fc_log(fc, "e VFS: Multiple sources");
			return -EINVAL;
		}
		fc->source = xstrdup(value);
		return 0;
	}
	fc_log(fc, "e %s: Unknown parameter '%s'", fc->type, key);
	return -EINVAL;
}

static int cmd_create(struct task *t, struct fs_ctx *fc, bool excl)
{
	struct super_block *sb;
	int ret;

	if (fc->phase != FC_CREATE_PARAMS)
		return -EBUSY;
	if (!caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if (excl && fc->ft->shared_sb) {
		fc->phase = FC_FAILED;
		fc_log(fc, "e %s: Superblock already exists", fc->type);
		return -EBUSY;
	}
	ret = mnt_new_sb(t, fc->type, fc->opts, &sb);
	if (ret < 0) {
		fc->phase = FC_FAILED;
		return ret;
	}
	sb->rdonly = fc->rdonly;
	sb->ctx_pins++;
	fc->sb = sb;
	free(fc->opts);
	fc->opts = NULL;
	fc->phase = FC_AWAITING_MOUNT;
	return 0;
}

static int cmd_reconfigure(struct task *t, struct fs_ctx *fc)
{
	struct super_block *sb = fc->sb;
	struct mount probe = {.sb = sb};
	int ret = 0;

	if (fc->phase != FC_RECONF_PARAMS)
		return -EBUSY;
	if (!caps_capable(t, CAP_SYS_ADMIN)) {
		fc->phase = FC_FAILED;
		return -EPERM;
	}
	if (fc->rdonly && !sb->rdonly && mnt_has_writers(&probe, true))
		ret = -EBUSY;
	if (ret == 0 && !strcmp(sb->type, "tmpfs"))
		ret = tmpfs_remount(sb, fc->opts);
	if (ret < 0) {
		fc->phase = FC_FAILED;
		return ret;
	}
	sb->rdonly = fc->rdonly;
	free(fc->opts);
	fc->opts = NULL;
	fc->phase = FC_AWAITING_RECONF;
	return 0;
}

int vfs_fsconfig(struct task *t, struct file *f, unsigned cmd, const char *key, const char *value)
{
	struct fs_ctx *fc = f->priv;

	/* finish_clean_context: a mounted or picked context's next call reconfigures. */
	if (fc->phase == FC_AWAITING_RECONF) {
		fc->phase = FC_RECONF_PARAMS;
		fc->rdonly = fc->sb->rdonly;
	}
	switch (cmd) {
	case FSCONFIG_CMD_CREATE:
	case FSCONFIG_CMD_CREATE_EXCL:
		return cmd_create(t, fc, cmd == FSCONFIG_CMD_CREATE_EXCL);
	case FSCONFIG_CMD_RECONFIGURE:
		return cmd_reconfigure(t, fc);
	default:
		if (fc->phase != FC_CREATE_PARAMS && fc->phase != FC_RECONF_PARAMS)
			return -EBUSY;
		return parse_param(fc, cmd, key, value);
	}
}

int vfs_fsmount(struct task *t, struct file *f, unsigned flags, unsigned attr, struct file **out)
{
	struct fs_ctx *fc;
	struct mount *m;

	if (!caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if (flags & ~FSMOUNT_CLOEXEC)
		return -EINVAL;
	if (attr & ~FSMOUNT_VALID)
		return -EINVAL;
	switch (attr & MOUNT_ATTR__ATIME) {
	case MOUNT_ATTR_STRICTATIME:
	case MOUNT_ATTR_RELATIME:
	case MOUNT_ATTR_NOATIME:
		break;
	default:
		return -EINVAL;
	}
	if (!f)
		return -EBADF;
	if (!file_is_fs_context(f))
		return -EINVAL;
	fc = f->priv;
	if (!fc->sb)
		return -EINVAL;
	if (fc->phase != FC_AWAITING_MOUNT)
		return -EBUSY;
	m = mnt_attach(NULL, fc->sb, fc->sb->root, mnt_attr_to_flags(attr),
		       fc->source ? fc->source : "none");
	mnt_ns_new_anon(m);
	fc->phase = FC_AWAITING_RECONF;
	*out = mnt_detached_file(m);
	return 0;
}

int vfs_fspick(struct task *t, int dfd, const char *path, unsigned flags, struct file **out)
{
	unsigned lf = LOOKUP_FOLLOW;
	struct fs_ctx *fc;
	struct path p;
	int ret;

	if (!caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if (flags &
	    ~(FSPICK_CLOEXEC | FSPICK_SYMLINK_NOFOLLOW | FSPICK_NO_AUTOMOUNT | FSPICK_EMPTY_PATH))
		return -EINVAL;
	if (flags & FSPICK_SYMLINK_NOFOLLOW)
		lf &= ~LOOKUP_FOLLOW;
	if (flags & FSPICK_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	ret = vfs_lookupat(t, dfd, path, lf, &p);
	if (ret < 0)
		return ret;
	if (p.dentry != p.mnt->root) {
		path_put(&p);
		return -EINVAL;
	}
	fc = xcalloc(1, sizeof(*fc));
	fc->ft = fc_type_of(p.mnt->sb->type);
	if (!fc->ft)
		fc->ft = &g_other_type;
	fc->type = p.mnt->sb->type;
	fc->sb = p.mnt->sb;
	fc->sb->ctx_pins++;
	fc->phase = FC_AWAITING_RECONF;
	path_put(&p);
	*out = fc_file(fc);
	return 0;
}
