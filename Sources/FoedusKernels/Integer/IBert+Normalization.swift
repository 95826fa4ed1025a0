import CFoedusKernels
import Foundation

extension IBert {
    /// Integer normalisation of one contiguous run of `m` values (I-BERT LayerNorm steps 1–3):
    /// `y = m·x − Σx` (exact, instead of `x − round(μ)`), `σ_int = ⌊√(Σ(y ≫ s)²)⌋·2^s` with the smallest
    /// shift `s` keeping the sum of squares below 2⁶² (chosen per run, not learned), and
    /// `y_n = ⌊y·f / 2^(1+E)⌋` with `f = ⌊2^(31+E)/σ_int⌋`, `E = 30` extra bits (I-BERT uses
    /// `E = 0`, losing precision in `f`). `y_n ≈ (y/σ)·2³⁰/√m`: scale `√m / 2³⁰`. ε is ignored.
    static func normalizeRun(_ x: UnsafePointer<Int32>, count m: Int, into out: UnsafeMutablePointer<Int64>) {
        // Deviations are kept exact as d = m·x − Σx = m·(x − μ) (no rounded mean), so
        // d/√(Σd²) = (x − μ)/√(Σ(x − μ)²) without I-BERT's mean-rounding error.
        var sum: Int64 = 0
        for i in 0..<m { sum += Int64(x[i]) }
        let count = Int64(m)
        var maxAbs: Int64 = 0
        for i in 0..<m { maxAbs = Swift.max(maxAbs, Swift.abs(count * Int64(x[i]) - sum)) }
        var shift: Int64 = 0
        while (maxAbs >> shift) > 0 && Double(maxAbs >> shift) * Double(maxAbs >> shift) * Double(m) >= 0x1p62 { shift += 1 }
        var squares: Int64 = 0
        for i in 0..<m {
            let d = (count * Int64(x[i]) - sum) >> shift
            squares += d * d
        }
        let sigma = isqrt(squares) << shift
        guard sigma > 0 else {
            for i in 0..<m { out[i] = 0 }
            return
        }
        let extra: Int64 = 30
        let f = (Int64(1) << (31 + extra)) / sigma
        // |d| ≤ σ_int + 2^s, so |d·f| ≲ 2^(31+E)·(1 + 2^s/σ) < 2⁶³.
        for i in 0..<m { out[i] = ((count * Int64(x[i]) - sum) * f) >> (1 + extra) }
    }

    /// The per-channel affine output stage shared by LayerNorm and GroupNorm:
    /// `out = sgn(γ_c)·D_c(y_n) + round(β_c/S_out)` with `D_c ≈ |γ_c|·(√m/2³⁰)/S_out` (dyadic).
    struct Affine: Sendable {
        let dyadics: [Dyadic?], signs: [Int64], betas: [Int64]
        let clamp: ClosedRange<Int32>

        init(gamma: [Double], beta: [Double], runLength m: Int, outputScale: Double, clamp: ClosedRange<Int32>) {
            precondition(gamma.count == beta.count, "IBert: gamma and beta differ in length")
            precondition(outputScale > 0 && outputScale.isFinite, "IBert: output scale must be positive")
            let normScale = Double(m).squareRoot() / 0x1p30
            // A multiplier below 2⁻³¹ maps every |y_n| < 2³¹ to 0 or ±1: treat it as 0 (a dead channel)
            // rather than trap; one above 2³⁰ cannot be represented and is clamped there.
            dyadics = gamma.map { g in
                let ratio = Swift.abs(g) * normScale / outputScale
                guard ratio.isFinite, ratio >= 0x1p-31 else { return nil }
                return Dyadic(ratio: Swift.min(ratio, 0x1p30 * (1 - 0x1p-40)))
            }
            signs = gamma.map { $0 < 0 ? -1 : 1 }
            betas = beta.map { Int64(Swift.max(-0x1p40, Swift.min(0x1p40, ($0 / outputScale).rounded(.toNearestOrAwayFromZero)))) }
            self.clamp = clamp
        }

        @inline(__always)
        func apply(_ yn: Int64, channel c: Int) -> Int32 {
            // y_n is below 2³¹ in magnitude (|y_n| ≤ 2³⁰·(1 + 2^s/σ)), so Dyadic.apply is exact.
            let scaled = dyadics[c].map { signs[c] * $0.apply(Int32(clamping: yn)) } ?? 0
            let v = scaled + betas[c]
            return Int32(Swift.min(Swift.max(v, Int64(clamp.lowerBound)), Int64(clamp.upperBound)))
        }
    }

