#!/usr/bin/env bash
# test.sh: build runsc (warnings are errors) and run every test: cmocka unit tests, the
# syscall suite natively and in the sandbox, and the integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh -DRUNSC_WERROR=ON
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 300
