/* fid.c: the gofer's nodes (held O_PATH fds of walked files) and its fid table. */
#include "gofer/gofer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "lib/util.h"

struct gofer_node *node_get(struct gofer_node *n)
{
	n->refs++;
	return n;
}

void node_put(struct gofer_node *n)
{
	while (n && --n->refs == 0) {
		struct gofer_node *parent = n->parent;

		close(n->fd);
		free(n->name);
		free(n);
		n = parent; /* drop the child's reference on its parent, iteratively */
	}
}

/* Kernel filesystems that a served tree may contain as submounts (serving "/" includes
 * the host's /proc and /sys): their files are views of the host, not data. */
static bool is_kernfs(int fd)
{
	static const long types[] = {PROC_SUPER_MAGIC,	 SYSFS_MAGIC,	   DEBUGFS_MAGIC,
				     TRACEFS_MAGIC,	 SECURITYFS_MAGIC, BPF_FS_MAGIC,
				     CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, EFIVARFS_MAGIC,
				     PSTOREFS_MAGIC,	 SELINUX_MAGIC,	   SMACK_MAGIC,
				     BINFMTFS_MAGIC,	 NSFS_MAGIC};
	struct statfs st;

	if (fstatfs(fd, &st) < 0)
		return true; /* cannot tell: keep out */
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		if (st.f_type == types[i])
			return true;
	}
	return false;
}

int node_new(int fd, struct gofer_node *parent, const char *name, size_t name_len,
	     struct gofer_node **out)
{
	struct gofer_node *n;
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	n = xcalloc(1, sizeof(*n));
	n->refs = 1;
	n->fd = fd;
	n->parent = parent ? node_get(parent) : NULL;
	if (name) {
		n->name = xmalloc(name_len + 1);
		memcpy(n->name, name, name_len);
		n->name[name_len] = '\0';
	}
	n->type = st.st_mode & S_IFMT;
	n->dev = st.st_dev;
	n->ino = st.st_ino;
	/* Only a mount crossing can change the filesystem type. */
	n->kernfs = parent ? parent->kernfs || (st.st_dev != parent->dev && is_kernfs(fd))
			   : is_kernfs(fd);
	*out = n;
	return 0;
}

void node_qid(const struct gofer_node *n, struct p9_qid *qid)
{
	qid->type = S_ISDIR(n->type) ? P9_QTDIR : S_ISLNK(n->type) ? P9_QTSYMLINK : P9_QTFILE;
	qid->version = 0;
	qid->path = n->ino;
}

bool node_is_dir(const struct gofer_node *n)
{
	return S_ISDIR(n->type);
}

int node_reopen(const struct gofer_node *n, int flags, int *out)
{
	struct stat st;
	int fd;

	*out = -1;
	if (n->kernfs)
		return -EACCES;
	if (!S_ISREG(n->type) && !S_ISDIR(n->type))
		return S_ISLNK(n->type) ? -ELOOP : -EPERM; /* no devices, FIFOs or sockets */
	flags |= O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	if (S_ISDIR(n->type))
		fd = openat(n->fd, ".", flags | O_DIRECTORY);
	else if (n->parent)
		fd = openat(n->parent->fd, n->name, flags);
	else
		return -EPERM; /* the root is always a directory */
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_dev != n->dev || st.st_ino != n->ino) {
		close(fd);
		return -ESTALE; /* the name now holds another file */
	}
	*out = fd;
	return 0;
}

static size_t fid_bucket(uint32_t num)
{
	return (num * 2654435761u) % GOFER_FID_BUCKETS;
}

struct gofer_fid *fid_lookup(struct gofer_server *s, uint32_t num)
{
	for (struct gofer_fid *f = s->fids[fid_bucket(num)]; f; f = f->next) {
		if (f->num == num)
			return f;
	}
	return NULL;
}

int fid_insert(struct gofer_server *s, uint32_t num, struct gofer_node *node, uint32_t uid)
{
	struct gofer_fid *f;
	size_t b = fid_bucket(num);

	if (num == P9_NOFID || fid_lookup(s, num))
		return -EBADF;
	if (s->nfids >= GOFER_MAX_FIDS)
		return -ENFILE;
	f = xcalloc(1, sizeof(*f));
	f->num = num;
	f->node = node;
	f->open_fd = -1;
	f->uid = uid;
	f->next = s->fids[b];
	s->fids[b] = f;
	s->nfids++;
	return 0;
}

static void fid_free(struct gofer_fid *f)
{
	if (f->open_fd >= 0)
		close(f->open_fd);
	node_put(f->node);
	free(f);
}

int fid_remove(struct gofer_server *s, uint32_t num)
{
	for (struct gofer_fid **pp = &s->fids[fid_bucket(num)]; *pp; pp = &(*pp)->next) {
		struct gofer_fid *f = *pp;

		if (f->num == num) {
			*pp = f->next;
			fid_free(f);
			s->nfids--;
			return 0;
		}
	}
	return -EBADF;
}

void fid_remove_all(struct gofer_server *s)
{
	for (size_t b = 0; b < GOFER_FID_BUCKETS; b++) {
		while (s->fids[b]) {
			struct gofer_fid *f = s->fids[b];

			s->fids[b] = f->next;
			fid_free(f);
		}
	}
	s->nfids = 0;
}

static bool same_file(const struct gofer_node *a, const struct gofer_node *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

/* Re-home n if it is the renamed entry. */
static void node_renamed(struct gofer_node *n, struct gofer_node *olddir,
			 const struct p9_str *oldname, struct gofer_node *newdir,
			 const struct p9_str *newname)
{
	if (!n->parent || !same_file(n->parent, olddir) || !p9_str_eq(oldname, n->name))
		return;
	struct gofer_node *old_parent = n->parent;
	char *name = xmalloc(newname->len + 1u);

	memcpy(name, newname->s, newname->len);
	name[newname->len] = '\0';
	free(n->name);
	n->name = name;
	n->parent = node_get(newdir);
	node_put(old_parent);
}

void fid_renamed(struct gofer_server *s, struct gofer_node *olddir, const struct p9_str *oldname,
		 struct gofer_node *newdir, const struct p9_str *newname)
{
	if (same_file(olddir, newdir) && oldname->len == newname->len &&
	    memcmp(oldname->s, newname->s, oldname->len) == 0)
		return;
	/* Ancestors count too: a renamed directory may sit anywhere above a fid's node. */
	for (size_t b = 0; b < GOFER_FID_BUCKETS; b++) {
		for (struct gofer_fid *f = s->fids[b]; f; f = f->next) {
			for (struct gofer_node *n = f->node; n; n = n->parent)
				node_renamed(n, olddir, oldname, newdir, newname);
		}
	}
}

int gofer_check_name(const struct p9_str *name, bool dots)
{
	if (name->len > P9_NAME_MAX)
		return -ENAMETOOLONG;
	if (!p9_str_is_name(name))
		return -EINVAL;
	if (!dots && (p9_str_eq(name, ".") || p9_str_eq(name, "..")))
		return -EINVAL;
	return 0;
}
