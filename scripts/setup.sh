#!/usr/bin/env bash
# Installs what Foedus needs on a fresh Debian 12 machine (run as root): the C libraries it
# links and the Fashion-MNIST dataset. Idempotent: does nothing when everything is present.
set -euo pipefail

packages=(libdnnl-dev zlib1g-dev libsqlite3-dev libzmq3-dev dataset-fashion-mnist)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "foedus setup: installing ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi

if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        echo "foedus setup: add /opt/swift/usr/bin to PATH" >&2
    else
        echo "foedus setup: no Swift toolchain found; install Swift 6.x from swift.org and put it on PATH" >&2
    fi
    exit 1
fi
