#!/usr/bin/env bash
# Runs the whole test suite after installing what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
swift build --build-tests >&2
swift test --skip-build "$@"
