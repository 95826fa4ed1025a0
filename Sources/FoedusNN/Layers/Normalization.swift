import FoedusTensor

/// Group normalization over NCHW (PyTorch's `nn.GroupNorm`): statistics per sample and group of
/// `C/groups` channels, biased variance, then a per-channel affine transform.
public struct GroupNorm: Layer {
    public let groups: Int, channels: Int, epsilon: Double, affine: Bool

    public init(groups: Int, channels: Int, epsilon: Double = 1e-5, affine: Bool = true) {
        precondition(groups > 0 && channels % groups == 0, "[GroupNorm] \(channels) channels in \(groups) groups")
        self.groups = groups
        self.channels = channels
        self.epsilon = epsilon
        self.affine = affine
    }

    public func declare(into b: inout ParameterBuilder) {
        if affine {
            b.parameter("weight", shape: [channels], .ones)
            b.parameter("bias", shape: [channels], .zeros)
        }
    }

    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor {
        Tensor.groupNorm(x, groups: groups, weight: affine ? c.parameter("weight") : nil, bias: affine ? c.parameter("bias") : nil, epsilon: epsilon)
    }
}

/// Batch normalization over NCHW (PyTorch's `nn.BatchNorm2d`). Training normalises with the
/// batch statistics (biased variance) and updates `running_mean`/`running_var`
/// (unbiased variance) with `momentum`; evaluation uses the running statistics.
public struct BatchNorm2d: Layer {
    public let channels: Int, epsilon: Double, momentum: Double, affine: Bool

    public init(_ channels: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true) {
        precondition(channels > 0 && momentum >= 0 && momentum <= 1, "[BatchNorm2d] channels \(channels), momentum \(momentum)")
        self.channels = channels
        self.epsilon = epsilon
        self.momentum = momentum
        self.affine = affine
    }

    public func declare(into b: inout ParameterBuilder) {
        if affine {
            b.parameter("weight", shape: [channels], .ones)
            b.parameter("bias", shape: [channels], .zeros)
        }
        b.buffer("running_mean", shape: [channels], .zeros)
        b.buffer("running_var", shape: [channels], .ones)
    }

    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == channels, "[BatchNorm2d] input \(x.shape) for \(channels) channels")
        let mean: Tensor, variance: Tensor
        if c.mode == .train {
            let n = x.shape[0] * x.shape[2] * x.shape[3]
            precondition(n > 1, "[BatchNorm2d] training needs more than one value per channel, got input \(x.shape)")
            mean = x.mean(axes: [0, 2, 3], keepDims: true)
            variance = (x - mean).squared().mean(axes: [0, 2, 3], keepDims: true)
            let unbiased = variance.detached.reshaped([channels]) * (Double(n) / Double(n - 1))
            c.setBuffer("running_mean", c.buffer("running_mean") * (1 - momentum) + mean.detached.reshaped([channels]) * momentum)
            c.setBuffer("running_var", c.buffer("running_var") * (1 - momentum) + unbiased * momentum)
        } else {
            mean = c.buffer("running_mean").reshaped([1, channels, 1, 1])
            variance = c.buffer("running_var").reshaped([1, channels, 1, 1])
        }
        var y = (x - mean) / (variance + epsilon).sqrt()
        if affine { y = y * c.parameter("weight").reshaped([1, channels, 1, 1]) + c.parameter("bias").reshaped([1, channels, 1, 1]) }
        return y
    }
}

/// Layer normalization over the trailing `normalizedShape` dimensions (PyTorch's `nn.LayerNorm`).
public struct LayerNorm: Layer {
    public let normalizedShape: [Int], epsilon: Double, affine: Bool

    public init(_ normalizedShape: [Int], epsilon: Double = 1e-5, affine: Bool = true) {
        precondition(!normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 }, "[LayerNorm] shape \(normalizedShape)")
        self.normalizedShape = normalizedShape
        self.epsilon = epsilon
        self.affine = affine
    }

    public func declare(into b: inout ParameterBuilder) {
        if affine {
            b.parameter("weight", shape: normalizedShape, .ones)
            b.parameter("bias", shape: normalizedShape, .zeros)
        }
    }

    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor {
        let k = normalizedShape.count
        precondition(x.rank >= k && Array(x.shape.suffix(k)) == normalizedShape, "[LayerNorm] input \(x.shape) for normalized shape \(normalizedShape)")
        let axes = Array((x.rank - k)..<x.rank)
        let mean = x.mean(axes: axes, keepDims: true)
        let centered = x - mean
        var y = centered / (centered.squared().mean(axes: axes, keepDims: true) + epsilon).sqrt()
        if affine { y = y * c.parameter("weight") + c.parameter("bias") }
        return y
    }
}
