#!/usr/bin/env bash
# The main job: installs what is missing, builds Foedus in release mode and runs the best demo
# that exists (today: centralized training of the reference cnn-gn on Fashion-MNIST).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
swift build -c release --product foedus >&2
mkdir -p runs
exec .build/release/foedus train --dataset fashion-mnist --model cnn-gn --epochs 3 --batch-size 64 \
    --lr 0.05 --momentum 0.9 --schedule cosine --seed 1 --out runs/cnn-gn.safetensors "$@"
