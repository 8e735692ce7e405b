/* bpf.h: classic BPF as seccomp uses it: a checker that accepts exactly the programs Linux's
 * seccomp accepts, and an interpreter over a seccomp_data. Pure code (no tasks, no
 * locks): the checker is the wall against untrusted programs and is fuzzed. */
#ifndef RUNSC_SENTRY_KERNEL_BPF_H
#define RUNSC_SENTRY_KERNEL_BPF_H

#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

#define BPF_SECCOMP_DATA_SIZE 64 /* sizeof(struct seccomp_data) */

/* Check prog[len] as seccomp(2) does: 1..BPF_MAXINSNS instructions, only the opcodes
 * seccomp allows, loads of 32-bit words inside the seccomp_data, scratch cells stored
 * before they are loaded on every path, jumps forward and inside the program, no division
 * or shift by an out-of-range constant, a return as the last instruction. Returns 0 or
 * -EINVAL. */
int bpf_check_seccomp(const struct sock_filter *prog, size_t len);

/* Run a program bpf_check_seccomp accepted on data (BPF_SECCOMP_DATA_SIZE bytes). Every
 * run ends within len steps. Division by a zero X returns 0, as Linux's converted
 * programs do. Returns the program's return value. */
uint32_t bpf_run(const struct sock_filter *prog, size_t len, const void *data);

#endif
