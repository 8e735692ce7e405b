#!/usr/bin/env bash
# run.sh: check the KVM platform on hardware-style KVM (AMD SVM) without such hardware:
# boot a Debian cloud kernel under QEMU TCG with an emulated SVM CPU, load kvm-amd, and
# run kvm_hw_check inside. Needs the Debian mirror (qemu-system-x86, the kernel .deb).
# usage: run.sh BUILD_DIR   (a configured build with runsc_platform built)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v qemu-system-x86_64 >/dev/null || apt-get install -y -qq qemu-system-x86 cpio kmod
flavour=$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/.*Depends: linux-image-//p' | head -1)
(cd "$work" && apt-get download "linux-image-$flavour" >/dev/null 2>&1)
dpkg -x "$work"/linux-image-*.deb "$work/k"

cmake --build "$build" --target runsc_platform >/dev/null
gcc -std=gnu11 -D_GNU_SOURCE -O1 -I"$top" "$here/kvm_hw_check.c" \
	"$build/platform/librunsc_platform.a" $(find "$build/lib" -name '*.a') \
	-static -lseccomp -lpthread -o "$work/kvm_hw_check"

ir=$work/ir
mkdir -p "$ir/bin" "$ir/proc" "$ir/sys" "$ir/dev" "$ir/tmp" "$ir/mod"
cp /bin/busybox "$work/kvm_hw_check" "$ir/bin/"
for m in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-amd; do
	cp "$work/k/lib/modules/$flavour/kernel/$m.ko" "$ir/mod/"
done
cat > "$ir/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
insmod /mod/irqbypass.ko; insmod /mod/kvm.ko; insmod /mod/kvm-amd.ko
/bin/kvm_hw_check
poweroff -f
INIT
chmod +x "$ir/init"
(cd "$ir" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$work/initrd.gz")
timeout 300 qemu-system-x86_64 -accel tcg -cpu EPYC,+svm,phys-bits=48 -smp 2 -m 1024 \
	-nographic -no-reboot -kernel "$work/k/boot/vmlinuz-$flavour" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet" > "$work/serial.log" 2>&1 || true
grep -E "hardware=|round trip|FAIL|KVMHW" "$work/serial.log"
grep -q "KVMHW PASS" "$work/serial.log"
