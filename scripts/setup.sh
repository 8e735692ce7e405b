#!/usr/bin/env bash
# setup.sh: install the build dependencies (Debian 12, as root) and build runsc into build/.
# Usage: scripts/setup.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential cmake pkg-config libseccomp-dev libjansson-dev liburing-dev
      libcmocka-dev busybox-static python3 perl
      libfuse3-dev fuse3          # gofer_conc_test: a host file whose calls block
      qemu-system-x86 cpio kmod   # the kvm-svm tests (QEMU-emulated SVM)
      python3-venv sqlite3 git bsdutils procps gzip tar  # the real-program tests
      fio                 # programs_test.sh: native AIO through libaio
      podman containerd   # the real OCI clients of test/integration
      python3-grpcio)     # containerd_cri_test.py's CRI client
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$(nproc)"
