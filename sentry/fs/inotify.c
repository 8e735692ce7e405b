/* inotify.c: inotify instances and the fsnotify hooks that feed them. Watches are keyed by
 * (super block, inode number), so a watch survives its dentry being dropped from a cache;
 * events queue on the instance (identical consecutive events coalesce, the queue caps at
 * 16384 events with IN_Q_OVERFLOW) and are read as struct inotify_event records. */
#include "sentry/fs/inotify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

#include "sentry/fs/anon.h"
#include "sentry/fs/dnotify.h"
#include "sentry/kernel/sched.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs_internal.h"

#define INOTIFY_MAX_EVENTS 16384 /* Linux's max_queued_events */

struct inotify {
	struct list_head events;  /* of inotify_ev.link, oldest first */
	size_t nevents, bytes;
	struct list_head watches; /* of watch.inst_link */
	int next_wd;
	uint64_t ino;
	struct waitq wq;
};

struct watch {
	struct list_head link;	    /* g_watches */
	struct list_head inst_link;
	struct inotify *in;
	const struct super_block *sb;
	uint64_t ino;
	int wd;
	uint32_t mask;
};

struct inotify_ev {
	struct list_head link;
	struct inotify_event hdr; /* len counts the padded name */
	char name[];
};

static struct list_head g_watches = LIST_HEAD_INIT(g_watches);
static int g_nwatches;
static const struct file_ops g_inotify_ops;

int fsnotify_active(void)
{
	return g_nwatches > 0 || dnotify_active();
}

static void queue_event(struct inotify *in, int wd, uint32_t mask, uint32_t cookie,
			const char *name)
{
	size_t nlen = name ? strlen(name) : 0;
	uint32_t len = nlen ? (uint32_t)((nlen + 1 + sizeof(struct inotify_event) - 1) /
					 sizeof(struct inotify_event) *
					 sizeof(struct inotify_event)) : 0;
	struct inotify_ev *ev;

	if (!list_empty(&in->events)) {
		struct inotify_ev *last = list_entry(in->events.prev, struct inotify_ev, link);

		if (last->hdr.wd == wd && last->hdr.mask == mask && last->hdr.cookie == cookie &&
		    last->hdr.len == len && (!len || strcmp(last->name, name) == 0))
			return;
		if (in->nevents >= INOTIFY_MAX_EVENTS) {
			if (last->hdr.mask != IN_Q_OVERFLOW) {
				wd = -1;
				mask = IN_Q_OVERFLOW;
				cookie = 0;
				len = 0;
			} else {
				return;
			}
		}
	}
	ev = xcalloc(1, sizeof(*ev) + len);
	ev->hdr.wd = wd;
	ev->hdr.mask = mask;
	ev->hdr.cookie = cookie;
	ev->hdr.len = len;
	if (len)
		memcpy(ev->name, name, nlen);
	list_add_tail(&ev->link, &in->events);
	in->nevents++;
	in->bytes += sizeof(ev->hdr) + len;
	waitq_wake_all(&in->wq);
}

static void watch_remove(struct watch *w, bool tell)
{
	if (tell)
		queue_event(w->in, w->wd, IN_IGNORED, 0, NULL);
	list_del(&w->link);
	list_del(&w->inst_link);
	g_nwatches--;
	free(w);
}

/* Deliver mask (an event bit, maybe | IN_ISDIR) to every watch of inode. */
static void notify_inode(const struct inode *inode, uint32_t mask, const char *name,
			 uint32_t cookie)
{
	struct list_head *pos, *n;

	if (!inode)
		return;
	dnotify_event(inode, mask);
	if (g_nwatches == 0)
		return;
	list_for_each_safe(pos, n, &g_watches) {
		struct watch *w = list_entry(pos, struct watch, link);

		if (w->sb != inode->sb || w->ino != inode->ino || !(w->mask & mask & IN_ALL_EVENTS))
			continue;
		queue_event(w->in, w->wd, mask, cookie, name);
		if (w->mask & IN_ONESHOT)
			watch_remove(w, true);
	}
}

