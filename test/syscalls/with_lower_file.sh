#!/bin/sh
# Run a *_lower_test with a fresh host directory named by $H_LOWER_DIR holding files 0..7:
# inside `runsc do` the host's /tmp is the overlay's lower layer, served by the Gofer, so
# the test reaches gofer-backed files (its writes copy them up into the sandbox; the host
# files never change). Natively they are ordinary host files. Each file holds 4 pages,
# page N filled with 'a'+N, the last page 100 bytes short (size 16284).
# usage: with_lower_file.sh CMD [ARGS...]
set -u
d=$(mktemp -d /tmp/runsc-lower-XXXXXX) || exit 2
trap 'rm -rf "$d"' EXIT
chmod 755 "$d"
for c in a b c d; do head -c 4096 /dev/zero | tr '\0' "$c"; done | head -c 16284 >"$d/0"
for i in 1 2 3 4 5 6 7; do cp "$d/0" "$d/$i"; done
chmod 644 "$d"/*
H_LOWER_DIR=$d "$@"
