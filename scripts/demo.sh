#!/usr/bin/env bash
# The main job: installs what is missing, builds Foedus in release mode, runs a short SSFL
# simulation on Fashion-MNIST (simulations/quick.yaml: 10 users with unlabeled non-iid data, 1000
# labeled images at the server, consistency loss, GroupNorm CNN, grouping-based averaging) and
# writes its HTML report. Extra arguments go to `foedus simulate` (e.g. --set federation.rounds=40).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
swift build -c release --product foedus >&2
mkdir -p runs
run_id="quick-$(date -u +%Y%m%dT%H%M%SZ)"
.build/release/foedus simulate simulations/quick.yaml --db runs/foedus.sqlite --run-id "$run_id" \
    --out "runs/$run_id.safetensors" "$@"
.build/release/foedus report "$run_id" --db runs/foedus.sqlite --title "Foedus quick SSFL run" --out "runs/$run_id.html"
echo "report: runs/$run_id.html  (foedus runs show $run_id --db runs/foedus.sqlite)" >&2
