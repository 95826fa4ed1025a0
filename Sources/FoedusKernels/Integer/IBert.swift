import Foundation

/// I-BERT integer-only non-linearities (Kim et al. 2021, §4.2 constants). Each kernel is a value
/// type built once from the float input scale `S` (floats are used only at construction); the
/// call path is integer-only with Int64 intermediates, so nothing overflows where I-BERT's Int32
/// code did (trap 4.7.4), and output scales are kept positive (trap 4.7.5).
public enum IBert {
    /// `⌊√n⌋` by integer Newton iteration (paper Alg. 4): `x₀ = 2^⌈bits(n)/2⌉`,
    /// `x_{i+1} = ⌊(x_i + ⌊n/x_i⌋)/2⌋`, stop when `x_{i+1} ≥ x_i`. Exact for every UInt64.
    public static func isqrt(_ n: UInt64) -> UInt64 {
        if n == 0 { return 0 }
        let bits = UInt64.bitWidth - n.leadingZeroBitCount
        var x = UInt64(1) << ((bits + 1) / 2)
        while true {
            let next = (x + n / x) / 2
            if next >= x { return x }
            x = next
        }
    }

    /// `⌊√n⌋` for a non-negative Int64. - Precondition: `n ≥ 0`.
    public static func isqrt(_ n: Int64) -> Int64 {
        precondition(n >= 0, "IBert.isqrt: negative input \(n)")
        return Int64(isqrt(UInt64(n)))
    }

