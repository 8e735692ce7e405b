/* stub_amd64.S: the systrap stub page: the control thread's loop, the start of application
 * threads, and the signal handler that hands traps to the Sentry through shared memory.
 * Position-independent code copied into one page at the region base B (systrap_abi.h);
 * the parameter block the Sentry fills sits at PARAMS_OFF in the same page. */
#include <asm/unistd_64.h>
#include "platform/systrap/systrap_abi.h"

#define PARAM(x) (systrap_stub_begin + SYSTRAP_PARAMS_OFF + (x))(%rip)
#define MAP_SHARED_FIXED 0x11
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define SIG_SETMASK 2
#define SECCOMP_SET_MODE_FILTER 1

	.section .rodata.systrap_stub, "a"
	.globl systrap_stub_begin, systrap_stub_init, systrap_stub_handler
	.globl systrap_stub_restorer, systrap_stub_code_end, systrap_stub_end
	/* Syscall instructions the escape test jumps to with crafted registers. */
	.globl systrap_stub_map_syscall, systrap_stub_clone_syscall
	.globl systrap_stub_reply_syscall, systrap_stub_wake_syscall

	.p2align 12
systrap_stub_begin:

/* Entry of a new stub (its only thread, which becomes the control thread), jumped to
 * from C with rdi = B and no stack in use. Keeps only the code page, maps the region
 * memfd (SYSTRAP_FD_MSG) behind it, installs the stub-wide filter and serves requests.
 * Exit codes name the failed step. */
systrap_stub_init:
	movq	%rdi, %r12
	movl	$__NR_munmap, %eax		/* munmap(0, B) */
	xorl	%edi, %edi
	movq	%r12, %rsi
	syscall
	movl	$10, %ebx
	testq	%rax, %rax
	jnz	init_fail
	leaq	SYSTRAP_PAGE(%r12), %rdi	/* munmap(B + page, user end - that) */
	movabsq	$SYSTRAP_USER_END, %rsi
	subq	%rdi, %rsi
	movl	$__NR_munmap, %eax
	syscall
	movl	$11, %ebx
	testq	%rax, %rax
	jnz	init_fail
	leaq	SYSTRAP_REQ_OFF(%r12), %rdi	/* the request page, read-only */
	movl	$SYSTRAP_PAGE, %esi
	movl	$1, %edx			/* PROT_READ */
	movl	$MAP_SHARED_FIXED, %r10d
	movl	$SYSTRAP_FD_MSG, %r8d
	xorl	%r9d, %r9d
	movl	$__NR_mmap, %eax
	syscall
	movl	$12, %ebx
	cmpq	%rdi, %rax
	jne	init_fail
	leaq	SYSTRAP_CTL_OFF(%r12), %rdi	/* the rest, read-write */
	movl	$(SYSTRAP_REGION_SIZE - SYSTRAP_CTL_OFF), %esi
	movl	$3, %edx			/* PROT_READ|PROT_WRITE */
	movl	$MAP_SHARED_FIXED, %r10d
	movl	$SYSTRAP_FD_MSG, %r8d
	movl	$(SYSTRAP_CTL_OFF - SYSTRAP_REQ_OFF), %r9d
	movl	$__NR_mmap, %eax
	syscall
	movl	$13, %ebx
	cmpq	%rdi, %rax
	jne	init_fail
	movl	$__NR_close, %eax
	movl	$SYSTRAP_FD_MSG, %edi
	syscall
	movl	$__NR_seccomp, %eax
	movl	$SECCOMP_SET_MODE_FILTER, %edi
	xorl	%esi, %esi
	leaq	PARAM(P_FPROG_A), %rdx
	syscall
	movl	$14, %ebx
	testq	%rax, %rax
	jnz	init_fail
	leaq	SYSTRAP_CTL_STACK_TOP(%r12), %rsp

/* The control thread: wait for a doorbell, run the ops of the request page, answer with
 * a datagram whose length is 1 + errno (0 = all done). Its registers are the only state
 * the application cannot touch, so the answer is built from them alone. */
