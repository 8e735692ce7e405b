/* vdso.c: the vDSO image and [vvar] page as memory-file objects shared by every address
 * space (each maps them privately: copied on write, never changed for others), and
 * their mapping at exec. */
#include "sentry/vdso/vdso.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "sentry/mm/mm.h"

static struct shm_obj *g_vdso_obj, *g_vvar_obj;
static uint64_t g_vdso_size;

/* Build the objects once: the image copied into memory-file pages, a zeroed [vvar]. */
static int vdso_init(void)
{
	size_t size = (size_t)(vdso_image_end - vdso_image_start);
	struct shm_obj *img, *vv;
	int64_t off;

	img = shm_obj_new(ALIGN_UP(size, PAGE_SIZE));
	for (size_t done = 0; done < size; done += PAGE_SIZE) {
		off = shm_obj_page(img, done);
		if (off < 0)
			goto fail;
		memcpy(memfile_ptr((uint64_t)off), vdso_image_start + done,
		       MIN((size_t)PAGE_SIZE, size - done));
	}
	vv = shm_obj_new(PAGE_SIZE);
	off = shm_obj_page(vv, 0);
	if (off < 0) {
		shm_obj_put(vv);
		goto fail;
	}
	if (vdso_clock_start(memfile_ptr((uint64_t)off)))
		log_warn("vdso: no time parameters; clock_gettime will trap");
	g_vdso_obj = img;
	g_vvar_obj = vv;
	g_vdso_size = ALIGN_UP(size, PAGE_SIZE);
	return 0;
fail:
	shm_obj_put(img);
	return (int)off;
}

int vdso_map(struct mm *mm)
{
	int64_t base;
	int err;

	if (!g_vdso_obj) {
		err = vdso_init();
		if (err)
			return err;
	}
	/* [vvar] directly below [vdso]: the image reaches it at a fixed -4096 offset. */
	base = mm_map_special(mm, 0, PAGE_SIZE + g_vdso_size, PROT_READ, g_vvar_obj,
			      VMA_NOWRITE, "[vvar]");
	if (base < 0)
		return (int)base;
	base = mm_map_special(mm, (uint64_t)base + PAGE_SIZE, g_vdso_size, PROT_READ | PROT_EXEC,
			      g_vdso_obj, 0, "[vdso]");
	if (base < 0)
		return (int)base;
	mm->vdso_base = (uint64_t)base;
	return 0;
}
