"""PyTorch CPU inference speed of Foedus's `cnn-gn` on the Fashion-MNIST test set.

The counterpart of `foedus-bench integer`'s model section (Benchmarks/README.md): the same
trained weights (a Foedus safetensors file, loaded strictly through cnn_gn.py), the same 10,000
test images in the same order and batches (batch 256, the last one 16), normalised with
mean 0.2860 / std 0.3530, one thread, torch.no_grad(), eval mode. Normalised batches are built
before timing (as for the float Foedus model); argmax is included. One pass over the test set is
one sample; the median images/s of `--repeats` passes is printed as one JSON line on stdout.

    /usr/bin/python3 scripts/pytorch/bench_inference.py [--weights /tmp/cnn-gn.safetensors] [--repeats 7]
"""

import argparse
import gzip
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cnn_gn import load_foedus_state, make_model  # noqa: E402


def read_idx(path):
    """An IDX file (optionally gzipped) as a numpy array of its declared shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(directory, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{stem}(.gz) not found in {directory}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", default="/tmp/cnn-gn.safetensors")
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    images = read_idx(find(args.data_dir, "t10k-images-idx3-ubyte"))
    labels = read_idx(find(args.data_dir, "t10k-labels-idx1-ubyte")).astype(np.int64)
    x = torch.from_numpy(((images.astype(np.float32) / 255 - 0.2860) / 0.3530)[:, None, :, :].copy())
    batches = [x[i:i + args.batch].contiguous() for i in range(0, len(x), args.batch)]

    model = load_foedus_state(make_model("cnn-gn"), load_file(args.weights)).eval()

    def one_pass():
        with torch.no_grad():
            return [model(b).argmax(dim=1) for b in batches]

    predicted = torch.cat(one_pass())  # warm-up pass, also the accuracy check
    accuracy = float((predicted.numpy() == labels).mean())
    one_pass()
    load_before = os.getloadavg()[0]
    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        one_pass()
        seconds.append(time.perf_counter() - start)
    load_after = os.getloadavg()[0]
    median = statistics.median(seconds)
    print(json.dumps({
        "benchmark": "pytorch-inference", "model": "cnn-gn", "torch": torch.__version__,
        "threads": torch.get_num_threads(), "batch": args.batch, "images": len(x), "repeats": args.repeats,
        "accuracy": accuracy, "median_seconds": median, "images_per_second": len(x) / median,
        "min_seconds": min(seconds), "max_seconds": max(seconds),
        "load_before": load_before, "load_after": load_after,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }))


if __name__ == "__main__":
    main()
