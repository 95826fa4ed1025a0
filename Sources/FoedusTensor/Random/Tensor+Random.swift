@_exported import struct FoedusKernels.RandomKey
@_exported import struct FoedusKernels.RandomStream

/// The distribution of a random tensor.
public enum Distribution: Sendable, Hashable {
    /// Uniform on `[low, high)`.
    case uniform(low: Double, high: Double)
    /// Normal with the given mean and standard deviation.
    case normal(mean: Double, std: Double)
    /// ±1 with equal probability (Hutchinson and power-iteration probes).
    case rademacher
    /// 1 with probability `p`, else 0 (dropout masks).
    case bernoulli(p: Double)
}

extension Tensor {
    /// A tensor of independent draws. Element i is a pure function of `(key, i)` (counter-based
    /// Philox stream), so the same key gives the same tensor bit for bit, on any thread.
    /// - Precondition: `dtype` is floating-point.
    public static func random(_ distribution: Distribution, shape: [Int], key: RandomKey, dtype: DType = .float32) -> Tensor {
        Shape.check(shape, op: "random")
        var out = Tensor.uninitialized(shape: shape, dtype: dtype)
        var stream = RandomStream(key: key)
        switch dtype {
        case .float32:
            out.withUnsafeMutableBufferPointer(as: Float.self) { b in
                switch distribution {
                case let .uniform(low, high): stream.fillUniform(b, low: Float(low), high: Float(high))
                case let .normal(mean, std): stream.fillNormal(b, mean: Float(mean), std: Float(std))
                case .rademacher: stream.fillRademacher(b)
                case let .bernoulli(p): stream.fillBernoulli(b, p: Float(p))
                }
            }
        case .float64:
            out.withUnsafeMutableBufferPointer(as: Double.self) { b in
                switch distribution {
                case let .uniform(low, high): stream.fillUniform(b, low: low, high: high)
                case let .normal(mean, std): stream.fillNormal(b, mean: mean, std: std)
                case .rademacher: stream.fillRademacher(b)
                case let .bernoulli(p): stream.fillBernoulli(b, p: p)
                }
            }
        case .int32:
            out.requireFloat("random")
        }
        return out
    }

    /// A random permutation of `0..<n` as an int32 tensor.
    public static func randomPermutation(_ n: Int, key: RandomKey) -> Tensor {
        var stream = RandomStream(key: key)
        return Tensor(shape: [n], scalars: stream.permutation(n).map { Int32($0) })
    }
}
