"""PyTorch twins of Foedus's `cnn-gn` and `cnn-bn` (Sources/FoedusNN/Models/SmallCNN.swift).

The attribute names make `state_dict()` keys identical to Foedus's parameter and buffer names
(`conv1.weight`, `gn1.weight`, ..., `fc2.bias`), so a Foedus safetensors file loads with
`load_state_dict(..., strict=True)`; BatchNorm's extra `num_batches_tracked` counter is the one
key Foedus does not keep (see `load_foedus_state`).
"""

import torch
from torch import nn
import torch.nn.functional as F


class SmallCNN(nn.Module):
    """conv(1->32, 3x3, pad 1) -> norm -> ReLU -> max-pool 2 -> conv(32->64) -> norm -> ReLU ->
    max-pool 2 -> flatten -> fc(3136->128) -> ReLU -> fc(128->classes).

    norm is "group" (GroupNorm with 8 groups, names gn1/gn2) or "batch" (BatchNorm2d, bn1/bn2).
    """

    def __init__(self, norm="group", in_channels=1, image_size=28, classes=10):
        super().__init__()
        self.norm = norm
        if norm not in ("group", "batch"):
            raise ValueError(f"norm must be 'group' or 'batch', got {norm!r}")
        prefix = "gn" if norm == "group" else "bn"

        def make_norm(channels):
            return nn.GroupNorm(8, channels) if norm == "group" else nn.BatchNorm2d(channels)

        # Registration order gives state_dict order: conv1, norm1, conv2, norm2, fc1, fc2, as Foedus.
        self.conv1 = nn.Conv2d(in_channels, 32, 3, padding=1)
        setattr(self, prefix + "1", make_norm(32))
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        setattr(self, prefix + "2", make_norm(64))
        self.fc1 = nn.Linear(64 * (image_size // 4) ** 2, 128)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        prefix = "gn" if self.norm == "group" else "bn"
        n1, n2 = getattr(self, prefix + "1"), getattr(self, prefix + "2")
        x = F.max_pool2d(F.relu(n1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(n2(self.conv2(x))), 2)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


MODELS = {"cnn-gn": "group", "cnn-bn": "batch"}


def make_model(name, **kwargs):
    """The PyTorch module for a Foedus catalog name (`cnn-gn` or `cnn-bn`)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r} (known: {', '.join(MODELS)})")
    return SmallCNN(MODELS[name], **kwargs)


def load_foedus_state(module, tensors):
    """Loads a Foedus state dict strictly: every key must match by name and shape, except
    BatchNorm's `num_batches_tracked`, which Foedus does not keep (it only matters for
    momentum=None) and which is left at 0."""
    expected = set(module.state_dict())
    optional = {k for k in expected if k.endswith("num_batches_tracked")}
    missing = sorted(expected - optional - set(tensors))
    extra = sorted(set(tensors) - expected)
    if missing or extra:
        raise KeyError(f"state dict mismatch: missing {missing}, unexpected {extra}")
    full = dict(module.state_dict())
    full.update(tensors)
    module.load_state_dict(full, strict=True)
    return module
