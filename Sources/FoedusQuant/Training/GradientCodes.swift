import FoedusKernels

/// The two independent quantizations of a layer's output gradient G (NCHW `[N, O, L]`), shared
/// by the integer path and its float oracle so both see the same random draws. Each is a layout
/// step and a quantizer step, public apart for profiling.
public enum GradientCodes {
    /// Codes of G for the weight-gradient GEMM, as an `[N·L, O]` matrix: per tensor (ptq) or per
    /// output channel over the batch and pixels (psq, bhq) — the grouping that factors out of
    /// `X̃ᵀ·G`.
    public static func forWeights(_ g: UnsafeBufferPointer<Float>, samples n: Int, channels o: Int, pixels l: Int,
                                  config: QuantizedTraining, key: RandomKey) -> AffineCodes {
        forWeights(weightLayout(g, samples: n, channels: o, pixels: l), channels: o, config: config, key: key)
    }

    /// G `[N, O, L]` transposed to `[N·L, O]`.
    public static func weightLayout(_ g: UnsafeBufferPointer<Float>, samples n: Int, channels o: Int, pixels l: Int) -> [Float] {
        precondition(g.count == n * o * l, "GradientCodes.weightLayout: \(g.count) values for \(n)×\(o)×\(l)")
        var transposed = [Float](repeating: 0, count: g.count)
        transposed.withUnsafeMutableBufferPointer { t in
            for s in 0..<n {
                for c in 0..<o {
                    let src = g.baseAddress! + (s * o + c) * l
                    let dst = t.baseAddress! + s * l * o + c
                    for p in 0..<l { dst[p * o] = src[p] }
                }
            }
        }
        return transposed
    }

    /// The weight-gradient quantizer on G already in the `[N·L, O]` layout.
    public static func forWeights(_ transposed: [Float], channels o: Int, config: QuantizedTraining, key: RandomKey) -> AffineCodes {
        transposed.withUnsafeBufferPointer { t in
            switch config.gradientQuantizer {
            case .ptq: return GradientQuantizer.perTensor(t, rows: t.count / o, cols: o, bits: config.weightGradientBits, key: key)
            case .psq, .bhq: return GradientQuantizer.perGroup(t, rows: t.count / o, cols: o, bits: config.weightGradientBits, grouping: .columns, key: key)
            }
        }
    }

    /// Codes of `G·diag(Δw)` for the input-gradient GEMM, as an `[N, O·L]` matrix (one row per
    /// sample): per tensor (ptq), per sample (psq) or block Householder (bhq, whose transform
    /// mixes samples and is returned for the inverse). Scaling by the per-channel weight step
    /// first lets the GEMM use the integer weights; the estimate stays unbiased.
    public static func forInputs(_ g: UnsafeBufferPointer<Float>, samples n: Int, channels o: Int, pixels l: Int, weightSteps: [Float],
                                 config: QuantizedTraining, key: RandomKey) -> (codes: AffineCodes, transform: BlockHouseholder?) {
        forInputs(scaledByWeightSteps(g, samples: n, channels: o, pixels: l, weightSteps: weightSteps), samples: n, config: config, key: key)
    }

    /// `G·diag(Δw)`: channel `c` of every sample times `weightSteps[c]`.
    public static func scaledByWeightSteps(_ g: UnsafeBufferPointer<Float>, samples n: Int, channels o: Int, pixels l: Int, weightSteps: [Float]) -> [Float] {
        precondition(g.count == n * o * l && weightSteps.count == o, "GradientCodes.scaledByWeightSteps: \(g.count) values, \(weightSteps.count) steps for \(n)×\(o)×\(l)")
        var scaled = [Float](repeating: 0, count: g.count)
        scaled.withUnsafeMutableBufferPointer { t in
            for s in 0..<n {
                for c in 0..<o {
                    let off = (s * o + c) * l, w = weightSteps[c]
                    for p in 0..<l { t[off + p] = g[off + p] * w }
                }
            }
        }
        return scaled
    }

    /// The input-gradient quantizer on the scaled gradient, `[N, O·L]`.
    public static func forInputs(_ scaled: [Float], samples n: Int, config: QuantizedTraining, key: RandomKey) -> (codes: AffineCodes, transform: BlockHouseholder?) {
        scaled.withUnsafeBufferPointer { t in
            let cols = t.count / max(n, 1)
            switch config.gradientQuantizer {
            case .ptq: return (GradientQuantizer.perTensor(t, rows: n, cols: cols, bits: config.gradientBits, key: key), nil)
            case .psq: return (GradientQuantizer.perGroup(t, rows: n, cols: cols, bits: config.gradientBits, grouping: .rows, key: key), nil)
            case .bhq:
                let (transform, codes) = GradientQuantizer.blockHouseholder(t, rows: n, cols: cols, bits: config.gradientBits, key: key)
                return (codes, transform)
            }
        }
    }
}
