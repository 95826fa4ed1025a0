import FoedusTensor

/// Elementwise max(x, 0).
public struct ReLU: Layer {
    public init() {}
    public func declare(into b: inout ParameterBuilder) {}
    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor { x.relu() }
}

/// GELU, exact (erf) or tanh-approximated.
public struct GELU: Layer {
    public let approximate: Bool
    public init(approximate: Bool = false) { self.approximate = approximate }
    public func declare(into b: inout ParameterBuilder) {}
    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor { x.gelu(approximate: approximate) }
}

/// Flattens every dimension from `startDim` on (PyTorch's `nn.Flatten`, default 1).
public struct Flatten: Layer {
    public let startDim: Int
    public init(startDim: Int = 1) { self.startDim = startDim }
    public func declare(into b: inout ParameterBuilder) {}
    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor { x.flattened(from: startDim) }
}

/// The window of a pooling layer: a square kernel, its stride (the kernel by default) and padding.
public struct PoolWindow: Sendable, Hashable {
    public let kernel: Int, stride: Int, padding: Int

    public init(_ kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
    }
}

/// Max pooling over NCHW; stride defaults to the kernel.
public struct MaxPool2d: Layer {
    public let window: PoolWindow
    public init(_ k: Int, stride: Int? = nil, padding: Int = 0) { window = PoolWindow(k, stride: stride, padding: padding) }
    public func declare(into b: inout ParameterBuilder) {}
    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor {
        x.maxPool2d(kernel: (window.kernel, window.kernel), stride: (window.stride, window.stride), padding: (window.padding, window.padding))
    }
}

/// Average pooling over NCHW; stride defaults to the kernel; padded zeros count.
public struct AvgPool2d: Layer {
    public let window: PoolWindow
    public init(_ k: Int, stride: Int? = nil, padding: Int = 0) { window = PoolWindow(k, stride: stride, padding: padding) }
    public func declare(into b: inout ParameterBuilder) {}
    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor {
        x.avgPool2d(kernel: (window.kernel, window.kernel), stride: (window.stride, window.stride), padding: (window.padding, window.padding))
    }
}

/// Mean over H and W: `[N, C, H, W]` → `[N, C]`.
public struct GlobalAvgPool2d: Layer {
    public init() {}
    public func declare(into b: inout ParameterBuilder) {}
    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor { x.globalAvgPool2d() }
}

/// Inverted dropout: in training, zeroes each element with probability `p` and scales the rest
/// by 1/(1−p); the identity in evaluation. The mask is drawn from the context's key at this
/// layer's path, so it is reproducible.
public struct Dropout: Layer {
    public let p: Double
    public init(p: Double = 0.5) {
        precondition(p >= 0 && p < 1, "[Dropout] p \(p) outside [0, 1)")
        self.p = p
    }
    public func declare(into b: inout ParameterBuilder) {}
    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor {
        guard c.mode == .train, p > 0 else { return x }
        guard let key = c.layerKey else { preconditionFailure("[Dropout] training mode needs a LayerContext key") }
        let mask = Tensor.random(.bernoulli(p: 1 - p), shape: x.shape, key: key, dtype: x.dtype)
        return x * mask * (1 / (1 - p))
    }
}

/// A lookup table `weight` `[count, dimension]` indexed by int32 tensors (PyTorch's `nn.Embedding`,
/// initialised N(0, 1)).
public struct Embedding: Layer {
    public let count: Int, dimension: Int
    public init(count: Int, dimension: Int) {
        precondition(count > 0 && dimension > 0, "[Embedding] \(count)x\(dimension)")
        self.count = count
        self.dimension = dimension
    }
    public func declare(into b: inout ParameterBuilder) {
        b.parameter("weight", shape: [count, dimension], .normal(std: 1))
    }
    public func forward(_ indices: Tensor, context c: inout LayerContext) -> Tensor {
        precondition(indices.dtype == .int32, "[Embedding] indices must be int32, got \(indices.dtype)")
        let flat = indices.reshaped([-1, 1]).broadcast(to: [indices.scalarCount, dimension])
        let rows = c.parameter("weight").gathering(axis: 0, index: flat)
        return rows.reshaped(indices.shape + [dimension])
    }
}

/// Layers applied in order, each under its own name (`"0"`, `"conv1"`, …).
public struct Sequential: Layer {
    public let layers: [(name: String, layer: any Layer)]

    /// Named layers.
    public init(_ layers: [(String, any Layer)]) {
        precondition(Set(layers.map(\.0)).count == layers.count, "[Sequential] duplicate layer names \(layers.map(\.0))")
        self.layers = layers.map { (name: $0.0, layer: $0.1) }
    }

    /// Layers named by position, as PyTorch's `nn.Sequential`.
    public init(_ layers: [any Layer]) {
        self.init(layers.enumerated().map { (String($0.offset), $0.element) })
    }

    public func declare(into b: inout ParameterBuilder) {
        for (name, layer) in layers { b.child(name, layer) }
    }

    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor {
        var h = x
        for (name, layer) in layers { h = c.child(name, layer, h) }
        return h
    }
}
