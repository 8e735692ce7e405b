/* tmpfs_opts.c: tmpfs mount options as mount(2) passes them (size=, nr_inodes=, mode=,
 * uid=, gid=), their remount, and how /proc/mounts shows them: Linux's shmem rules. */
#include "sentry/fs/tmpfs/tmpfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentry/vfs/mount.h"

struct tmpfs_opts {
	bool has_size, has_inodes, has_mode, has_uid, has_gid;
	uint64_t size, inodes; /* bytes and count; 0 = unlimited */
	uint32_t mode;
	uid_t uid;
	gid_t gid;
};

/* Linux's memparse: a number (any base strtoull takes) with an optional K/M/G/T/P/E. */
static int memparse(const char *s, char **rest, uint64_t *out)
{
	unsigned long long n;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, rest, 0);
	if (errno)
		return -EINVAL;
	switch (**rest) {
	case 'e': case 'E': shift += 10; /* fall through */
	case 'p': case 'P': shift += 10; /* fall through */
	case 't': case 'T': shift += 10; /* fall through */
	case 'g': case 'G': shift += 10; /* fall through */
	case 'm': case 'M': shift += 10; /* fall through */
	case 'k': case 'K': shift += 10; (*rest)++; break;
	default: break;
	}
	if (shift && n > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)n << shift;
	return 0;
}

static int parse_size(const char *v, uint64_t *out)
{
	char *rest;
	uint64_t n;

	if (memparse(v, &rest, &n) < 0)
		return -EINVAL;
	if (*rest == '%') {
		long pages = sysconf(_SC_PHYS_PAGES);

		if (n > UINT64_MAX / 4096 / (uint64_t)(pages > 0 ? pages : 1))
			return -EINVAL;
		n = n * 4096 * (uint64_t)(pages > 0 ? pages : 0) / 100;
		rest++;
	}
	if (*rest || n > UINT64_MAX - 4095)
		return -EINVAL;
	*out = ALIGN_UP(n, 4096);
	return 0;
}

static int parse_u32(const char *v, int base, uint32_t *out)
{
	char *end;
	unsigned long long n;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, base);
	if (errno || *end || n > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)n;
	return 0;
}

static int parse_one(struct tmpfs_opts *o, const char *key, const char *v)
{
	char *rest;

	if (!v)
		return -EINVAL; /* every tmpfs option has a value */
	if (!strcmp(key, "size")) {
		o->has_size = true;
		return parse_size(v, &o->size);
	}
	if (!strcmp(key, "nr_inodes")) {
		o->has_inodes = true;
		if (memparse(v, &rest, &o->inodes) < 0 || *rest)
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "mode")) {
		o->has_mode = true;
		if (parse_u32(v, 8, &o->mode) < 0)
			return -EINVAL;
		o->mode &= 07777;
		return 0;
	}
	if (!strcmp(key, "uid") || !strcmp(key, "gid")) {
		uint32_t id;

		if (parse_u32(v, 0, &id) < 0 || id == UINT32_MAX)
			return -EINVAL; /* (uid_t)-1 maps to no user */
		if (key[0] == 'u') {
			o->has_uid = true;
			o->uid = id;
		} else {
			o->has_gid = true;
			o->gid = id;
		}
		return 0;
	}
	return -EINVAL; /* Linux: "tmpfs: Unknown parameter" */
}

int tmpfs_check_option(const char *key, const char *value)
{
	struct tmpfs_opts o;

	memset(&o, 0, sizeof(o));
	return parse_one(&o, key, value);
}

/* data: "key=value,..." (NULL or empty: nothing). */
static int parse_opts(const char *data, struct tmpfs_opts *o)
{
	char *copy, *save = NULL, *tok;
	int ret = 0;

	memset(o, 0, sizeof(*o));
	if (!data || !*data)
		return 0;
	copy = xstrdup(data);
	for (tok = strtok_r(copy, ",", &save); tok && ret == 0; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (eq)
			*eq++ = '\0';
		ret = parse_one(o, tok, eq);
	}
	free(copy);
	return ret;
}

static uint64_t limit_of(uint64_t n)
{
	return n ? n : TMPFS_UNLIMITED;
}

int tmpfs_new_with_options(const char *data, uid_t uid, gid_t gid, struct super_block **out)
{
	struct tmpfs_opts o;
	struct tmpfs_sb *ts;
	int ret = parse_opts(data, &o);

	if (ret < 0)
		return ret;
	*out = tmpfs_new(o.has_mode ? o.mode : 01777, o.has_uid ? o.uid : uid,
			 o.has_gid ? o.gid : gid);
	ts = (*out)->priv;
	if (o.has_size)
		ts->max_bytes = limit_of(o.size);
	if (o.has_inodes)
		ts->max_inodes = limit_of(o.inodes);
	return 0;
}

int tmpfs_remount(struct super_block *sb, const char *data)
{
	struct tmpfs_sb *ts = sb->priv;
	struct tmpfs_opts o;
	int ret = parse_opts(data, &o);

	if (ret < 0)
		return ret;
	/* A limit cannot be put back on an unlimited instance, nor below what is used. */
	if (o.has_size && o.size &&
	    (ts->max_bytes == TMPFS_UNLIMITED || ts->used_bytes > o.size))
		return -EINVAL;
	if (o.has_inodes && o.inodes &&
	    (ts->max_inodes == TMPFS_UNLIMITED || ts->inodes > o.inodes ||
	     /* xattrs use inode space too (1024 bytes an inode) */
	     ts->inodes + (ts->xattr_ispace + TMPFS_BOGO_INODE_SIZE - 1) / TMPFS_BOGO_INODE_SIZE >
		     o.inodes))
		return -EINVAL;
	if (o.has_size)
		ts->max_bytes = limit_of(o.size);
	if (o.has_inodes)
		ts->max_inodes = limit_of(o.inodes);
	return 0; /* mode=, uid= and gid= only count when mounting, as in Linux */
}

void tmpfs_show_options(struct super_block *sb, char *buf, size_t size)
{
	struct tmpfs_sb *ts = sb->priv;
	size_t n = 0;

	buf[0] = '\0';
	if (ts->max_bytes)
		n += (size_t)snprintf(buf + n, size - n, ",size=%lluk",
				      ts->max_bytes == TMPFS_UNLIMITED
					      ? 0ULL
					      : (unsigned long long)(ts->max_bytes >> 10));
	if (ts->max_inodes && n < size)
		n += (size_t)snprintf(buf + n, size - n, ",nr_inodes=%llu",
				      ts->max_inodes == TMPFS_UNLIMITED
					      ? 0ULL
					      : (unsigned long long)ts->max_inodes);
	if (ts->mode != 01777 && n < size)
		n += (size_t)snprintf(buf + n, size - n, ",mode=%03o", ts->mode);
	if (ts->uid != 0 && n < size)
		n += (size_t)snprintf(buf + n, size - n, ",uid=%u", ts->uid);
	if (ts->gid != 0 && n < size)
		snprintf(buf + n, size - n, ",gid=%u", ts->gid);
}