ctl_loop:
	xorl	%eax, %eax			/* read(SOCK, ctl scratch, 64) */
	movl	$SYSTRAP_FD_SOCK, %edi
	leaq	SYSTRAP_CTL_OFF(%r12), %rsi
	movl	$64, %edx
	syscall
	testq	%rax, %rax
	jle	ctl_exit			/* the Sentry closed its end */
	leaq	SYSTRAP_REQ_OFF(%r12), %rbx
	movl	REQ_CPU(%rbx), %eax
	testl	%eax, %eax
	js	1f
	movl	$__NR_sched_setaffinity, %eax	/* pin self: sched_setaffinity(0, 8, mask) */
	xorl	%edi, %edi
	movl	$8, %esi
	leaq	REQ_CPUMASK(%rbx), %rdx
	syscall
1:	movl	REQ_NOPS(%rbx), %r13d
	cmpl	$REQ_MAX_OPS, %r13d
	jbe	2f
	movl	$REQ_MAX_OPS, %r13d
2:	leaq	REQ_OPS(%rbx), %r14
	xorl	%r15d, %r15d			/* first error */
op_loop:
	testl	%r13d, %r13d
	jz	reply
	movl	OP_KIND(%r14), %eax
	cmpl	$OPK_MAP, %eax
	je	op_map
	cmpl	$OPK_UNMAP, %eax
	je	op_unmap
	cmpl	$OPK_PROTECT, %eax
	je	op_protect
	cmpl	$OPK_CLONE, %eax
	je	op_clone
	movq	$-22, %r15			/* -EINVAL */
	jmp	reply
op_map:
	movq	OP_ADDR(%r14), %rdi
	movq	OP_LEN(%r14), %rsi
	movl	OP_PROT(%r14), %edx
	movl	$MAP_SHARED_FIXED, %r10d
	movl	$SYSTRAP_FD_MEM, %r8d
	movq	OP_OFF(%r14), %r9
	movl	$__NR_mmap, %eax
systrap_stub_map_syscall:
	syscall
	cmpq	%rdi, %rax
	je	op_next
	movq	%rax, %r15
	testq	%rax, %rax
	js	op_next
	movq	$-5, %r15			/* -EIO: mapped elsewhere */
	jmp	op_next
op_unmap:
	movq	OP_ADDR(%r14), %rdi
	movq	OP_LEN(%r14), %rsi
	movl	$__NR_munmap, %eax
	syscall
	movq	%rax, %r15
	jmp	op_next
op_protect:
	movq	OP_ADDR(%r14), %rdi
	movq	OP_LEN(%r14), %rsi
	movl	OP_PROT(%r14), %edx
	movl	$__NR_mprotect, %eax
	syscall
	movq	%rax, %r15
	jmp	op_next
op_clone:
	movq	OP_ADDR(%r14), %rbp		/* the slot: the child finds it here */
	movl	$SYSTRAP_CLONE_FLAGS, %edi
	movq	OP_OFF(%r14), %rsi		/* the child's stack top */
	xorl	%edx, %edx
	xorl	%r10d, %r10d
	xorl	%r8d, %r8d
	movl	$__NR_clone, %eax
systrap_stub_clone_syscall:
	syscall
	testq	%rax, %rax
	jz	thread_start
	js	1f
	movl	%eax, M_TID(%rbp)
	xorl	%eax, %eax
1:	movq	%rax, %r15
op_next:
	addq	$OP_SIZE, %r14
	decl	%r13d
	testq	%r15, %r15
	jz	op_loop
reply:
	movq	%r15, %rdx			/* write(SOCK, code page, 1 + errno) */
	negq	%rdx
	cmpq	$4095, %rdx
	jbe	1f
	movl	$4095, %edx
1:	incq	%rdx
	movl	$__NR_write, %eax
	movl	$SYSTRAP_FD_SOCK, %edi
	movq	%r12, %rsi
