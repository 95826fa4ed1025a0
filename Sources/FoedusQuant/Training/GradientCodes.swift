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

    /// The same codes as ``forWeights(_:samples:channels:pixels:config:key:)`` written straight
    /// into the weight-gradient GEMM's packed operand, without the transpose; nil where that
    /// kernel does not apply (O not a multiple of 8, N·L beyond one GEMM chunk).
    /// `range`: G's minimum and maximum when already known (used by PTQ only); `rowRanges`: the
    /// ranges of G's `N·O` rows when already known (used by PSQ and BHQ, per channel).
    public static func forWeightsPacked(_ g: UnsafeBufferPointer<Float>, samples n: Int, channels o: Int, pixels l: Int,
                                        config: QuantizedTraining, key: RandomKey, range: (min: Float, max: Float)? = nil,
                                        rowRanges: [(min: Float, max: Float)]? = nil) -> PackedGradientCodes? {
        let grouping: AffineCodes.Grouping = config.gradientQuantizer == .ptq ? .tensor : .columns
        return GradientQuantizer.packedWeightGradientCodes(g, samples: n, channels: o, pixels: l, bits: config.weightGradientBits,
                                                           grouping: grouping, key: key, range: range, rowRanges: rowRanges)
    }

    /// G `[N, O, L]` transposed to `[N·L, O]` (``IntegerTraining/pixelsByChannels(_:samples:channels:pixels:)``).
    public static func weightLayout(_ g: UnsafeBufferPointer<Float>, samples n: Int, channels o: Int, pixels l: Int) -> [Float] {
        IntegerTraining.pixelsByChannels(g, samples: n, channels: o, pixels: l)
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

    /// `G·diag(Δw)` (``IntegerTraining/scaledByChannel(_:samples:channels:pixels:scales:)``).
    public static func scaledByWeightSteps(_ g: UnsafeBufferPointer<Float>, samples n: Int, channels o: Int, pixels l: Int, weightSteps: [Float]) -> [Float] {
        IntegerTraining.scaledByChannel(g, samples: n, channels: o, pixels: l, scales: weightSteps)
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
