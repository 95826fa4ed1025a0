"""Writes the `state_dict` names and shapes of the PyTorch twins of Foedus's catalog models, one
`model<TAB>name<TAB>d0,d1,...` line per tensor in PyTorch's order (BatchNorm's
`num_batches_tracked`, which Foedus does not keep, left out).

Usage: python3 scripts/pytorch/dump_state_dicts.py > Tests/FoedusNNTests/Fixtures/pytorch-state-dicts.tsv
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cnn_gn import make_model  # noqa: E402
from resnet20 import ResNet20  # noqa: E402


def main():
    models = {
        "cnn-gn": make_model("cnn-gn"),
        "cnn-bn": make_model("cnn-bn"),
        "resnet20-gn": ResNet20("group"),
        "resnet20-bn": ResNet20("batch"),
    }
    for name, module in models.items():
        for key, value in module.state_dict().items():
            if key.endswith("num_batches_tracked"):
                continue
            print(f"{name}\t{key}\t{','.join(str(d) for d in value.shape)}")


if __name__ == "__main__":
    main()