systrap_stub_reply_syscall:
	syscall
	testq	%rax, %rax
	js	ctl_exit
	jmp	ctl_loop
ctl_exit:
	xorl	%ebx, %ebx
init_fail:
	movl	%ebx, %edi
	movl	$__NR_exit_group, %eax
	syscall
	hlt

/* A new application thread (clone child): rbp = its slot, rsp = the slot's top. Takes the
 * application signal mask, moves signals onto the slot's alternate stack, adds the
 * application-thread filter, then traps: the Sentry finds it waiting in the handler. */
thread_start:
	movl	$__NR_rt_sigprocmask, %eax
	movl	$SIG_SETMASK, %edi
	leaq	PARAM(P_APPMASK), %rsi
	xorl	%edx, %edx
	movl	$8, %r10d
	syscall
	testq	%rax, %rax
	jnz	thread_fail
	subq	$32, %rsp			/* stack_t { sp, flags, size } */
	leaq	M_SIZE(%rbp), %rax
	movq	%rax, (%rsp)
	movq	$0, 8(%rsp)
	movq	$(SYSTRAP_SLOT_SIZE - M_SIZE), 16(%rsp)
	movl	$__NR_sigaltstack, %eax
	movq	%rsp, %rdi
	xorl	%esi, %esi
	syscall
	testq	%rax, %rax
	jnz	thread_fail
	movl	$__NR_seccomp, %eax
	movl	$SECCOMP_SET_MODE_FILTER, %edi
	xorl	%esi, %esi
	leaq	PARAM(P_FPROG_B), %rdx
	syscall
	testq	%rax, %rax
	jnz	thread_fail
	int3
thread_fail:
	hlt					/* SIGSEGV with signals blocked: stub dies */

/* Signal handler for traps, faults and the interrupt signal: rdi = signo, rsi = siginfo,
 * rdx = ucontext, rsp on this thread's alternate stack, every signal blocked. Publishes
 * the trap in the slot's message block, waits for ST_RESUME (spinning M_SPIN times unless
 * its Sentry thread last ran on this same CPU, then on the futex; woken with M_WAKE_SPIN
 * set, it spins that many times again before it sleeps again, unless it woke on the
 * waker's CPU), applies CPU and fs/gs base requests and returns through the restorer,
 * which rt_sigreturns into the context the Sentry wrote. No stack use but the return
 * address; no FPU use (the application's FPU state is in the frame). */
systrap_stub_handler:
	movq	PARAM(P_REGION), %r8
	addq	$SYSTRAP_SLOTS_OFF, %r8
	movq	%rsp, %r9
	subq	%r8, %r9
	jb	bad_stack
	cmpq	$(SYSTRAP_NSLOTS * SYSTRAP_SLOT_SIZE), %r9
	jae	bad_stack
	andq	$~(SYSTRAP_SLOT_SIZE - 1), %r9
	addq	%r9, %r8			/* r8 = this thread's slot */
	movl	%edi, M_SIGNO(%r8)
	movl	8(%rsi), %eax
	movl	%eax, M_CODE(%r8)
	movq	16(%rsi), %rax
	movq	%rax, M_INFO(%r8)
	movq	24(%rsi), %rax
	movq	%rax, M_INFO+8(%r8)
	movq	%rdx, %rax
	subq	%r8, %rax
	movq	%rax, M_UCTX(%r8)
	cmpl	$0, PARAM(P_FSGSBASE)
	je	1f
	rdfsbase %rax
	movq	%rax, M_FS_BASE(%r8)
	rdgsbase %rax
	movq	%rax, M_GS_BASE(%r8)
1:	cmpl	$0, PARAM(P_RDPID)
	je	1f
	rdpid	%rax
	andl	$0xfff, %eax
	movl	%eax, M_STUB_CPU(%r8)
1:	movl	$ST_TRAP, %eax
	xchgl	%eax, M_STATE(%r8)
	cmpl	$0, M_SENTRY_WAIT(%r8)
	je	2f
	leaq	M_STATE(%r8), %rdi		/* futex(&state, WAKE, 1) */
	movl	$FUTEX_WAKE, %esi
	movl	$1, %edx
	movl	$__NR_futex, %eax