    /// i-LayerNorm over the last dimension of `[rows, n]` int32 inputs, output
    /// `round(γ·(x − μ)/σ + β)` in units of `outputScale`, clamped (ε ignored, as in I-BERT).
    /// Accuracy (§4.8 test 5, 64×768 with an outlier channel): max abs error vs float LN on the
    /// dequantized input ≤ 4.1·10⁻³ (S = 10⁻²) / 5.4·10⁻⁴ (S = 10⁻³), plus `outputScale`/2.
    public struct LayerNorm: Sendable {
        public let hidden: Int
        let affine: Affine

        /// - Parameters: `gamma`, `beta`: per hidden channel (float; used only here).
        public init(gamma: [Double], beta: [Double], outputScale: Double,
                    clamp: ClosedRange<Int32> = Int32.min...Int32.max) {
            hidden = gamma.count
            precondition(hidden >= 1, "IBert.LayerNorm: empty hidden dimension")
            affine = Affine(gamma: gamma, beta: beta, runLength: hidden, outputScale: outputScale, clamp: clamp)
        }

        /// Normalises each row of `x` (`[rows, hidden]`, row-major).
        public func callAsFunction(_ x: [Int32]) -> [Int32] {
            precondition(x.count % hidden == 0, "IBert.LayerNorm: \(x.count) values are not rows of \(hidden)")
            var out = [Int32](repeating: 0, count: x.count)
            var yn = [Int64](repeating: 0, count: hidden)
            x.withUnsafeBufferPointer { px in
                for row in 0..<(x.count / hidden) {
                    yn.withUnsafeMutableBufferPointer { IBert.normalizeRun(px.baseAddress! + row * hidden, count: hidden, into: $0.baseAddress!) }
                    for j in 0..<hidden { out[row * hidden + j] = affine.apply(yn[j], channel: j) }
                }
            }
            return out
        }
    }

    /// i-GroupNorm over NCHW int32 inputs: the LayerNorm statistics per (sample, group) over
    /// `(C/G)·H·W` values, per-channel `γ`, `β`, output in units of `outputScale`, clamped.
    public struct GroupNorm: Sendable {
        public let channels: Int, groups: Int, spatial: Int
        let affine: Affine
        // The affine stage as flat per-channel arrays for the C kernel (b = 0, c = 1 when dead).
        let kernelB: [Int64], kernelC: [Int32], kernelAlive: [UInt8]

        /// - Preconditions: `channels` divisible by `groups`; `spatial = H·W ≥ 1`.
        public init(channels: Int, groups: Int, spatial: Int, gamma: [Double], beta: [Double], outputScale: Double,
                    clamp: ClosedRange<Int32> = Int32.min...Int32.max) {
            precondition(groups >= 1 && channels % groups == 0 && spatial >= 1 && gamma.count == channels,
                         "IBert.GroupNorm: invalid channels \(channels), groups \(groups), spatial \(spatial)")
            self.channels = channels
            self.groups = groups
            self.spatial = spatial
            affine = Affine(gamma: gamma, beta: beta, runLength: channels / groups * spatial, outputScale: outputScale, clamp: clamp)
            kernelB = affine.dyadics.map { $0?.b ?? 0 }
            kernelC = affine.dyadics.map { Int32($0?.c ?? 1) }
            kernelAlive = affine.dyadics.map { $0 == nil ? 0 : 1 }
        }

        /// Normalises `x` (`[batch, channels, H·W]`).
        public func callAsFunction(_ x: [Int32]) -> [Int32] {
            let run = channels / groups * spatial
            precondition(x.count % (channels * spatial) == 0, "IBert.GroupNorm: \(x.count) values are not NCHW samples")
            var out = [Int32](repeating: 0, count: x.count)
            var yn = [Int64](repeating: 0, count: run)
            x.withUnsafeBufferPointer { px in
                for r in 0..<(x.count / run) {
                    yn.withUnsafeMutableBufferPointer { IBert.normalizeRun(px.baseAddress! + r * run, count: run, into: $0.baseAddress!) }
                    let firstChannel = (r % groups) * (channels / groups)
                    for i in 0..<run { out[r * run + i] = affine.apply(yn[i], channel: firstChannel + i / spatial) }
                }
            }
            return out
        }
    }
}

