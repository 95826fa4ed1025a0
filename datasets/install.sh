#!/usr/bin/env bash
# Installs (or checks) the datasets Foedus reads from the system.
#
#   datasets/install.sh           ensure Fashion-MNIST is present (apt-get install if missing)
#   datasets/install.sh --check   only report; exit 1 if Fashion-MNIST is missing
#
# Idempotent: does nothing when the files are already there. MNIST, EMNIST and CIFAR-10 are not
# packaged by Debian; this script only reports whether they are found (see datasets/README.md).
set -euo pipefail

FASHION_DIR=/usr/share/datasets/fashion-mnist
FASHION_FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

have_files() { # DIR NAME... : every NAME exists in DIR, plain or .gz
    local dir=$1; shift
    local name
    for name in "$@"; do
        [[ -f "$dir/$name" || -f "$dir/$name.gz" ]] || return 1
    done
}

report_optional() { # DATASET NAME... : look in FOEDUS_DATA_DIR roots
    local dataset=$1; shift
    local roots root sub
    IFS=: read -r -a roots <<< "${FOEDUS_DATA_DIR:-}"
    for root in "${roots[@]}"; do
        [[ -n "$root" ]] || continue
        for sub in "" mnist emnist emnist/gzip gzip cifar10 cifar-10-batches-bin cifar10/cifar-10-batches-bin; do
            if have_files "$root${sub:+/$sub}" "$@"; then
                echo "found    $dataset in $root${sub:+/$sub}"
                return 0
            fi
        done
    done
    echo "absent   $dataset (optional; supply with --data-dir or FOEDUS_DATA_DIR, see datasets/README.md)"
}

check_only=false
case "${1:-}" in
    --check) check_only=true ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if have_files "$FASHION_DIR" "${FASHION_FILES[@]}"; then
    echo "found    fashion-mnist in $FASHION_DIR"
elif $check_only; then
    echo "missing  fashion-mnist: $FASHION_DIR lacks its files; run datasets/install.sh (as root) or" \
         "apt-get install dataset-fashion-mnist" >&2
    exit 1
else
    echo "installing fashion-mnist (Debian package dataset-fashion-mnist)"
    if [[ $(id -u) -ne 0 ]]; then
        echo "error: installing dataset-fashion-mnist needs root; run: sudo apt-get install -y dataset-fashion-mnist" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends dataset-fashion-mnist; then
        apt-get update && apt-get install -y --no-install-recommends dataset-fashion-mnist || {
            echo "error: apt-get could not install dataset-fashion-mnist (is a Debian mirror with it reachable?)" >&2
            exit 1
        }
    fi
    if ! have_files "$FASHION_DIR" "${FASHION_FILES[@]}"; then
        echo "error: dataset-fashion-mnist is installed but $FASHION_DIR lacks its files" >&2
        exit 1
    fi
    echo "found    fashion-mnist in $FASHION_DIR"
fi

report_optional mnist train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte
report_optional emnist-balanced emnist-balanced-train-images-idx3-ubyte emnist-balanced-train-labels-idx1-ubyte \
    emnist-balanced-test-images-idx3-ubyte emnist-balanced-test-labels-idx1-ubyte
report_optional cifar10 data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin
