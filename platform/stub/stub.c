/* stub.c: the `stub` platform: every entry fails with -ENOSYS; the contract on one screen. */
#include "platform/platform.h"

#include <errno.h>

static int stub_probe(const char **why)
{
	*why = "stub platform runs nothing";
	return -ENOSYS;
}

static int stub_create(int memfd, struct platform **out)
{
	return -ENOSYS;
}

static int stub_add_seccomp_rules(struct platform *p, void *scmp_ctx)
{
	return -ENOSYS;
}

static int stub_as_create(struct platform *p, struct plat_as **out)
{
	return -ENOSYS;
}

static void stub_as_release(struct plat_as *as)
{
}

static int stub_as_map(struct plat_as *as, uint64_t addr, uint64_t size, uint64_t file_off,
		       int prot)
{
	return -ENOSYS;
}

static int stub_as_unmap(struct plat_as *as, uint64_t addr, uint64_t size)
{
	return -ENOSYS;
}

static int stub_as_protect(struct plat_as *as, uint64_t addr, uint64_t size, int prot)
{
	return -ENOSYS;
}

static int stub_ctx_create(struct platform *p, struct plat_ctx **out)
{
	return -ENOSYS;
}

static void stub_ctx_release(struct plat_ctx *ctx)
{
}

static int stub_switch_to(struct plat_ctx *ctx, struct plat_as *as, plat_regs_t *regs,
			  struct plat_trap *trap)
{
	return -ENOSYS;
}

static void stub_interrupt(struct plat_ctx *ctx)
{
}

static int stub_get_fpu(struct plat_ctx *ctx, struct plat_fpu *fpu)
{
	return -ENOSYS;
}

static int stub_set_fpu(struct plat_ctx *ctx, const struct plat_fpu *fpu)
{
	return -ENOSYS;
}

static void stub_destroy(struct platform *p)
{
}

const struct platform_ops plat_stub_ops = {
	.name = "stub",
	.probe = stub_probe,
	.create = stub_create,
	.add_seccomp_rules = stub_add_seccomp_rules,
	.as_create = stub_as_create,
	.as_release = stub_as_release,
	.as_map = stub_as_map,
	.as_unmap = stub_as_unmap,
	.as_protect = stub_as_protect,
	.ctx_create = stub_ctx_create,
	.ctx_release = stub_ctx_release,
	.switch_to = stub_switch_to,
	.interrupt = stub_interrupt,
	.get_fpu = stub_get_fpu,
	.set_fpu = stub_set_fpu,
	.destroy = stub_destroy,
};
