#!/usr/bin/env bash
# Runs the whole test suite after installing what is missing. Extra arguments go to `swift test`
# (e.g. --filter FoedusTensorTests).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
swift build --build-tests >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log" || status=$?
# One plain closing line with the XCTest totals, whatever the runner printed last.
summary=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1 || true)
if [ -n "$summary" ]; then
    total=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
    failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
        # The runner died (a trap or a signal) before printing its totals: say so, never "0 failed".
        echo "$((total - failed)) passed, 1 failed (the test process exited with status $status before finishing: see above)"
    else
        echo "$((total - failed)) passed, $failed failed"
    fi
elif [ "$status" -ne 0 ]; then
    echo "0 passed, 1 failed (the test process exited with status $status: see above)"
fi
exit $status
