import FoedusTensor

/// Symmetric uniform quantization: `q = clamp(round(x / s), −qmax, qmax)` with `s = range / qmax`,
/// per tensor or per output channel (dimension 0); or unsigned `q ∈ [0, 2^bits − 1]` for
/// non-negative data (post-ReLU activations).
public struct Quantizer: Sendable, Equatable {
    public enum Granularity: Sendable, Equatable { case perTensor, perChannel }

    public let bits: Int
    public let signed: Bool
    public let granularity: Granularity

    /// - Precondition: `2 ≤ bits ≤ 16`.
    public init(bits: Int, signed: Bool = true, granularity: Granularity = .perTensor) {
        precondition((2...16).contains(bits), "[Quantizer] \(bits) bits")
        self.bits = bits
        self.signed = signed
        self.granularity = granularity
    }

    /// The largest quantized magnitude: `2^(bits−1) − 1` signed (symmetric, −128 unused at 8 bits),
    /// `2^bits − 1` unsigned.
    public var qmax: Int { signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1 }
    public var qmin: Int { signed ? -qmax : 0 }

    /// Scales from the data: `max|x| / qmax` per tensor or per channel (a zero range gives scale 1
    /// so that an all-zero channel stays zero without dividing by 0).
    public func scales(for x: Tensor) -> [Double] {
        let values = x.doubles
        let channels = granularity == .perChannel && x.rank >= 1 ? x.shape[0] : 1
        let per = channels == 0 ? 0 : values.count / channels
        return (0..<channels).map { c in
            let peak = values[c * per ..< (c + 1) * per].reduce(0) { max($0, abs($1)) }
            return peak > 0 ? peak / Double(qmax) : 1
        }
    }

    /// Quantizes with the given scales (one, or one per channel).
    public func quantize(_ x: Tensor, scales: [Double]) -> [Int32] {
        let values = x.doubles
        let per = values.count / max(scales.count, 1)
        return values.enumerated().map { i, v in
            let q = (v / scales[min(i / max(per, 1), scales.count - 1)]).rounded(.toNearestOrEven)
            return Int32(max(Double(qmin), min(Double(qmax), q)))
        }
    }

    /// Fake quantization for simulation and quantization-aware training: `s · q(x)` in floating
    /// point, with the straight-through estimator (the gradient passes through unchanged).
    public func fakeQuantize(_ x: Tensor, scales: [Double]) -> Tensor {
        let q = quantize(x.detached, scales: scales)
        let per = q.count / max(scales.count, 1)
        let dequantized = Tensor(shape: x.shape, scalars: q.enumerated().map { Double($0.element) * scales[min($0.offset / max(per, 1), scales.count - 1)] })
            .cast(to: x.dtype)
        return x + (dequantized - x).detached
    }
}

/// Tracks the range of a stream of tensors for activation calibration: the running min/max, or an
/// exponential moving average of each batch's min and max.
public struct RangeTracker: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        case minMax
        /// `range ← m · range + (1 − m) · batch range` (the first batch initialises it).
        case ema(momentum: Double)
    }

    public let mode: Mode
    public private(set) var minimum = 0.0
    public private(set) var maximum = 0.0
    public private(set) var batches = 0

    public init(_ mode: Mode = .minMax) { self.mode = mode }

    public mutating func observe(_ x: Tensor) {
        let values = x.doubles
        guard let lo = values.min(), let hi = values.max() else { return }
        switch mode {
        case .minMax:
            minimum = batches == 0 ? lo : min(minimum, lo)
            maximum = batches == 0 ? hi : max(maximum, hi)
        case .ema(let m):
            minimum = batches == 0 ? lo : m * minimum + (1 - m) * lo
            maximum = batches == 0 ? hi : m * maximum + (1 - m) * hi
        }
        batches += 1
    }

    /// `max(|min|, |max|)`, the symmetric range.
    public var magnitude: Double { max(abs(minimum), abs(maximum)) }
}

/// Folds an evaluation-mode batch norm into the convolution (or linear layer) before it:
/// `W' = W · γ/√(σ² + ε)` per output channel, `b' = (b − μ) · γ/√(σ² + ε) + β`.
public enum BatchNormFolding {
    public static func fold(weight: Tensor, bias: Tensor?, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor,
                            epsilon: Double = 1e-5) -> (weight: Tensor, bias: Tensor) {
        let outC = weight.shape[0]
        precondition([gamma, beta, mean, variance].allSatisfy { $0.shape == [outC] }, "[BatchNormFolding] statistics do not match \(outC) channels")
        let factor = gamma.cast(to: .float64) / (variance.cast(to: .float64) + epsilon).sqrt()
        let shape = [outC] + [Int](repeating: 1, count: weight.rank - 1)
        let w = (weight.cast(to: .float64) * factor.reshaped(shape)).cast(to: weight.dtype)
        let b0 = bias?.cast(to: .float64) ?? Tensor.zeros([outC], dtype: .float64)
        let b = ((b0 - mean.cast(to: .float64)) * factor + beta.cast(to: .float64)).cast(to: weight.dtype)
        return (w, b)
    }
}
