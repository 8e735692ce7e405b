/* stub_amd64.S: the ptrace stub page: position-independent code copied into one page
 * that the Sentry maps above the application limit and every stub process keeps. */
#include <asm/unistd_64.h>

	.section .rodata.ptrace_stub, "a"
	.globl ptrace_stub_begin, ptrace_stub_init, ptrace_stub_syscall, ptrace_stub_clone_entry
	.globl ptrace_stub_clone_trap, ptrace_stub_end

	/* The code is data to the Sentry: it only runs in the copy inside a stub. */
	.p2align 6
ptrace_stub_begin:

/* Entry of a freshly forked stub, with no stack use: the C stack disappears with the
 * first munmap. In: rdi = this page's address, rsi = its size, rdx = end of user space.
 * Unmaps everything but this page, then stops with int3 for the tracer. */
ptrace_stub_init:
	movq	%rdi, %r12
	leaq	(%rdi,%rsi), %r13	/* first address after the page */
	movq	%rdx, %r14
	xorl	%edi, %edi		/* munmap(0, page) */
	movq	%r12, %rsi
	testq	%rsi, %rsi
	jz	1f
	movl	$__NR_munmap, %eax
	syscall
	testq	%rax, %rax
	jnz	3f
1:	movq	%r13, %rdi		/* munmap(page end, user end - page end) */
	movq	%r14, %rsi
	subq	%r13, %rsi
	jbe	2f
	movl	$__NR_munmap, %eax
	syscall
	testq	%rax, %rax
	jnz	3f
2:	int3				/* initial stop: the tracer takes over */
	ud2
3:	movl	%eax, %edi		/* exit_group(-errno of the failed munmap) */
	negl	%edi
	movl	$__NR_exit_group, %eax
	syscall
	ud2

/* Injection: the tracer sets rax/args and rip here, continues, and waits for the trap. */
ptrace_stub_syscall:
	syscall
	int3
	ud2

/* Adding a thread: the tracer injects clone(PTRACE_CLONE_FLAGS, 0, ...) here. The caller
 * traps at the int3 with the child's tid (or -errno) in rax; the child, untraced and
 * without a stack, waits in pause() until a Sentry thread seizes it. */
ptrace_stub_clone_entry:
	syscall
	testq	%rax, %rax
	jz	1f
	int3
ptrace_stub_clone_trap:
	ud2
1:	movl	$__NR_pause, %eax
	syscall
	jmp	1b
ptrace_stub_end:

	.section .note.GNU-stack, "", @progbits
