/* fid.c: the gofer's nodes (held O_PATH fds of walked files) and its fid table. */
#include "gofer/gofer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "lib/util.h"

/* Guards every node's parent and name (Trenameat re-homes nodes while workers reopen them
 * by name). Taken after a server's lock, never before it. */
static pthread_mutex_t g_names_lock = PTHREAD_MUTEX_INITIALIZER;

struct gofer_node *node_get(struct gofer_node *n)
{
	__atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
	return n;
}

void node_put(struct gofer_node *n)
{
	while (n && __atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) == 0) {
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

/* Filesystems whose calls never wait on another process or host. */
static bool is_local(int fd)
{
	static const long types[] = {EXT4_SUPER_MAGIC,	  XFS_SUPER_MAGIC,  BTRFS_SUPER_MAGIC,
				     TMPFS_MAGIC,	  RAMFS_MAGIC,	    OVERLAYFS_SUPER_MAGIC,
				     F2FS_SUPER_MAGIC,	  SQUASHFS_MAGIC};
	struct statfs st;

	if (fstatfs(fd, &st) < 0)
		return false;
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
	n->local = parent && st.st_dev == parent->dev ? parent->local : is_local(fd);
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

struct gofer_node *node_parent(const struct gofer_node *n, char *buf)
{
	struct gofer_node *parent;

	pthread_mutex_lock(&g_names_lock);
	parent = n->parent ? node_get(n->parent) : NULL;
	snprintf(buf, P9_NAME_MAX + 1, "%s", n->name ? n->name : "");
	pthread_mutex_unlock(&g_names_lock);
	return parent;
}

int node_reopen(const struct gofer_node *n, int flags, int *out)
{
	char name[P9_NAME_MAX + 1];
	struct gofer_node *parent;
	struct stat st;
	int fd;

	*out = -1;
	if (n->kernfs)
		return -EACCES;
	if (!S_ISREG(n->type) && !S_ISDIR(n->type))
		return S_ISLNK(n->type) ? -ELOOP : -EPERM; /* no devices, FIFOs or sockets */
	flags |= O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	if (S_ISDIR(n->type)) {
		fd = openat(n->fd, ".", flags | O_DIRECTORY);
	} else {
		parent = node_parent(n, name);
		if (!parent)
			return -EPERM; /* the root is always a directory */
		fd = openat(parent->fd, name, flags);
		node_put(parent);
	}
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

/* Under s->lock. */
static struct gofer_fid *fid_find(struct gofer_server *s, uint32_t num)
{
	for (struct gofer_fid *f = s->fids[fid_bucket(num)]; f; f = f->next) {
		if (f->num == num)
			return f;
	}
	return NULL;
}

struct gofer_fid *fid_ref(struct gofer_fid *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

struct gofer_fid *fid_get(struct gofer_server *s, uint32_t num)
{
	struct gofer_fid *f;

	pthread_mutex_lock(&s->lock);
	f = fid_find(s, num);
	if (f)
		fid_ref(f);
	pthread_mutex_unlock(&s->lock);
	return f;
}

void fid_put(struct gofer_fid *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (f->open_fd >= 0)
		close(f->open_fd);
	gofer_xattr_free(f->xattr);
	node_put(f->node);
	pthread_mutex_destroy(&f->dir_lock);
	free(f);
}

int fid_open_fd(const struct gofer_fid *f, uint32_t *flags)
{
	int fd = __atomic_load_n(&f->open_fd, __ATOMIC_ACQUIRE);

	if (flags)
		*flags = f->open_flags; /* written before open_fd was published */
	return fd;
}

int fid_set_open(struct gofer_server *s, struct gofer_fid *f, int fd, int flags)
{
	int ret = -EINVAL;

	pthread_mutex_lock(&s->lock);
	if (f->open_fd < 0) {
		f->open_flags = (uint32_t)flags;
		__atomic_store_n(&f->open_fd, fd, __ATOMIC_RELEASE);
		ret = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static struct gofer_fid *fid_alloc(uint32_t num, struct gofer_node *node, uint32_t uid)
{
	struct gofer_fid *f = xcalloc(1, sizeof(*f));

	f->refs = 1; /* the table's */
	f->num = num;
	f->node = node;
	f->open_fd = -1;
	f->uid = uid;
	pthread_mutex_init(&f->dir_lock, NULL);
	return f;
}

int fid_insert(struct gofer_server *s, uint32_t num, struct gofer_node *node, uint32_t uid)
{
	return fid_insert_xattr(s, num, node, uid, NULL);
}

int fid_insert_xattr(struct gofer_server *s, uint32_t num, struct gofer_node *node,
		     uint32_t uid, struct gofer_xattr *x)
{
	struct gofer_fid *f;
	size_t b = fid_bucket(num);
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	if (num == P9_NOFID || fid_find(s, num))
		ret = -EBADF;
	else if (s->nfids >= GOFER_MAX_FIDS)
		ret = -ENFILE;
	if (ret == 0) {
		f = fid_alloc(num, node, uid);
		f->xattr = x;
		f->next = s->fids[b];
		s->fids[b] = f;
		s->nfids++;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* fid_replace, and fid_replace_xattr with x. */
static int replace(struct gofer_server *s, struct gofer_fid *old, struct gofer_node *node,
		   int fd, int flags, struct gofer_xattr *x, struct gofer_fid **out)
{
	struct gofer_fid **pp = &s->fids[fid_bucket(old->num)];
	struct gofer_fid *f = NULL;

	pthread_mutex_lock(&s->lock);
	while (*pp && *pp != old)
		pp = &(*pp)->next;
	if (*pp) {
		f = fid_alloc(old->num, node, old->uid);
		f->open_fd = fd;
		f->open_flags = (uint32_t)flags;
		f->xattr = x;
		f->next = old->next;
		*pp = fid_ref(f);
	}
	pthread_mutex_unlock(&s->lock);
	if (!f)
		return -EBADF; /* clunked meanwhile */
	fid_put(old); /* the table's reference */
	*out = f;
	return 0;
}

int fid_replace(struct gofer_server *s, struct gofer_fid *old, struct gofer_node *node, int fd,
		int flags, struct gofer_fid **out)
{
	return replace(s, old, node, fd, flags, NULL, out);
}

int fid_replace_xattr(struct gofer_server *s, struct gofer_fid *old, struct gofer_xattr *x,
		      struct gofer_fid **out)
{
	struct gofer_node *node = node_get(old->node);
	int ret = replace(s, old, node, -1, 0, x, out);

	if (ret)
		node_put(node);
	return ret;
}

struct gofer_fid *fid_take(struct gofer_server *s, uint32_t num)
{
	struct gofer_fid *f = NULL;

	pthread_mutex_lock(&s->lock);
	for (struct gofer_fid **pp = &s->fids[fid_bucket(num)]; *pp; pp = &(*pp)->next) {
		if ((*pp)->num == num) {
			f = *pp;
			*pp = f->next;
			s->nfids--;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return f;
}

void fid_remove_all(struct gofer_server *s)
{
	struct gofer_fid *list = NULL;

	pthread_mutex_lock(&s->lock);
	for (size_t b = 0; b < GOFER_FID_BUCKETS; b++) {
		while (s->fids[b]) {
			struct gofer_fid *f = s->fids[b];

			s->fids[b] = f->next;
			f->next = list;
			list = f;
		}
	}
	s->nfids = 0;
	pthread_mutex_unlock(&s->lock);
	while (list) {
		struct gofer_fid *f = list;

		list = f->next;
		fid_put(f);
	}
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
	pthread_mutex_lock(&s->lock);
	pthread_mutex_lock(&g_names_lock);
	for (size_t b = 0; b < GOFER_FID_BUCKETS; b++) {
		for (struct gofer_fid *f = s->fids[b]; f; f = f->next) {
			for (struct gofer_node *n = f->node; n; n = n->parent)
				node_renamed(n, olddir, oldname, newdir, newname);
		}
	}
	pthread_mutex_unlock(&g_names_lock);
	pthread_mutex_unlock(&s->lock);
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
