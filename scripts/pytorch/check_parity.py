"""Checks that Foedus-written weights mean the same thing in PyTorch.

Loads WEIGHTS.safetensors (written by `foedus train --out`) with `safetensors.torch.load_file`
into the PyTorch twin of the model (strict: every name and shape must match), evaluates it on the
Fashion-MNIST test set read straight from the IDX gz files, runs `foedus eval --json` on the same
weights, and compares the number of correct predictions.

Foedus and PyTorch sum in different orders, so float32 logits differ by rounding and an image whose
top two logits are closer than that may flip. The check passes when the counts differ by no more
than the number of such near-ties (top-2 margin below --tie-margin in PyTorch's logits).

Usage: python3 scripts/pytorch/check_parity.py WEIGHTS.safetensors --model cnn-gn
           [--foedus .build/release/foedus] [--data-dir /usr/share/datasets/fashion-mnist] [--json]
Exit status: 0 when the counts agree (within near-ties), 1 otherwise.
"""

import argparse
import gzip
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cnn_gn import load_foedus_state, make_model  # noqa: E402

MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    """An IDX file (gzip) as a numpy array of its element type (ubyte only)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(f">{rank}I", data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load_test_set(directory):
    images = read_idx(os.path.join(directory, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, "t10k-labels-idx1-ubyte.gz"))
    # Normalise in float32 exactly as Foedus does: (byte / 255 − mean) / std.
    x = (images.astype(np.float32) / np.float32(255) - np.float32(MEAN)) / np.float32(STD)
    return torch.from_numpy(x[:, None, :, :].copy()), torch.from_numpy(labels.astype(np.int64))


def pytorch_logits(model, x, batch=500):
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def foedus_eval(binary, model, weights, data_dir, threads):
    command = [binary, "eval", "--model", model, "--weights", weights, "--json", "--threads", str(threads)]
    if data_dir:
        command += ["--data-dir", data_dir]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    parser = argparse.ArgumentParser(description="Foedus/PyTorch parity on Fashion-MNIST")
    parser.add_argument("weights")
    parser.add_argument("--model", default="cnn-gn", choices=["cnn-gn", "cnn-bn"])
    parser.add_argument("--foedus", default=os.path.join(root, ".build", "release", "foedus"))
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--first", type=int, default=1000, help="also report PyTorch on the first N test images")
    parser.add_argument("--tie-margin", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    tensors = load_file(args.weights)
    model = load_foedus_state(make_model(args.model), tensors).eval()

    x, labels = load_test_set(args.data_dir)
    logits = pytorch_logits(model, x)
    predictions = logits.argmax(1)
    correct = int((predictions == labels).sum())
    top2 = logits.topk(2, dim=1).values
    near_ties = int(((top2[:, 0] - top2[:, 1]) < args.tie_margin).sum())
    first = min(args.first, len(labels))
    first_correct = int((predictions[:first] == labels[:first]).sum())

    foedus = foedus_eval(args.foedus, args.model, args.weights, args.data_dir, args.threads)
    foedus_correct = round(foedus["test_accuracy"] * foedus["examples"])
    difference = foedus_correct - correct
    summary = {
        "model": args.model, "weights": args.weights, "tensors": len(tensors), "examples": len(labels),
        "pytorch_correct": correct, "foedus_correct": foedus_correct, "difference": difference,
        "near_ties": near_ties, "tie_margin": args.tie_margin,
        f"pytorch_correct_first_{first}": first_correct,
        "pytorch_accuracy": correct / len(labels), "foedus_accuracy": foedus["test_accuracy"],
        "agree": abs(difference) <= near_ties,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{args.model} {args.weights}: {len(tensors)} tensors loaded strictly into PyTorch")
        print(f"  PyTorch {torch.__version__}: {correct}/{len(labels)} correct ({100 * correct / len(labels):.2f} %), "
              f"first {first}: {first_correct}/{first}")
        print(f"  Foedus:  {foedus_correct}/{foedus['examples']} correct ({100 * foedus['test_accuracy']:.2f} %)")
        print(f"  difference {difference:+d}; near-ties (top-2 margin < {args.tie_margin:g}): {near_ties} -> "
              f"{'AGREE' if summary['agree'] else 'DISAGREE'}")
    sys.exit(0 if summary["agree"] else 1)


if __name__ == "__main__":
    main()
