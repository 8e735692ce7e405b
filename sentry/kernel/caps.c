/* caps.c: capability set arithmetic (set*id fixups, exec, capset, prctl). */
#include "sentry/kernel/caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>

#include "sentry/kernel/task.h"

#define BIT(n) (1ULL << (n))
/* Capabilities tied to the filesystem uid (Linux's CAP_FS_SET). */
#define CAPS_FS_MASK                                                                    \
	(BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH) |            \
	 BIT(CAP_FOWNER) | BIT(CAP_FSETID) | BIT(CAP_LINUX_IMMUTABLE) | BIT(CAP_MKNOD) | \
	 BIT(CAP_MAC_OVERRIDE))
/* Securebits: the base bits (even) and their locks (odd, each guarding the bit below). */
#define SECBITS_BITS 0x55U
#define SECBITS_LOCKS 0xaaU

void caps_init(struct creds *c)
{
	uint64_t set = (c->uid == 0 || c->euid == 0) ? CAPS_FULL : 0;

	c->cap_permitted = set;
	c->cap_effective = c->euid == 0 ? set : 0;
	c->cap_inheritable = 0;
	c->cap_ambient = 0;
	c->cap_bset = CAPS_FULL;
	c->securebits = 0;
}

bool caps_capable(const struct task *t, int cap)
{
	return caps_creds_capable(&t->creds, cap);
}

bool caps_creds_capable(const struct creds *c, int cap)
{
	return cap >= 0 && cap <= CAPS_LAST_CAP && (c->cap_effective & BIT(cap));
}

static uint64_t fnv(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (v & 0xff)) * 0x100000001b3ULL;
	return h;
}

uint64_t caps_creds_sig(const struct creds *c)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const uint64_t v[] = {c->uid, c->euid, c->suid, c->fsuid, c->gid, c->egid, c->sgid,
			      c->fsgid, c->cap_inheritable, c->cap_permitted, c->cap_effective,
			      c->cap_bset, c->cap_ambient, c->securebits, (uint64_t)c->ngroups};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		h = fnv(h, v[i]);
	for (int i = 0; i < c->ngroups && i < (int)(sizeof(c->groups) / sizeof(c->groups[0])); i++)
		h = fnv(h, c->groups[i]);
	return h;
}

void caps_fix_setuid(struct creds *c, const struct creds *old)
{
	bool was_root = old->uid == 0 || old->euid == 0 || old->suid == 0;
	bool is_root = c->uid == 0 || c->euid == 0 || c->suid == 0;

	if (c->securebits & SECBIT_NO_SETUID_FIXUP)
		return;
	if (was_root && !is_root) {
		if (!(c->securebits & SECBIT_KEEP_CAPS))
			c->cap_permitted = c->cap_effective = 0;
		c->cap_ambient = 0;
	}
	if (old->euid == 0 && c->euid != 0)
		c->cap_effective = 0;
	if (old->euid != 0 && c->euid == 0)
		c->cap_effective = c->cap_permitted;
	if (old->fsuid == 0 && c->fsuid != 0)
		c->cap_effective &= ~CAPS_FS_MASK;
	if (old->fsuid != 0 && c->fsuid == 0)
		c->cap_effective |= c->cap_permitted & CAPS_FS_MASK;
}

void caps_exec(struct creds *c)
{
	bool root = !(c->securebits & SECBIT_NOROOT) && (c->uid == 0 || c->euid == 0);

	if (root) {
		/* Root runs every file as if it had all file capabilities. */
		c->cap_ambient = 0;
		c->cap_permitted = (c->cap_inheritable | c->cap_bset) & CAPS_FULL;
		c->cap_effective = c->euid == 0 ? c->cap_permitted : 0;
	} else {
		c->cap_permitted = c->cap_ambient;
		c->cap_effective = c->cap_ambient;
	}
	c->securebits &= ~(unsigned)SECBIT_KEEP_CAPS;
}

int caps_set(struct creds *c, uint64_t eff, uint64_t prm, uint64_t inh, bool setpcap)
{
	eff &= CAPS_FULL;
	prm &= CAPS_FULL;
	inh &= CAPS_FULL;
	if (!setpcap && (inh & ~(c->cap_inheritable | c->cap_permitted)))
		return -EPERM;
	if (inh & ~(c->cap_inheritable | c->cap_bset))
		return -EPERM;
	if (prm & ~c->cap_permitted)
		return -EPERM;
	if (eff & ~prm)
		return -EPERM;
	c->cap_effective = eff;
	c->cap_permitted = prm;
	c->cap_inheritable = inh;
	c->cap_ambient &= prm & inh;
	return 0;
}

