/// Bit widths of an integer-only model: weights and activations. The first and the last layer
/// keep 8-bit weights, and the last layer's input stays at 8 bits, as is usual (HAWQ-V3).
public enum IntegerPrecision: String, Sendable, CaseIterable {
    case w8a8, w4a8, w4a4

    /// Weight bits of the inner layers.
    public var weightBits: Int { self == .w8a8 ? 8 : 4 }
    /// Activation bits of the inner layers.
    public var activationBits: Int { self == .w4a4 ? 4 : 8 }
}

/// Why a model cannot be converted, or a stored integer model cannot be read.
public enum QuantError: Error, Equatable, CustomStringConvertible {
    case unsupportedModel(String)
    case missingTensor(String)
    case badFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .unsupportedModel(let reason): return "cannot convert to an integer-only model: \(reason)"
        case .missingTensor(let name): return "the model has no tensor \(name)"
        case .badFile(let path, let reason): return "\(path): \(reason)"
        }
    }
}
