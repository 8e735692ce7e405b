/* pidns.h: pid namespaces (man 7 pid_namespaces) and pids as Linux keeps them: a struct
 * pid is one process id with its number in every namespace from the one it was made in
 * up to the sandbox's (level 0). Tasks, thread groups, process groups and sessions hold
 * references on theirs, so a number stays taken while anything names it.
 *
 * Inside the kernel a task is still named by its level-0 number (task.tid, tg.tgid,
 * tg.pgid, tg.sid): those are unique in the sandbox. What an application passes or is
 * shown goes through the *_vnr helpers, which translate to and from the namespace of the
 * task that asks. Everything runs under the kernel lock.
 */
#ifndef RUNSC_SENTRY_KERNEL_PIDNS_H
#define RUNSC_SENTRY_KERNEL_PIDNS_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/list.h"

#define PIDNS_MAX_LEVEL 32 /* Linux's MAX_PID_NS_LEVEL: a 33rd level fails ENOSPC */
#define PIDNS_HASH 64

struct task;
struct thread_group;

struct pid_ns {
	int refs;
	int level;			/* 0: the sandbox's */
	struct pid_ns *parent;		/* reference held; NULL at level 0 */
	struct list_head hash[PIDNS_HASH]; /* of upid.link, by number */
	int next_nr;			/* where the next allocation starts */
	int nr_pids;			/* numbers held in it */
	struct thread_group *reaper;	/* its init (pid 1), NULL before it exists */
	bool closed;			/* its init has exited: no pid is handed out (ENOMEM) */
	uint64_t ino;			/* the inode number /proc/PID/ns/pid shows */
};

/* One number of a pid, in one namespace. */
struct upid {
	int nr;
	struct pid_ns *ns;
	struct list_head link;
};

struct pid {
	int refs;
	int level;			/* the level of the namespace it was made in */
	struct upid up[];		/* up[0] the sandbox's number ... up[level] */
};

/* The sandbox's namespace (level 0, never freed). */
struct pid_ns *pidns_root(void);
/* A child namespace of parent (CLONE_NEWPID): -ENOSPC beyond PIDNS_MAX_LEVEL. */
int pidns_new(struct pid_ns *parent, struct pid_ns **out);
/* A new namespace inode number (/proc/PID/ns links) for any kind of namespace. */
uint64_t ns_ino_alloc(void);
struct pid_ns *pidns_get(struct pid_ns *ns);
void pidns_put(struct pid_ns *ns);
/* Whether ns is anc or below it. */
bool pidns_is_descendant(const struct pid_ns *ns, const struct pid_ns *anc);

/* A new pid with a number in ns and every ancestor (pid 1 first in a new namespace).
 * -ENOMEM once ns's init has exited (as Linux), -EAGAIN when a level is full. */
int pid_alloc(struct pid_ns *ns, int pid_max, struct pid **out);
struct pid *pid_get(struct pid *p);
void pid_put(struct pid *p);
/* The pid whose number in ns is nr, or NULL. */
struct pid *pid_find_ns(const struct pid_ns *ns, int nr);
/* p's number in ns; 0 when p is not visible there (made in no descendant of ns). */
int pid_nr_ns(const struct pid *p, const struct pid_ns *ns);
/* The namespace p was made in. */
static inline struct pid_ns *pid_ns_of(const struct pid *p)
{
	return p->up[p->level].ns;
}

/* What ns calls the sandbox-wide number nr (0: not in ns, or gone), and the sandbox-wide
 * number of what ns calls nr (-1: nothing). nr <= 0 and a NULL ns pass unchanged. */
int pidns_nr_of(const struct pid_ns *ns, int nr);
int pidns_root_nr(const struct pid_ns *ns, int nr);

/* The pid namespace a task lives in (NULL task: the sandbox's). */
struct pid_ns *task_active_pidns(const struct task *t);
/* What the viewer calls the sandbox-wide (level 0) number nr: 0 if not visible or gone. */
int pid_vnr(const struct task *viewer, int nr);
/* The sandbox-wide number of what the viewer calls nr; -1 if it names nothing it sees
 * (so that a lookup with it fails with ESRCH). nr <= 0 is returned unchanged. */
int pid_from_vnr(const struct task *viewer, int nr);

/* t's / tg's number as viewer sees it (0: not visible from viewer's namespace). */
int task_vnr(const struct task *viewer, const struct task *t);
int tg_vnr(const struct task *viewer, const struct thread_group *tg);

/* Whether tg is the init of its pid namespace (the sandbox's init included). */
bool tg_is_ns_init(const struct thread_group *tg);
/* The init of ns, or of its nearest ancestor that still has one. */
struct thread_group *pidns_reaper_above(struct pid_ns *ns);

#endif
