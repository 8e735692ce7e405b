/* vdso_blob.S: the vDSO image (built by sentry/vdso/CMakeLists.txt) embedded in the
 * Sentry, page aligned so it can be copied to memory-file pages as is. */
	.section .rodata
	.balign 4096
	.globl vdso_image_start
	.globl vdso_image_end
vdso_image_start:
	.incbin VDSO_SO_PATH
vdso_image_end:
	.section .note.GNU-stack,"",@progbits
