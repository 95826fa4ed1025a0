import FoedusTensor

/// An optimizer: updates parameters in place from their gradients. State (momentum, moments)
/// lives in the optimizer value, keyed by parameter name.
public protocol Optimizer: Sendable {
    /// Learning rate used by the next ``step(_:gradients:)``.
    var learningRate: Double { get set }
    /// Applies one update.
    /// - Precondition: `gradients` has the names of `parameters`.
    mutating func step(_ parameters: inout ParameterSet, gradients: ParameterSet)
}
