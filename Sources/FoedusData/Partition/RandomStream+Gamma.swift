#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoedusKernels

extension RandomStream {
    /// A Gamma(`shape`, scale 1) variate (mean and variance `shape`).
    ///
    /// Marsaglia and Tsang (2000) for shape ≥ 1: with d = shape − 1/3, c = 1/√(9d), draw a
    /// standard normal x and a uniform u until v = (1 + c·x)³ > 0 and
    /// u < 1 − 0.0331·x⁴ or ln u < x²/2 + d·(1 − v + ln v); return d·v. For shape < 1,
    /// Gamma(shape + 1) · u^(1/shape). Deterministic in the stream's key and offset, which it
    /// advances by the draws used (a variable number).
    ///
    /// - Precondition: `shape` is positive and finite.
    public mutating func nextGamma(shape: Double) -> Double {
        exp(nextLogGamma(shape: shape))
    }

    /// A Dirichlet(`concentration`) vector: independent Gamma(αᵢ) variates divided by their
    /// sum, computed from their logarithms so that tiny α (whose Gamma variates underflow to 0
    /// in `Double`) still gives a vector that sums to 1.
    ///
    /// - Precondition: `concentration` is non-empty and every αᵢ is positive and finite.
    public mutating func nextDirichlet(_ concentration: [Double]) -> [Double] {
        precondition(!concentration.isEmpty, "[nextDirichlet] empty concentration")
        let logs = concentration.map { nextLogGamma(shape: $0) }
        let top = logs.max()!
        let weights = logs.map { exp($0 - top) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// ln of a Gamma(`shape`) variate (see ``nextGamma(shape:)``).
    mutating func nextLogGamma(shape: Double) -> Double {
        precondition(shape > 0 && shape.isFinite, "[nextGamma] shape must be positive and finite, got \(shape)")
        if shape < 1 {
            // Gamma(a) = Gamma(a + 1) · U^(1/a); in logs, so U^(1/a) cannot underflow.
            let boosted = nextLogGamma(shape: shape + 1)
            return boosted + log(nextOpenUnit()) / shape
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = nextStandardNormal()
            let base = 1 + c * x
            guard base > 0 else { continue }
            let v = base * base * base
            let u = nextOpenUnit()
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 || log(u) < 0.5 * x2 + d * (1 - v + log(v)) {
                return log(d) + log(v)
            }
        }
    }

    /// A uniform value in the open interval (0, 1): (k + ½)·2⁻⁵³ for a 53-bit k.
    mutating func nextOpenUnit() -> Double {
        (Double(nextUInt64() >> 11) + 0.5) * 0x1p-53
    }

    /// One standard normal value from the stream's Double normal domain.
    mutating func nextStandardNormal() -> Double {
        var value = 0.0
        withUnsafeMutablePointer(to: &value) { fillNormal(UnsafeMutableBufferPointer(start: $0, count: 1)) }
        return value
    }
}