extension IBert.GroupNorm {
    /// The fast twin of ``callAsFunction(_:)`` for uint8 outputs: the C kernel
    /// (`foedus_igroupnorm_u8`, AVX-512 or portable by `backend`), the same integer statistics and
    /// affine stage written straight into `out`. Equal to the reference element for element.
    /// - Preconditions: the clamp lies in `0…255`; `x` holds `samples · channels · spatial` values.
    public func apply(_ x: UnsafePointer<Int32>, samples: Int, into out: UnsafeMutablePointer<UInt8>, backend: IntegerBackend = .automatic) {
        precondition(affine.clamp.lowerBound >= 0 && affine.clamp.upperBound <= 255, "IBert.GroupNorm.apply: clamp \(affine.clamp) does not fit UInt8")
        let scratch = UnsafeMutablePointer<Int64>.allocate(capacity: channels / groups * spatial)
        defer { scratch.deallocate() }
        foedus_igroupnorm_u8(x, samples, channels, groups, spatial, kernelB, kernelC, affine.signs, affine.betas, kernelAlive,
                             Int64(affine.clamp.lowerBound), Int64(affine.clamp.upperBound), scratch, out, backend.rawValue)
    }

    /// ``apply(_:samples:into:backend:)`` on channels-last input: `x` is `[samples, spatial, channels]`
    /// and so is `out`. The same integers as the NCHW kernel on the transposed input (the group
    /// statistics are exact integer sums, gathered here channel by channel).
    /// - Preconditions: the clamp lies in `0…255`; `x` holds `samples · spatial · channels` values.
    public func applyChannelsLast(_ x: UnsafePointer<Int32>, samples: Int, into out: UnsafeMutablePointer<UInt8>,
                                  backend: IntegerBackend = .automatic) {
        precondition(affine.clamp.lowerBound >= 0 && affine.clamp.upperBound <= 255, "IBert.GroupNorm.applyChannelsLast: clamp \(affine.clamp) does not fit UInt8")
        let scratch = UnsafeMutablePointer<Int64>.allocate(capacity: 9 * channels)
        defer { scratch.deallocate() }
        foedus_igroupnorm_nhwc_u8(x, samples, channels, groups, spatial, kernelB, kernelC, affine.signs, affine.betas,
                                  Int64(affine.clamp.lowerBound), Int64(affine.clamp.upperBound), scratch, out, backend.rawValue)
    }

    /// The Swift twin of ``apply(_:samples:into:backend:)`` (per-channel constants hoisted).
    public func applyPortable(_ x: UnsafePointer<Int32>, samples: Int, into out: UnsafeMutablePointer<UInt8>) {
        precondition(affine.clamp.lowerBound >= 0 && affine.clamp.upperBound <= 255, "IBert.GroupNorm.apply: clamp \(affine.clamp) does not fit UInt8")
        let perGroup = channels / groups, run = perGroup * spatial
        let yn = UnsafeMutablePointer<Int64>.allocate(capacity: run)
        defer { yn.deallocate() }
        let lo = Int64(affine.clamp.lowerBound), hi = Int64(affine.clamp.upperBound)
        for r in 0..<(samples * groups) {
            IBert.normalizeRun(x + r * run, count: run, into: yn)
            let firstChannel = (r % groups) * perGroup
            for k in 0..<perGroup {
                let c = firstChannel + k
                let beta = affine.betas[c], sign = affine.signs[c]
                let target = out + r * run + k * spatial, source = yn + k * spatial
                if let d = affine.dyadics[c] {
                    for i in 0..<spatial {
                        let y = sign * d.apply(Int32(clamping: source[i])) + beta
                        target[i] = UInt8(truncatingIfNeeded: Swift.min(Swift.max(y, lo), hi))
                    }
                } else {
                    let y = UInt8(truncatingIfNeeded: Swift.min(Swift.max(beta, lo), hi))
                    for i in 0..<spatial { target[i] = y }
                }
            }
        }
    }
}

extension IBert.GroupNorm {
    /// i-GroupNorm on channels-last input with int32 output in any clamp (e.g. a signed residual
    /// branch): `x` and `out` are `[samples, spatial, channels]`. The C kernel
    /// (`foedus_igroupnorm_nhwc_i32`, AVX-512 or portable by `backend`) gathers the same exact
    /// integer statistics channel by channel, so the result is ``callAsFunction(_:)``'s on the NCHW
    /// input, transposed.
    /// - Precondition: `x` and `out` hold `samples · spatial · channels` values.
    public func applyChannelsLast(_ x: UnsafePointer<Int32>, samples: Int, into out: UnsafeMutablePointer<Int32>,
                                  backend: IntegerBackend = .automatic) {
        let scratch = UnsafeMutablePointer<Int64>.allocate(capacity: 9 * channels)
        defer { scratch.deallocate() }
        foedus_igroupnorm_nhwc_i32(x, samples, channels, groups, spatial, kernelB, kernelC, affine.signs, affine.betas,
                                   Int64(affine.clamp.lowerBound), Int64(affine.clamp.upperBound), scratch, out, backend.rawValue)
    }
}
