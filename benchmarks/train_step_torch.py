"""One PyTorch CPU training step of cnn-gn, timed the way `foedus bench` times Foedus's.

A step is forward, cross-entropy, backward and an SGD update (lr 0.01, momentum 0.9) on a fixed
synthetic batch (N(0, 1) images, labels i mod 10), exactly the work `foedus bench` does. Reports
the median over --steps timed steps after --warmup untimed ones.

Set OPENBLAS_CORETYPE=Cooperlake in the environment *before* starting Python (Debian's OpenBLAS
reads it when it loads; `benchmarks/train-step` does this): it is PyTorch's best setting on this
CPU (shared/BASELINES.md).
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "pytorch"))
from cnn_gn import make_model  # noqa: E402


def loaded_blas():
    """The BLAS library this process actually mapped (Debian picks it with update-alternatives:
    the reference libblas3 is ~10x slower than OpenBLAS for PyTorch's linear layers)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    except OSError:
        return None
    return sorted(os.path.realpath(p) for p in paths)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="cnn-gn", choices=["cnn-gn", "cnn-bn"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.backends.mkldnn.enabled = True
    torch.manual_seed(1)
    model = make_model(args.model).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(args.batch_size, 1, 28, 28, generator=generator)
    labels = torch.arange(args.batch_size) % 10

    times = []
    for i in range(args.warmup + args.steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()
        elapsed = (time.perf_counter() - start) * 1000
        if i >= args.warmup:
            times.append(elapsed)

    median = statistics.median(times)
    summary = {
        "framework": "pytorch", "version": torch.__version__, "model": args.model, "batch_size": args.batch_size,
        "threads": args.threads, "steps": args.steps, "median_ms": median, "min_ms": min(times), "max_ms": max(times),
        "images_per_second": args.batch_size / median * 1000,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"), "mkldnn": torch.backends.mkldnn.is_available(),
        "blas": loaded_blas(),
    }
    if not any("openblas" in p for p in summary["blas"] or []):
        print(f"train_step_torch: warning: PyTorch is not using OpenBLAS ({summary['blas']}); "
              "apt-get install libopenblas0-pthread for its usual speed", file=sys.stderr)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"pytorch {torch.__version__} {args.model} batch {args.batch_size}, {args.threads} threads: "
              f"median {median:.2f} ms/step (min {min(times):.2f}, max {max(times):.2f})", file=sys.stderr)


if __name__ == "__main__":
    main()