/* The watches of inode go away (it was deleted): IN_IGNORED for each. */
static void forget_inode(const struct inode *inode)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &g_watches) {
		struct watch *w = list_entry(pos, struct watch, link);

		if (w->sb == inode->sb && w->ino == inode->ino)
			watch_remove(w, true);
	}
}

static uint32_t isdir(const struct dentry *d)
{
	return d->inode && S_ISDIR(d->inode->mode) ? IN_ISDIR : 0;
}

void fsnotify_parent(struct dentry *d, uint32_t mask)
{
	if (!fsnotify_active() || !d || !d->inode)
		return;
	mask |= isdir(d);
	notify_inode(d->inode, mask, NULL, 0);
	if (d->parent && d->parent != d)
		notify_inode(d->parent->inode, mask, d->name, 0);
}

void fsnotify_dir(struct dentry *dir, struct dentry *child, const char *name, uint32_t mask,
		  uint32_t cookie)
{
	if (!fsnotify_active())
		return;
	notify_inode(dir->inode, mask | isdir(child), name ? name : child->name, cookie);
}

void fsnotify_delete(struct dentry *dir, struct dentry *child)
{
	struct inode *inode = child->inode;
	struct kstat st;
	bool gone;

	if (!fsnotify_active() || !inode)
		return;
	/* The link count through getattr: an overlay's own inode does not track it. */
	gone = S_ISDIR(inode->mode) || vfs_getattr(child, &st) < 0 || st.nlink == 0;
	if (!S_ISDIR(inode->mode))
		notify_inode(inode, IN_ATTRIB, NULL, 0); /* the link count changed */
	notify_inode(dir->inode, IN_DELETE | isdir(child), child->name, 0);
	if (gone) {
		notify_inode(inode, IN_DELETE_SELF, NULL, 0);
		forget_inode(inode);
	}
}

void fsnotify_move(struct dentry *odir, const char *oldname, struct dentry *ndir,
		   struct dentry *od)
{
	static uint32_t cookie;

	if (!fsnotify_active())
		return;
	cookie++;
	if (odir == ndir)
		dnotify_rename(odir->inode);
	notify_inode(odir->inode, IN_MOVED_FROM | isdir(od), oldname, cookie);
	notify_inode(ndir->inode, IN_MOVED_TO | isdir(od), od->name, cookie);
	notify_inode(od->inode, IN_MOVE_SELF, NULL, 0);
}

void fsnotify_setattr(struct dentry *d, const struct vattr *va)
{
	unsigned times = va->valid & (VA_ATIME | VA_MTIME);

	if (!fsnotify_active())
		return;
	if (va->valid & (VA_MODE | VA_UID | VA_GID))
		fsnotify_parent(d, IN_ATTRIB);
	if (va->valid & VA_SIZE)
		fsnotify_parent(d, IN_MODIFY);
	else if (times == (VA_ATIME | VA_MTIME))
		fsnotify_parent(d, IN_ATTRIB);
	else if (times == VA_ATIME)
		fsnotify_parent(d, IN_ACCESS);
	else if (times == VA_MTIME)
		fsnotify_parent(d, IN_MODIFY);
}

void fsnotify_open(struct file *f)
{
	if (fsnotify_active() && f->path.dentry && !(f->fmode & FMODE_PATH))
		fsnotify_parent(f->path.dentry, IN_OPEN);
}

void fsnotify_close(struct file *f)
{
	if (fsnotify_active() && f->path.dentry && !(f->fmode & FMODE_PATH))
		fsnotify_parent(f->path.dentry,
				(f->fmode & FMODE_WRITE) ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
}

static ssize_t in_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	struct inotify *in = f->priv;
	size_t done = 0;

	while (list_empty(&in->events)) {
		if ((f->flags & O_NONBLOCK) || !t)
			return -EAGAIN;
		if (task_block(t, &in->wq, NULL) == -EINTR)
			return -ERESTARTSYS;
	}
	while (!list_empty(&in->events)) {
		struct inotify_ev *ev = list_first_entry(&in->events, struct inotify_ev, link);
		size_t n = sizeof(ev->hdr) + ev->hdr.len;

		if (done + n > size)
			break;
		memcpy((char *)buf + done, &ev->hdr, sizeof(ev->hdr));
		memcpy((char *)buf + done + sizeof(ev->hdr), ev->name, ev->hdr.len);
		done += n;
		list_del(&ev->link);
		in->nevents--;
		in->bytes -= n;
		free(ev);
	}
	return done ? (ssize_t)done : -EINVAL; /* the buffer cannot hold the first event */
}

