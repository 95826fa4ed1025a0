import FoedusTensor

/// What a layer's forward pass reads and writes: parameters (read-only, possibly tracked for
/// differentiation), buffers (updated in training mode), the mode, and a random key for
/// stochastic layers.
public struct LayerContext {
    public let parameters: ParameterSet
    public var buffers: ParameterSet
    public let mode: Mode
    /// Root key of stochastic layers (dropout): layer `path` draws from `key.derived(path)`.
    public let key: RandomKey?
    /// How convolutions and linear layers compute (quantization-aware or fully quantized
    /// training); nil for plain float arithmetic.
    public var arithmetic: (any LayerArithmetic)?
    var prefix = ""

    public init(parameters: ParameterSet, buffers: ParameterSet = ParameterSet(), mode: Mode, key: RandomKey? = nil,
                arithmetic: (any LayerArithmetic)? = nil) {
        self.parameters = parameters
        self.buffers = buffers
        self.mode = mode
        self.key = key
        self.arithmetic = arithmetic
    }

    func qualified(_ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }

    /// The current layer's parameter `name`.
    /// - Precondition: it was declared (parameters come from the same layer's ``ParameterBuilder``).
    public func parameter(_ name: String) -> Tensor {
        let full = qualified(name)
        guard let t = parameters[full] else { preconditionFailure("[LayerContext] no parameter \(full) among \(parameters.names)") }
        return t
    }

    /// The current layer's buffer `name`.
    public func buffer(_ name: String) -> Tensor {
        let full = qualified(name)
        guard let t = buffers[full] else { preconditionFailure("[LayerContext] no buffer \(full) among \(buffers.names)") }
        return t
    }

    /// Replaces the current layer's buffer `name` (stored detached).
    public mutating func setBuffer(_ name: String, _ value: Tensor) {
        buffers[qualified(name)] = value.detached
    }

    /// The random key of the current layer, if the context has one.
    public var layerKey: RandomKey? { key.map { $0.derived(prefix) } }

    /// Runs `child` under `name.`.
    public mutating func child(_ name: String, _ layer: any Layer, _ input: Tensor) -> Tensor {
        let saved = prefix
        prefix = qualified(name)
        defer { prefix = saved }
        return layer.forward(input, context: &self)
    }
}
