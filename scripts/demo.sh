#!/usr/bin/env bash
# demo.sh: build runsc and run a busybox shell pipeline in a sandbox (the main job).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
set -x
build/runsc/runsc do /bin/busybox sh -c 'echo hello from the sandbox; uname -s; f=/tmp/runsc-demo.$$; echo a > $f; cat $f; ls /usr | head -3'