static unsigned in_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct inotify *in = f->priv;

	*wq = &in->wq;
	return list_empty(&in->events) ? 0 : POLLIN | POLLRDNORM;
}

static long in_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	struct inotify *in = f->priv;
	int n = (int)in->bytes;

	if (cmd != FIONREAD)
		return -ENOTTY;
	return copy_to_user(t, uaddr(arg), &n, sizeof(n)) ? -EFAULT : 0;
}

static int in_stat(struct file *f, struct kstat *st)
{
	anon_fill_stat(st, ((struct inotify *)f->priv)->ino);
	return 0;
}

static void in_release(struct file *f)
{
	struct inotify *in = f->priv;

	while (!list_empty(&in->watches))
		watch_remove(list_first_entry(&in->watches, struct watch, inst_link), false);
	while (!list_empty(&in->events)) {
		struct inotify_ev *ev = list_first_entry(&in->events, struct inotify_ev, link);

		list_del(&ev->link);
		free(ev);
	}
	free(in);
}

static const struct file_ops g_inotify_ops = {
	.read = in_read,
	.poll = in_poll,
	.ioctl = in_ioctl,
	.stat = in_stat,
	.release = in_release,
};

int inotify_new(int flags, struct file **out)
{
	struct inotify *in;
	struct file *f;

	if (flags & ~(IN_NONBLOCK | IN_CLOEXEC))
		return -EINVAL;
	in = xcalloc(1, sizeof(*in));
	list_init(&in->events);
	list_init(&in->watches);
	waitq_init(&in->wq);
	in->next_wd = 1;
	in->ino = anon_next_ino();
	f = file_alloc(O_RDONLY | (flags & IN_NONBLOCK));
	f->ops = &g_inotify_ops;
	f->priv = in;
	f->fmode |= FMODE_WHOLE_RECORDS;
	*out = f;
	return 0;
}

int inotify_watch_add(struct file *f, const struct path *p, uint32_t mask)
{
	const struct inode *inode = p->dentry->inode;
	struct inotify *in;
	struct list_head *pos;
	struct watch *w;

	if (f->ops != &g_inotify_ops)
		return -EINVAL;
	if (!(mask & IN_ALL_EVENTS) || ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE)))
		return -EINVAL;
	in = f->priv;
	list_for_each(pos, &in->watches) {
		w = list_entry(pos, struct watch, inst_link);
		if (w->sb != inode->sb || w->ino != inode->ino)
			continue;
		if (mask & IN_MASK_CREATE)
			return -EEXIST;
		w->mask = (mask & IN_MASK_ADD) ? (w->mask | mask) : mask;
		return w->wd;
	}
	w = xcalloc(1, sizeof(*w));
	w->in = in;
	w->sb = inode->sb;
	w->ino = inode->ino;
	w->wd = in->next_wd++;
	w->mask = mask;
	list_add_tail(&w->link, &g_watches);
	list_add_tail(&w->inst_link, &in->watches);
	g_nwatches++;
	return w->wd;
}

int inotify_watch_rm(struct file *f, int wd)
{
	struct list_head *pos;
	struct inotify *in;

	if (f->ops != &g_inotify_ops)
		return -EINVAL;
	in = f->priv;
	list_for_each(pos, &in->watches) {
		struct watch *w = list_entry(pos, struct watch, inst_link);

		if (w->wd == wd) {
			watch_remove(w, true);
			return 0;
		}
	}
	return -EINVAL;
}