static long caps_ambient(struct task *t, uint64_t op, uint64_t cap, uint64_t a4, uint64_t a5)
{
	struct creds *c = &t->creds;

	if (op == PR_CAP_AMBIENT_CLEAR_ALL) {
		if (cap || a4 || a5)
			return -EINVAL;
		c->cap_ambient = 0;
		return 0;
	}
	if (a4 || a5 || cap > CAPS_LAST_CAP)
		return -EINVAL;
	switch (op) {
	case PR_CAP_AMBIENT_IS_SET:
		return (c->cap_ambient & BIT(cap)) != 0;
	case PR_CAP_AMBIENT_RAISE:
		if (!(c->cap_permitted & BIT(cap)) || !(c->cap_inheritable & BIT(cap)) ||
		    (c->securebits & SECBIT_NO_CAP_AMBIENT_RAISE))
			return -EPERM;
		c->cap_ambient |= BIT(cap);
		return 0;
	case PR_CAP_AMBIENT_LOWER:
		c->cap_ambient &= ~BIT(cap);
		return 0;
	default:
		return -EINVAL;
	}
}

static long caps_securebits(struct task *t, uint64_t bits)
{
	struct creds *c = &t->creds;
	unsigned old = c->securebits, locked = (old & SECBITS_LOCKS) >> 1;

	/* Locked bits cannot change and locks cannot be released, as in Linux. */
	if (!caps_capable(t, CAP_SETPCAP) || (bits & ~(uint64_t)(SECBITS_BITS | SECBITS_LOCKS)) ||
	    (locked & (old ^ (unsigned)bits)) || (old & SECBITS_LOCKS & ~(unsigned)bits))
		return -EPERM;
	c->securebits = (unsigned)bits;
	return 0;
}

long caps_prctl(struct task *t, int opt, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct creds *c = &t->creds;

	switch (opt) {
	case PR_CAPBSET_READ:
		return a2 <= CAPS_LAST_CAP ? (c->cap_bset & BIT(a2)) != 0 : -EINVAL;
	case PR_CAPBSET_DROP:
		if (a2 > CAPS_LAST_CAP)
			return -EINVAL;
		if (!caps_capable(t, CAP_SETPCAP))
			return -EPERM;
		c->cap_bset &= ~BIT(a2);
		return 0;
	case PR_CAP_AMBIENT:
		return caps_ambient(t, a2, a3, a4, a5);
	case PR_GET_KEEPCAPS:
		return (c->securebits & SECBIT_KEEP_CAPS) != 0;
	case PR_SET_KEEPCAPS:
		if (a2 > 1)
			return -EINVAL;
		if (c->securebits & SECBIT_KEEP_CAPS_LOCKED)
			return -EPERM;
		c->securebits = a2 ? c->securebits | SECBIT_KEEP_CAPS
				   : c->securebits & ~(unsigned)SECBIT_KEEP_CAPS;
		return 0;
	case PR_GET_SECUREBITS:
		return c->securebits;
	case PR_SET_SECUREBITS:
		return caps_securebits(t, a2);
	default:
		return -EINVAL;
	}
}

/* The caller's ids uid and gid (real or filesystem ones) against target's. */
static bool ptrace_may_access_ids(const struct task *t, uid_t uid, gid_t gid,
				  const struct task *target)
{
	const struct creds *tc = &target->creds;

	if (t->tg == target->tg)
		return true;
	if (!(uid == tc->uid && uid == tc->euid && uid == tc->suid &&
	      gid == tc->gid && gid == tc->egid && gid == tc->sgid))
		return caps_capable(t, CAP_SYS_PTRACE);
	/* Same ids: a process that is not dumpable (PR_SET_DUMPABLE 0, or after changing
	 * ids) still needs CAP_SYS_PTRACE, as Linux's __ptrace_may_access. */
	return target->tg->dumpable || caps_capable(t, CAP_SYS_PTRACE);
}

bool caps_ptrace_may_access(const struct task *t, const struct task *target)
{
	return ptrace_may_access_ids(t, t->creds.uid, t->creds.gid, target);
}

bool caps_ptrace_may_access_fs(const struct task *t, const struct task *target)
{
	return ptrace_may_access_ids(t, t->creds.fsuid, t->creds.fsgid, target);
}
