/// Stochastic gradient quantizers for fully quantized training (FQT): the backward quantizers
/// `Q_b` of Chen et al. 2020 (StatQuant), applied to a row-major `rows × cols` gradient
/// matrix (rows = samples, columns = flattened features).
///
/// Every quantizer maps each group of values to `[0, B]`, `B = 2^bits − 1`, by an affine map
/// `v = (x − z)·s`, rounds stochastically and clamps:
/// `code = ⌊v⌋ + (u < v − ⌊v⌋ ? 1 : 0)`, `u` the rounding uniform of element `r·cols + c` of
/// `RandomStream(key: key)` (``RandomStream/fillRoundingUniforms(_:)``, `(k + ½)·2⁻¹⁶`). For `v`
/// in `[0, B]` this is unbiased (`E[code] = v`, `Var = f(1 − f) ≤ ¼`, `f = v − ⌊v⌋`) up to the
/// 16-bit resolution of `u` (a bias of at most 2⁻¹⁷ of a step) and Float rounding of `v`. Results depend only on the input and the key, never on threads.
///
/// Inputs must be finite: NaN or infinity is a precondition failure (a NaN gradient is a
/// training bug to surface, not data to encode).
public enum GradientQuantizer {
    /// The regulariser of the reference implementation added to ranges so that a scale never
    /// divides by zero.
    public static let rangeEpsilon: Float = 1e-8

    /// PTQ: one range for the whole tensor, forced to contain 0, with the reference's
    /// zero-point alignment, then stochastic rounding.
    ///
    /// `mn = min(min x − 1e-8, 0)`, `mx = max(max x + 1e-8, 0)`, `s = B/(mx − mn)`,
    /// `q0 = ⌊−mn·s⌋`. When `q0 > 0` the scale becomes `s' = q0/(−mn)` and `v = x·s' + q0`,
    /// so real 0 maps exactly to the integer `q0` and its code dequantizes to exactly 0.
    /// When `q0 == 0` (every value ≥ about 0) the alignment is skipped (it would divide by
    /// `q0`) and `v = (x − mn)·s`. A constant tensor gets code 0, step 1 and its value as offset.
    ///
    /// - Parameters:
    ///   - x: `rows * cols` finite values, row-major.
    ///   - bits: 2 … 8.
    ///   - key: names the rounding noise; different keys give independent draws.
    /// - Returns: codes with grouping ``AffineCodes/Grouping/tensor``.
    /// - Precondition: `x.count == rows * cols`, `bits` in 2…8, every value finite, the range
    ///   `max − min` finite in Float.
    /// - Complexity: O(rows · cols), two passes, no allocation besides the result.
    public static func perTensor(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, bits: Int,
                                 key: RandomKey) -> AffineCodes {
        checkShape("perTensor", x, rows: rows, cols: cols, bits: bits)
        let top = Float((1 << bits) - 1)
        let range = x.isEmpty ? (min: Float(0), max: Float(0)) : rangeOf(x.baseAddress!, x.count, "perTensor")
        let params = perTensorParameters(range.min, range.max, top: top)
        return encode(x, rows: rows, cols: cols, bits: bits, grouping: .tensor, parameters: [params], key: key)
    }

    /// The PTQ map of a tensor with range `[min, max]` (see ``perTensor(_:rows:cols:bits:key:)``).
    static func perTensorParameters(_ min: Float, _ max: Float, top: Float) -> AffineParameters {
        guard min != max else { return .constant(min) }
        let mn = Swift.min(min - rangeEpsilon, 0)
        let mx = Swift.max(max + rangeEpsilon, 0)
        let s = top / (mx - mn)
        checkScale(s, "perTensor", mn, mx)
        let q0 = (-mn * s).rounded(.down)
        if q0 > 0 {
            let aligned = q0 / -mn
            let step = 1 / aligned
            // -(q0·step) cancels the rounded product in `dequantized()`, so 0 comes back exactly.
            return AffineParameters(z: 0, s: aligned, c: q0, step: step, offset: -(q0 * step))
        }
        return AffineParameters(z: mn, s: s, c: 0, step: 1 / s, offset: mn)
    }