    /// `⌊a / b⌋` toward −∞ for `b > 0` or `b < 0`.
    @usableFromInline
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q
    }

    /// i-GELU: `GELU(x) ≈ x/2·[1 + L(x/√2)]`, `L(x) = sgn(x)·[a(min(|x|, −b) + b)² + 1]`,
    /// `a = −0.2888`, `b = −1.769`, `√2 ≈ 1.4142`.
    ///
    /// With `S' = S/1.4142`, `q_b = ⌊b/S'⌋`, `q_c = ⌊(1/a)/S'²⌋`, `S_erf = a·S'²` (< 0),
    /// `q_1 = ⌊1/S_erf⌋`: `y = sgn(q)·[(min(|q|, −q_b) + q_b)² + q_c]` and the output is
    /// `−q·(y + q_1)` with **positive** scale `−S·S_erf/2` (I-BERT returns the negation with a
    /// negative scale). No 2¹⁴ pre-shift: Int64 holds every intermediate for `S ≥ 10⁻⁶`,
    /// `|q| < 2³¹`.
    ///
    /// Accuracy (§4.8 test 1): max |GELU − output| ≤ 0.025 on `[−5, 5]` for `S ∈ [10⁻⁵, 10⁻³]`
    /// (the approximation alone is 0.0182); `S ≥ 10⁻²` is out of spec (erf resolution collapses).
    public struct GELU: Sendable {
        public let inputScale: Double
        /// Real value of one output unit.
        public let outputScale: Double
        @usableFromInline let qb: Int64, qc: Int64, q1: Int64

        /// - Precondition: `1e-6 ≤ inputScale ≤ 1e-2`.
        public init(inputScale: Double) {
            precondition(inputScale >= 1e-6 && inputScale <= 1e-2, "IBert.GELU: input scale \(inputScale) outside [1e-6, 1e-2]")
            let a = -0.2888, b = -1.769
            let s = inputScale / 1.4142
            qb = Int64((b / s).rounded(.down))
            qc = Int64((1 / a / (s * s)).rounded(.down))
            let sErf = a * s * s
            q1 = Int64((1 / sErf).rounded(.down))
            self.inputScale = inputScale
            outputScale = -inputScale * sErf / 2
        }

        /// GELU of one quantized input (`x ≈ q·S`); the result has scale ``outputScale``.
        @inlinable
        public func callAsFunction(_ q: Int32) -> Int64 {
            let x = Int64(q)
            let clipped = Swift.min(Swift.abs(x), -qb) + qb
            let magnitude = clipped * clipped + qc
            let y = x < 0 ? -magnitude : (x > 0 ? magnitude : 0)
            return -x * (y + q1)
        }

        /// Elementwise over an array.
        public func callAsFunction(_ q: [Int32]) -> [Int64] { q.map { self($0) } }
    }

    /// i-exp for non-positive inputs `x̃ = q·S ≤ 0`: `x̃ = −ln2·z + p`, `exp(x̃) = 2^(−z)·exp(p)`,
    /// `exp(p) ≈ 0.35815147·p² + 0.96963238·p + 1` on `(−ln2, 0]`.
    ///
    /// `q_ln2 = ⌊−0.6931/S⌋`, `q ← max(q, 30·q_ln2)`, `z = ⌊q/q_ln2⌋`, `r = q − q_ln2·z`,
    /// `p = (r + q_b)·r + q_c` (`q_b = ⌊(0.96963238/a)/S⌋`, `q_c = ⌊(1/a)/S²⌋`, scale `a·S²`, the
    /// code's form of the polynomial),
    /// result `(p·2^F) >> z` with `F` extra fraction bits (I-BERT multiplies by the float 2^(30−z);
    /// a shift is exact here) and scale ``outputScale`` `= a·S²/2^F`.
    ///
    /// Accuracy (§4.8 test 2): max abs error ≤ 0.0042 on `[−20, 0]` for `S ∈ [10⁻⁴, 10⁻¹]`.
    public struct Exp: Sendable {
        public let inputScale: Double
        public let outputScale: Double
        @usableFromInline let qln2: Int64, qb: Int64, qc: Int64, fractionBits: Int64
        /// The output for input 0 (≈ 1/outputScale).
        public let one: Int64

        /// - Precondition: `1e-6 ≤ inputScale ≤ 0.5`.
        public init(inputScale: Double) {
            precondition(inputScale >= 1e-6 && inputScale <= 0.5, "IBert.Exp: input scale \(inputScale) outside [1e-6, 0.5]")
            let a = 0.35815147, b = 0.96963238 / a, c = 1.0 / a
            let s = inputScale
            qln2 = Int64((-0.6931 / s).rounded(.down))
            qb = Int64((b / s).rounded(.down))
            qc = Int64((c / (s * s)).rounded(.down))
            // p is a convex parabola in r, so its maximum on [q_ln2, 0] is at an end; keep p·2^F below 2⁶².
            let pMax = Swift.max(Swift.abs(qc), Swift.abs((qln2 + qb) * qln2 + qc))
            let bits = Int64(Int64.bitWidth - pMax.leadingZeroBitCount)
            fractionBits = Swift.max(0, Swift.min(30, 62 - bits))
            self.inputScale = inputScale
            outputScale = a * s * s / Double(Int64(1) << fractionBits)
            one = qc << fractionBits
        }

        /// exp of one quantized non-positive input. - Precondition: `q ≤ 0`.
        @inlinable
        public func callAsFunction(_ q: Int32) -> Int64 {
            precondition(q <= 0, "IBert.Exp: input \(q) is positive")
            let x = Swift.max(Int64(q), 30 * qln2)
            let z = IBert.floorDiv(x, qln2)
            let r = x - qln2 * z
            let p = (r + qb) * r + qc
            return Swift.max((p << fractionBits) >> z, 0)
        }
    }

    /// i-softmax over rows: `e = i-exp(q − max_row q)`, reduced to 16 bits by a fixed right shift
    /// (chosen from `exp(0)`, so no running statistics: trap 4.7.9), `s = Σ e16`,
    /// `f = ⌊2³²/s⌋`, `out = min(⌊e16·f / 2^(32−bits)⌋, 2^bits − 1)` with scale `2^−bits`.
    /// (The clamp matters when one element holds the whole row: `e16·f` can reach `2³²`.)
    ///
    /// Accuracy (§4.8 test 3): logits 𝒩(0, 3²), L = 128, S = 2·10⁻³: max abs error ≤ 0.005,
    /// row sums in `[1 − L/2^bits, 1]`.
    public struct Softmax: Sendable {
        public let exp: Exp
        public let bits: Int
        let shift16: Int64

        /// - Precondition: `1 ≤ bits ≤ 16`.
        public init(inputScale: Double, bits: Int = 8) {
            precondition(bits >= 1 && bits <= 16, "IBert.Softmax: bits \(bits) outside 1...16")
            exp = Exp(inputScale: inputScale)
            self.bits = bits
            let width = Int64(Int64.bitWidth - exp.one.leadingZeroBitCount)
            shift16 = Swift.max(0, width - 15)
        }

        /// Output scale `2^−bits`.
        public var outputScale: Double { Double(1) / Double(1 << bits) }

        /// Softmax of each row of `q` (`[rows, length]` row-major); outputs in `[0, 2^bits − 1]`.
        public func callAsFunction(_ q: [Int32], length: Int) -> [Int32] {
            precondition(length >= 1 && q.count % length == 0, "IBert.Softmax: \(q.count) values are not rows of \(length)")
            var out = [Int32](repeating: 0, count: q.count)
            var e16 = [Int64](repeating: 0, count: length)
            let top = Int64(1 << bits) - 1
            for row in 0..<(q.count / length) {
                let base = row * length
                var m = Int32.min
                for j in 0..<length { m = Swift.max(m, q[base + j]) }
                var sum: Int64 = 0
                for j in 0..<length {
                    // q − max ≥ −2³² + 1 does not fit Int32 in general: clamp to the exp range first.
                    let d = Swift.max(Int64(q[base + j]) - Int64(m), Int64(Int32.min))
                    e16[j] = exp(Int32(d)) >> shift16
                    sum += e16[j]
                }
                let f = (Int64(1) << 32) / Swift.max(sum, 1)
                for j in 0..<length { out[base + j] = Int32(Swift.min((e16[j] * f) >> (32 - Int64(bits)), top)) }
            }
            return out
        }
    }
}
