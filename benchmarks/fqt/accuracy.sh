#!/usr/bin/env bash
# The FQT accuracy table: cnn-gn on Fashion-MNIST trained centrally with FP32, QAT-8 and FQT
# (PTQ / PSQ / BHQ input-gradient quantizers at 8, 6, 5 and 4 bits; weight gradients at 8 bits),
# same seed, same epochs, same schedule. Two runs at a time, one thread each.
#   bash benchmarks/fqt/accuracy.sh [EPOCHS] [OUT_DIR]      (env: SEED=1, BITS="8 6 5 4", LIMIT=)
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS=${1:-1}
OUT=${2:-benchmarks/fqt/runs}
SEED=${SEED:-1}
LIMIT=${LIMIT:-}
mkdir -p "$OUT"
swift build -c release --product foedus >&2
BIN=.build/release/foedus
jobs_list=("fp32" "qat")
BITS=${BITS:-8 6 5 4}
for q in ptq psq bhq; do for b in $BITS; do jobs_list+=("fqt $q $b"); done; done

run() {
    local spec=($1) name args
    case ${spec[0]} in
        fp32|qat) name=${spec[0]}; args=(--precision "${spec[0]}") ;;
        fqt) name="fqt-${spec[1]}-${spec[2]}"; args=(--precision fqt --gradient-quantizer "${spec[1]}" --gradient-bits "${spec[2]}" --weight-gradient-bits 8) ;;
    esac
    [ -s "$OUT/$name.json" ] && { echo "skip $name" >&2; return; }
    echo "run $name" >&2
    $BIN train --model cnn-gn --epochs "$EPOCHS" --seed "$SEED" --threads 1 ${LIMIT:+--limit $LIMIT} "${args[@]}" \
        --json --quiet > "$OUT/$name.json.tmp" 2> "$OUT/$name.log" && mv "$OUT/$name.json.tmp" "$OUT/$name.json" && rm -f "$OUT/$name.log"
}
export -f run
export OUT EPOCHS SEED LIMIT BIN
printf '%s\n' "${jobs_list[@]}" | xargs -P 2 -I{} bash -c 'run "{}"'
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
rows = []
for f in sorted(os.listdir(out)):
    if f.endswith('.json'):
        d = json.load(open(os.path.join(out, f)))
        rows.append((f[:-5], d['precision'], d['seed'], d['test_accuracy'] * 100, d['final_train_loss'], d['seconds_per_step'] * 1000, d['epochs']))
with open(os.path.join(out, 'table.csv'), 'w') as t:
    t.write('run,precision,seed,test_accuracy,final_train_loss,ms_per_step,epochs\n')
    for r in rows: t.write('%s,%s,%d,%.2f,%.4f,%.1f,%d\n' % r)
print(open(os.path.join(out, 'table.csv')).read())
PY
