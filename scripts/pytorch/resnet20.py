"""PyTorch twin of Foedus's `resnet20-gn` / `resnet20-bn` (Sources/FoedusNN/Models/ResNet20.swift):
the CIFAR ResNet-20 with projection shortcuts (1x1 conv + norm) where the shape changes. The
GroupNorm variant keeps the `bn` attribute names, so both variants share key names.
"""

from torch import nn
import torch.nn.functional as F


def _norm(kind, channels, groups):
    return nn.GroupNorm(groups, channels) if kind == "group" else nn.BatchNorm2d(channels)


class BasicBlock(nn.Module):
    def __init__(self, in_c, out_c, stride, kind, groups):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, out_c, 3, stride=stride, padding=1, bias=False)
        self.bn1 = _norm(kind, out_c, groups)
        self.conv2 = nn.Conv2d(out_c, out_c, 3, padding=1, bias=False)
        self.bn2 = _norm(kind, out_c, groups)
        self.shortcut = None
        if stride != 1 or in_c != out_c:
            self.shortcut = nn.Sequential(nn.Conv2d(in_c, out_c, 1, stride=stride, bias=False), _norm(kind, out_c, groups))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + (self.shortcut(x) if self.shortcut is not None else x))


class ResNet20(nn.Module):
    def __init__(self, norm="group", width=16, classes=10, groups=8):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.bn1 = _norm(norm, width, groups)
        in_c = width
        for s, out_c in enumerate([width, 2 * width, 4 * width]):
            blocks = []
            for i in range(3):
                blocks.append(BasicBlock(in_c, out_c, 2 if s > 0 and i == 0 else 1, norm, groups))
                in_c = out_c
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
        self.linear = nn.Linear(4 * width, classes)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.layer3(self.layer2(self.layer1(h)))
        return self.linear(F.adaptive_avg_pool2d(h, 1).flatten(1))
