/* dnotify.c: fcntl(F_NOTIFY) directory notifications, fed by the same fsnotify hooks as
 * inotify (sentry/fs/inotify.c calls dnotify_event for every event on a watched inode).
 * A mark belongs to an (fd table, open file description) pair, as Linux's belongs to
 * (files_struct, file): closing any fd of that description in that table removes it. An
 * event signals the description's owner (SIGIO, or the F_SETSIG signal with si_fd) and,
 * without DN_MULTISHOT, removes the mark. */
#include "sentry/fs/dnotify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>

#include "lib/list.h"
#include "sentry/vfs/fown.h"
#include "sentry/vfs/vfs_internal.h"

#define DN_EVENTS (DN_ACCESS | DN_MODIFY | DN_CREATE | DN_DELETE | DN_RENAME | DN_ATTRIB)

struct dn_mark {
	struct list_head link;	/* g_marks */
	const struct super_block *sb;
	uint64_t ino;		/* the watched directory */
	struct file *f;		/* not referenced: dnotify_flush runs before its last close */
	const void *owner;	/* the fd table that set it */
	int fd;			/* reported in si_fd */
	unsigned long mask;	/* DN_* */
};

static struct list_head g_marks = LIST_HEAD_INIT(g_marks);
static int g_nmarks;

bool dnotify_active(void)
{
	return g_nmarks > 0;
}

static void mark_remove(struct dn_mark *m)
{
	list_del(&m->link);
	g_nmarks--;
	free(m);
}

void dnotify_flush(const void *owner, struct file *f)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &g_marks) {
		struct dn_mark *m = list_entry(pos, struct dn_mark, link);

		if (m->f == f && m->owner == owner)
			mark_remove(m);
	}
}

long dnotify_fcntl(struct task *t, const void *owner, int fd, struct file *f, unsigned long arg)
{
	struct list_head *pos;
	struct dn_mark *m;

	if ((arg & ~DN_MULTISHOT) == 0) {
		dnotify_flush(owner, f);
		return 0;
	}
	if (!f->inode || !S_ISDIR(f->inode->mode))
		return -ENOTDIR;
	fown_set_current(t, f);
	list_for_each(pos, &g_marks) {
		m = list_entry(pos, struct dn_mark, link);
		if (m->f == f && m->owner == owner) {
			m->mask |= arg;
			m->fd = fd;
			return 0;
		}
	}
	m = xcalloc(1, sizeof(*m));
	m->sb = f->inode->sb;
	m->ino = f->inode->ino;
	m->f = f;
	m->owner = owner;
	m->fd = fd;
	m->mask = arg;
	list_add_tail(&m->link, &g_marks);
	g_nmarks++;
	return 0;
}

static unsigned long dn_bits(uint32_t in_mask)
{
	unsigned long dn = 0;

	if (in_mask & IN_ACCESS)
		dn |= DN_ACCESS;
	if (in_mask & IN_MODIFY)
		dn |= DN_MODIFY;
	if (in_mask & IN_ATTRIB)
		dn |= DN_ATTRIB;
	if (in_mask & (IN_CREATE | IN_MOVED_TO))
		dn |= DN_CREATE;
	if (in_mask & (IN_DELETE | IN_MOVED_FROM))
		dn |= DN_DELETE;
	return dn;
}

static void deliver(const struct inode *inode, unsigned long dn)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &g_marks) {
		struct dn_mark *m = list_entry(pos, struct dn_mark, link);

		if (m->sb != inode->sb || m->ino != inode->ino || !(m->mask & dn & DN_EVENTS))
			continue;
		fown_send(m->f, m->fd, POLL_MSG, POLLIN | POLLRDNORM | POLLMSG);
		if (!(m->mask & DN_MULTISHOT))
			mark_remove(m);
	}
}

void dnotify_event(const struct inode *inode, uint32_t in_mask)
{
	unsigned long dn = dn_bits(in_mask);

	if (g_nmarks && inode && dn)
		deliver(inode, dn);
}

void dnotify_rename(const struct inode *dir)
{
	if (g_nmarks && dir)
		deliver(dir, DN_RENAME);
}
