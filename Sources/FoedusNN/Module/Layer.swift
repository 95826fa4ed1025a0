import FoedusTensor

/// Training or evaluation behaviour of layers such as batch norm and dropout.
public enum Mode: String, Sendable, Hashable {
    case train, eval
}

/// A neural-network layer: an architecture value (hyper-parameters only) that declares its
/// named parameters and buffers and computes its output from a ``LayerContext`` that holds them.
///
/// Layers keep no state: parameters live in a ``ParameterSet`` that ``gradient(of:at:)`` and the
/// optimizers see directly, and running statistics live in a separate buffer set, so training
/// is a pure function of `(parameters, buffers, batch)` and updates go through `inout`.
public protocol Layer: Sendable {
    /// Declares this layer's parameters and buffers (names relative to the layer).
    func declare(into builder: inout ParameterBuilder)
    /// The layer's output for `input`, reading parameters from and updating buffers in `context`.
    func forward(_ input: Tensor, context: inout LayerContext) -> Tensor
}

/// How a parameter is initialised.
public enum Initializer: Sendable, Hashable {
    case zeros, ones
    /// Uniform on `[−bound, bound)`.
    case uniform(bound: Double)
    /// Normal with mean 0 and the given standard deviation.
    case normal(std: Double)

    /// PyTorch's default for `Linear` and `Conv2d` weights and biases (Kaiming-uniform with
    /// a = √5): uniform with bound `1/√fanIn`.
    public static func pytorchDefault(fanIn: Int) -> Initializer { .uniform(bound: 1 / Double(fanIn).squareRoot()) }
}

/// Collects parameter and buffer declarations with dotted names and their initial values.
public struct ParameterBuilder {
    public private(set) var parameters = ParameterSet()
    public private(set) var buffers = ParameterSet()
    let key: RandomKey
    let dtype: DType
    var prefix = ""

    /// - Parameters:
    ///   - key: root of every initialisation stream; parameter `name` draws from `key.derived(name)`.
    ///   - dtype: element type of the parameters.
    public init(key: RandomKey, dtype: DType = .float32) {
        self.key = key
        self.dtype = dtype
    }

    func qualified(_ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }

    func initial(_ name: String, _ shape: [Int], _ initializer: Initializer) -> Tensor {
        switch initializer {
        case .zeros: return .zeros(shape, dtype: dtype)
        case .ones: return .ones(shape, dtype: dtype)
        case .uniform(let bound): return .random(.uniform(low: -bound, high: bound), shape: shape, key: key.derived(name), dtype: dtype)
        case .normal(let std): return .random(.normal(mean: 0, std: std), shape: shape, key: key.derived(name), dtype: dtype)
        }
    }

    /// Declares a trainable parameter.
    public mutating func parameter(_ name: String, shape: [Int], _ initializer: Initializer) {
        let full = qualified(name)
        parameters.append(full, initial(full, shape, initializer))
    }

    /// Declares a non-trainable buffer (e.g. running statistics).
    public mutating func buffer(_ name: String, shape: [Int], _ initializer: Initializer) {
        let full = qualified(name)
        buffers.append(full, initial(full, shape, initializer))
    }

    /// Declares `layer`'s parameters under `name.`.
    public mutating func child(_ name: String, _ layer: any Layer) {
        let saved = prefix
        prefix = qualified(name)
        layer.declare(into: &self)
        prefix = saved
    }
}
