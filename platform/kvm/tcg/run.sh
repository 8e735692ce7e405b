#!/usr/bin/env bash
# run.sh: check the KVM platform on hardware-style KVM (AMD SVM) without such hardware:
# boot a Debian cloud kernel under QEMU TCG with an emulated SVM CPU, load kvm-amd, and
# run the static check programs inside. CTest runs it as kvm-svm/platform (label kvm-svm).
#
# usage: run.sh BUILD_DIR [PROGRAM ARGS...]
#   Builds kvm_hw_check from the platform sources, puts it (and PROGRAM, a static binary,
#   when given) in the initramfs, and runs kvm_hw_check, then PROGRAM ARGS.
#
# Environment: KVM_TCG_FILES="PATH..." more files for /bin; KVM_TCG_ONLY=1 runs PROGRAM
# without kvm_hw_check; KVM_TCG_TIMEOUT seconds for the guest (240); KVM_TCG_MEM MiB (512);
# KVM_TCG_LOG=FILE keeps the whole serial log. tsc=reliable: under TCG the kernel's
# watchdog may call the TSC unstable, and then the vDSO makes real syscalls;
# tsc_early_khz: the host's TSC rate (tsc_khz.c), the guest's own calibration may be off.
#
# The kernel .deb comes from the Debian mirror through `apt-get download` and is cached in
# BUILD_DIR/kvm-tcg. Needs qemu-system-x86, cpio, kmod, busybox-static (scripts/setup.sh).
# Exits non-zero, with the serial log, unless the guest printed "KVMHW PASS" (and
# "PROGRAM PASS" for PROGRAM): nothing missing is ever taken as a pass.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR [PROGRAM ARGS...]}" && pwd)
shift
cache=$build/kvm-tcg
work=$(mktemp -d)
chmod 755 "$work" # apt-get download runs as _apt
trap 'rm -rf "$work"' EXIT

die() { echo "kvm-svm: FAIL: $*" >&2; exit 1; }
for t in qemu-system-x86_64 cpio depmod busybox gcc; do
	command -v "$t" >/dev/null || die "$t is missing (scripts/setup.sh installs it)"
done

# The kernel: the version linux-image-cloud-amd64 points at, downloaded once.
mkdir -p "$cache"
flavour=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	sed -n 's/.*Depends: linux-image-//p' | head -1 || true)
if [ -z "$flavour" ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	flavour=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-image-//p' | head -1 || true)
fi
if [ -z "$flavour" ]; then # offline: any kernel cached earlier
	flavour=$(ls "$cache" 2>/dev/null | sed -n 's/^k-//p' | tail -1)
fi
[ -n "$flavour" ] || die "cannot find linux-image-cloud-amd64 (apt lists, Debian mirror)"
kdir=$cache/k-$flavour
if [ ! -f "$kdir/boot/vmlinuz-$flavour" ]; then
	(cd "$work" && apt-get download "linux-image-$flavour" >/dev/null) ||
		die "apt-get download linux-image-$flavour failed"
	rm -rf "$kdir.tmp" && dpkg -x "$work"/linux-image-*.deb "$kdir.tmp" && mv "$kdir.tmp" "$kdir"
fi

# The check program, from the platform's sources (independent of the build's flags).
mapfile -t srcs < <(cd "$top" && ls platform/*.c platform/stub/*.c platform/ptrace/*.[cS] \
	platform/systrap/*.[cS] platform/kvm/*.c lib/*.c | grep -v '_test\.c$')
(cd "$top" && gcc -std=gnu11 -D_GNU_SOURCE -O1 -I"$top" "$here/kvm_hw_check.c" "${srcs[@]}" \
	-static -lseccomp -lpthread -o "$work/kvm_hw_check") || die "building kvm_hw_check"

ir=$work/ir
mkdir -p "$ir/bin" "$ir/proc" "$ir/sys" "$ir/dev" "$ir/tmp" "$ir/mod"
cp "$(command -v busybox)" "$work/kvm_hw_check" "$ir/bin/"
prog=
if [ $# -gt 0 ]; then
	prog=$(basename "$1")
	cp "$1" "$ir/bin/$prog"
	shift
fi
for extra in ${KVM_TCG_FILES:-}; do
	cp "$extra" "$ir/bin/" || die "cannot copy $extra"
done
only=${KVM_TCG_ONLY:-0}
[ -n "$prog" ] || only=0
for m in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-amd; do
	cp "$kdir/lib/modules/$flavour/kernel/$m.ko" "$ir/mod/" || die "no $m.ko in the kernel"
done
{
	echo '#!/bin/busybox sh'
	echo '/bin/busybox --install -s /bin'
	echo 'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev'
	echo 'insmod /mod/irqbypass.ko; insmod /mod/kvm.ko; insmod /mod/kvm-amd.ko'
	[ "$only" = 1 ] || echo '/bin/kvm_hw_check'
	[ -z "$prog" ] || echo "/bin/$prog $* && echo '$prog PASS' || echo '$prog FAIL'"
	echo 'poweroff -f'
} > "$ir/init"
chmod +x "$ir/init"
(cd "$ir" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$work/initrd.gz")

# tsc_early_khz: the guest's TSC is the host's; its own PIT calibration can be 10x off
# under load (tsc_khz.c), and its clock with it.
khz=$(gcc -O2 "$here/tsc_khz.c" -o "$work/tsc_khz" 2>/dev/null && "$work/tsc_khz" || true)
start=$(date +%s)
# no_timer_check: under a loaded host the guest's boot-time check of the IO-APIC timer
# can miss its ticks and panic ("IO-APIC + timer doesn't work"), a flaky kvm-svm run.
timeout ${KVM_TCG_TIMEOUT:-240} qemu-system-x86_64 -accel tcg -cpu EPYC,+svm,phys-bits=48 -smp 1 -m ${KVM_TCG_MEM:-512} \
	-nographic -no-reboot -kernel "$kdir/boot/vmlinuz-$flavour" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet tsc=reliable no_timer_check${khz:+ tsc_early_khz=$khz}" > "$work/serial.log" 2>&1 || true
tr -d '\r' < "$work/serial.log" |
	grep -aE '^(hardware=|getpid|avx|exits|kind|ring0|FAIL|KVMHW|E1|W1|  )|PASS|FAIL' |
	grep -av '^\[' || true
echo "kvm-svm: guest ran for $(( $(date +%s) - start )) s (kernel $flavour)"
[ -z "${KVM_TCG_LOG:-}" ] || tr -d '\r' < "$work/serial.log" > "$KVM_TCG_LOG"
ok=1
[ "$only" = 1 ] || grep -aq "KVMHW PASS" "$work/serial.log" || ok=0
if [ -n "$prog" ] && ! grep -aq "^$prog PASS" <(tr -d '\r' < "$work/serial.log"); then ok=0; fi
if [ $ok = 0 ]; then
	tr -d '\r' < "$work/serial.log" > "$cache/last-failed-serial.log" || true
	echo "---- serial log (last 60 lines; all of it in $cache/last-failed-serial.log) ----"
	tr -d '\r' < "$work/serial.log" | tail -60
	die "the guest did not print PASS"
fi
echo "kvm-svm: PASS"
