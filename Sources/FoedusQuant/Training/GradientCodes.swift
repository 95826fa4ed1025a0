import FoedusKernels

/// The two independent quantizations of a layer's output gradient G (NCHW `[N, O, L]`), shared
/// by the integer path and its float oracle so both see the same random draws.
enum GradientCodes {
    /// Codes of G for the weight-gradient GEMM, as an `[N·L, O]` matrix: per tensor (ptq) or per
    /// output channel over the batch and pixels (psq, bhq) — the grouping that factors out of
    /// `X̃ᵀ·G`.
    static func forWeights(_ g: UnsafeBufferPointer<Float>, samples n: Int, channels o: Int, pixels l: Int,
                           config: QuantizedTraining, key: RandomKey) -> AffineCodes {
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
        return transposed.withUnsafeBufferPointer { t in
            switch config.gradientQuantizer {
            case .ptq: return GradientQuantizer.perTensor(t, rows: n * l, cols: o, bits: config.weightGradientBits, key: key)
            case .psq, .bhq: return GradientQuantizer.perGroup(t, rows: n * l, cols: o, bits: config.weightGradientBits, grouping: .columns, key: key)
            }
        }
    }

    /// Codes of `G·diag(Δw)` for the input-gradient GEMM, as an `[N, O·L]` matrix (one row per
    /// sample): per tensor (ptq), per sample (psq) or block Householder (bhq, whose transform
    /// mixes samples and is returned for the inverse). Scaling by the per-channel weight step
    /// first lets the GEMM use the integer weights; the estimate stays unbiased.
    static func forInputs(_ g: UnsafeBufferPointer<Float>, samples n: Int, channels o: Int, pixels l: Int, weightSteps: [Float],
                          config: QuantizedTraining, key: RandomKey) -> (codes: AffineCodes, transform: BlockHouseholder?) {
        var scaled = [Float](repeating: 0, count: g.count)
        scaled.withUnsafeMutableBufferPointer { t in
            for s in 0..<n {
                for c in 0..<o {
                    let off = (s * o + c) * l, w = weightSteps[c]
                    for p in 0..<l { t[off + p] = g[off + p] * w }
                }
            }
        }
        return scaled.withUnsafeBufferPointer { t in
            switch config.gradientQuantizer {
            case .ptq: return (GradientQuantizer.perTensor(t, rows: n, cols: o * l, bits: config.gradientBits, key: key), nil)
            case .psq: return (GradientQuantizer.perGroup(t, rows: n, cols: o * l, bits: config.gradientBits, grouping: .rows, key: key), nil)
            case .bhq:
                let (transform, codes) = GradientQuantizer.blockHouseholder(t, rows: n, cols: o * l, bits: config.gradientBits, key: key)
                return (codes, transform)
            }
        }
    }
}