    /// PSQ: one range per row (``AffineCodes/Grouping/rows``, the per-sample quantizer for the
    /// input gradient) or per column (``AffineCodes/Grouping/columns``, for the weight
    /// gradient), then stochastic rounding.
    ///
    /// Per group: `z = min − 1e-8`, `s = B/(max + 1e-8 − z)`, `v = (x − z)·s`. A constant group
    /// gets code 0, step 1 and its value as offset (exact, no noise).
    ///
    /// - Parameters:
    ///   - x: `rows * cols` finite values, row-major.
    ///   - bits: 2 … 8.
    ///   - grouping: `.rows` or `.columns` (`.tensor` is accepted and uses the same
    ///     min/max formula over the whole tensor, without zero alignment).
    ///   - key: names the rounding noise.
    /// - Precondition: `x.count == rows * cols`, `bits` in 2…8, every value finite, every
    ///   group's `max − min` finite in Float.
    /// - Complexity: O(rows · cols), two passes; O(groups) extra memory.
    public static func perGroup(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, bits: Int,
                                grouping: AffineCodes.Grouping, key: RandomKey) -> AffineCodes {
        checkShape("perGroup", x, rows: rows, cols: cols, bits: bits)
        let top = Float((1 << bits) - 1)
        var params: [AffineParameters]
        switch grouping {
        case .tensor:
            let range = x.isEmpty ? (min: Float(0), max: Float(0)) : rangeOf(x.baseAddress!, x.count, "perGroup")
            params = [minMaxParameters(range.min, range.max, top: top)]
        case .rows:
            params = []
            params.reserveCapacity(rows)
            if cols > 0 {
                for r in 0..<rows {
                    let range = rangeOf(x.baseAddress! + r * cols, cols, "perGroup")
                    params.append(minMaxParameters(range.min, range.max, top: top))
                }
            } else {
                params = [AffineParameters](repeating: .constant(0), count: rows)
            }
        case .columns:
            params = columnRanges(x, rows: rows, cols: cols).map { minMaxParameters($0.min, $0.max, top: top) }
        }
        return encode(x, rows: rows, cols: cols, bits: bits, grouping: grouping, parameters: params, key: key)
    }

    static func checkShape(_ function: String, _ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, bits: Int) {
        precondition(rows >= 0 && cols >= 0 && x.count == rows * cols,
                     "GradientQuantizer.\(function): \(x.count) values for \(rows)x\(cols)")
        precondition((2...8).contains(bits), "GradientQuantizer.\(function): bits \(bits) not in 2...8")
    }

    /// `mx > mn` keeps the scale positive; it is 0 (and the step infinite) only when
    /// `mx − mn` overflows Float, a diverged gradient rather than data to encode.
    static func checkScale(_ s: Float, _ function: String, _ mn: Float, _ mx: Float) {
        precondition(s > 0 && s.isFinite && (1 / s).isFinite,
                     "GradientQuantizer.\(function): range [\(mn), \(mx)] overflows Float")
    }

    /// The PSQ map of one group with range `[mn, mx]`.
    static func minMaxParameters(_ mn: Float, _ mx: Float, top: Float) -> AffineParameters {
        if mn == mx { return .constant(mn) }
        let z = mn - rangeEpsilon
        let s = top / ((mx + rangeEpsilon) - z)
        checkScale(s, "perGroup", mn, mx)
        return AffineParameters(z: z, s: s, c: 0, step: 1 / s, offset: z)
    }
}

/// One group's map `v = (x − z)·s + c` and the dequantization `code·step + offset`.
struct AffineParameters {
    var z: Float
    var s: Float
    var c: Float
    var step: Float
    var offset: Float

    /// A constant group: every `v` is 0, code 0 stands for `value` exactly.
    static func constant(_ value: Float) -> AffineParameters {
        AffineParameters(z: value, s: 0, c: 0, step: 1, offset: value)
    }
}
