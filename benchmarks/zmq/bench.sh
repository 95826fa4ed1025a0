#!/bin/bash
# Benchmark of the ZeroMQ server on loopback: K clients hosted in pools (echo mode: trivial local
# work), ResNet-20-GN of width 32 on Fashion-MNIST (1.08 M parameters, 4.3 MB of float32), FedAvg with
# every client every round. Prints one JSON line per K with round time, updates/s, bytes per update
# and the server's peak resident memory. Usage: [MAX_IN_FLIGHT=N] benchmarks/zmq/bench.sh [K ...] (default 100 1000).
set -euo pipefail
cd "$(dirname "$0")/../.."
FOEDUS=${FOEDUS:-.build/release/foedus}
ROUNDS=${ROUNDS:-6}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
for K in "${@:-100 1000}"; do
  for k in $K; do
    cat > "$work/bench.yaml" <<YAML
name: zmq-bench-$k
seed: 1
data: {dataset: fashion-mnist, partition: {kind: iid, K: $k, Ns: 0}}
model: {name: resnet20-gn, width: 32}
federation: {method: fedavg, objective: supervised, rounds: $ROUNDS, clients_per_round: $k, local_steps: 1}
training: {batch_size: 16}
evaluation: {every: 1000000, test_limit: 100}
run: {workers: 2, checkpoint_every: 1000000}
YAML
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    rm -f "$work/db.sqlite"*
    /usr/bin/time -v -o "$work/server.time" "$FOEDUS" server --config "$work/bench.yaml" --bind "tcp://127.0.0.1:$port" \
      --db "$work/db.sqlite" --run-id bench --deadline 600 --registration-timeout 600 --max-in-flight "${MAX_IN_FLIGHT:-0}" \
      --json --quiet > "$work/server.json" &
    server=$!
    pools=$(( (k + 249) / 250 ))
    per=$(( (k + pools - 1) / pools ))
    for ((p = 0; p < pools; p++)); do
      first=$(( p * per )); n=$(( k - first < per ? k - first : per ))
      "$FOEDUS" pool --connect "tcp://127.0.0.1:$port" --clients $n --first-user $first --echo --quiet --give-up-after 600 > /dev/null &
    done
    wait $server
    "$FOEDUS" runs show bench --db "$work/db.sqlite" --json > "$work/run.json"
    python3 - "$k" "$work" <<'PY'
import json, sys, re, statistics
k, work = int(sys.argv[1]), sys.argv[2]
server = json.load(open(f"{work}/server.json"))
run = json.load(open(f"{work}/run.json"))
rounds = [r["seconds"] for r in run["rounds"]]
steady = rounds[1:]  # round 1 includes the clients' registration and data loading
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{work}/server.time").read()).group(1))
median = statistics.median(steady)
import os
print(json.dumps({"clients": k, "max_in_flight": int(os.environ.get("MAX_IN_FLIGHT", "0")), "parameters": server["model_parameters"], "rounds": len(rounds), "round_seconds_median": round(median, 3),
                  "round_seconds": [round(r, 3) for r in rounds], "updates_per_second": round(k / median, 1),
                  "ms_per_update": round(1000 * median / k, 2),
                  "bytes_per_update_up": server["bytes_in"] // server["updates"],
                  "bytes_per_update_down": server["bytes_out"] // server["updates"],
                  "server_peak_rss_mb": round(rss / 1024, 1)}))
PY
  done
done