systrap_stub_wake_syscall:
	syscall
2:	movl	M_SPIN(%r8), %ecx
	testl	%ecx, %ecx
	jz	3f
	cmpl	$0, PARAM(P_RDPID)		/* the Sentry thread last ran on our CPU: */
	je	3f				/* awake, it runs only once we stop; woken */
	movl	M_STUB_CPU(%r8), %eax		/* by our trap, it is mostly put here too */
	cmpl	M_SENTRY_CPU(%r8), %eax
	jne	3f
	xorl	%ecx, %ecx
3:	cmpl	$ST_RESUME, M_STATE(%r8)
	je	resumed
	testl	%ecx, %ecx
	jz	sleep
	pause
	decl	%ecx
	jmp	3b
sleep:
	movl	$1, %eax
	xchgl	%eax, M_STUB_WAIT(%r8)
4:	cmpl	$ST_RESUME, M_STATE(%r8)
	je	resumed
	xorl	%ecx, %ecx			/* asked to spin again (M_WAKE_SPIN)? */
	xchgl	%ecx, M_WAKE_SPIN(%r8)
	testl	%ecx, %ecx
	jz	9f
	cmpl	$0, PARAM(P_RDPID)		/* not on the waker's CPU: the threads */
	je	5f				/* we wait for need it first */
	rdpid	%rax
	andl	$0xfff, %eax
	cmpl	M_HINT_CPU(%r8), %eax
	je	9f
5:	movl	$0, M_STUB_WAIT(%r8)
	jmp	3b
9:	leaq	M_STATE(%r8), %rdi		/* futex(&state, WAIT, ST_TRAP, NULL) */
	xorl	%esi, %esi
	movl	$ST_TRAP, %edx
	xorl	%r10d, %r10d
	movl	$__NR_futex, %eax
	syscall
	jmp	4b
resumed:
	movl	$0, M_STUB_WAIT(%r8)
	movl	M_WANT_CPU(%r8), %eax
	testl	%eax, %eax
	js	5f
	cmpl	M_CUR_CPU(%r8), %eax
	je	5f
	movl	%eax, M_CUR_CPU(%r8)
	movl	$__NR_sched_setaffinity, %eax	/* sched_setaffinity(0, 8, mask) */
	xorl	%edi, %edi
	movl	$8, %esi
	leaq	M_CPUMASK(%r8), %rdx
	syscall
5:	cmpl	$0, PARAM(P_FSGSBASE)
	je	6f
	movq	M_FS_BASE(%r8), %rax
	wrfsbase %rax
	movq	M_GS_BASE(%r8), %rax
	wrgsbase %rax
	jmp	8f
6:	movq	M_FS_BASE(%r8), %rsi
	cmpq	M_FS_SET(%r8), %rsi
	je	7f
	movq	%rsi, M_FS_SET(%r8)
	movl	$ARCH_SET_FS, %edi
	movl	$__NR_arch_prctl, %eax
	syscall
7:	movq	M_GS_BASE(%r8), %rsi
	cmpq	M_GS_SET(%r8), %rsi
	je	8f
	movq	%rsi, M_GS_SET(%r8)
	movl	$ARCH_SET_GS, %edi
	movl	$__NR_arch_prctl, %eax
	syscall
8:	movl	$ST_APP, M_STATE(%r8)
	ret					/* to the restorer the kernel pushed */
bad_stack:
	hlt					/* not on a slot: kill the stub */

systrap_stub_restorer:
	movl	$__NR_rt_sigreturn, %eax
	syscall
	hlt
systrap_stub_code_end:
	.skip	SYSTRAP_PARAMS_OFF - (systrap_stub_code_end - systrap_stub_begin)
systrap_stub_params:
	.skip	SYSTRAP_PAGE - SYSTRAP_PARAMS_OFF
systrap_stub_end:

	.section .note.GNU-stack, "", @progbits
