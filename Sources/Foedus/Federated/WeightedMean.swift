import FoedusTensor

/// A streaming weighted mean of parameter sets: O(model size) memory however many updates it
/// absorbs. Sums run in Float64 in the order updates are added, so callers that add in a fixed
/// order (client slot order) get bit-identical results on any number of threads.
public struct WeightedMean: Sendable {
    private var sum: ParameterSet?
    public private(set) var totalWeight = 0.0
    public private(set) var count = 0

    public init() {}

    /// Adds `parameters` with `weight` (> 0).
    /// - Precondition: the same names and shapes as earlier additions.
    public mutating func add(_ parameters: ParameterSet, weight: Double) {
        precondition(weight >= 0 && weight.isFinite, "[WeightedMean] weight \(weight)")
        guard weight > 0 else { return }
        let scaled = parameters.map { $0.detached.cast(to: .float64) * weight }
        sum = sum.map { $0 + scaled } ?? scaled
        totalWeight += weight
        count += 1
    }

    /// The mean, converted to `dtype`, or nil when nothing was added.
    public func mean(dtype: DType = .float32) -> ParameterSet? {
        guard let sum, totalWeight > 0 else { return nil }
        return sum.map { ($0 * (1 / totalWeight)).cast(to: dtype) }
    }
}
