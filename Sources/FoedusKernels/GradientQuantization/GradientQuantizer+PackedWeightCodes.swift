import CFoedusKernels

/// Weight-gradient codes written straight into the integer GEMM's packed B operand.
public struct PackedGradientCodes: Sendable {
    /// Codes − 128 of the `[N·L, O]` gradient matrix, packed for ``IntegerGEMM`` (`k = N·L`, `n = O`).
    public let packed: PackedInt8Matrix
    /// `.tensor` (one step and offset) or `.columns` (one per output channel).
    public let grouping: AffineCodes.Grouping
    /// Bits per code.
    public let bits: Int
    /// The real value of one code unit per group.
    public let step: [Float]
    /// The real value of code 0 per group.
    public let offset: [Float]
}

extension GradientQuantizer {
    /// The stochastic codes of an NCHW output gradient `G [N, O, L]` for the weight-gradient GEMM,
    /// without the `[N·L, O]` transpose: equal, draw for draw, to ``perTensor(_:rows:cols:bits:key:)``
    /// (`grouping: .tensor`) or ``perGroup(_:rows:cols:bits:grouping:key:)`` with `.columns` of G
    /// transposed to `[N·L, O]`, followed by ``PackedInt8Matrix/init(codesMinus128:k:n:strideK:strideN:reference:)``.
    /// The packing's column sums are the per-channel sums of `code − 128`.
    ///
    /// - Returns: nil when the fused kernel does not apply: `O` not a multiple of 8 (one Philox
    ///   block holds the uniforms of eight channels of a row), an empty
    ///   gradient, more than ``IntegerTraining/maxReduction`` rows, or `.rows` grouping.
    /// - Precondition: every value finite, `bits` in 2…8.
    /// `reference: true` runs the scalar C twin of the AVX-512 kernel. `range`, when given for
    /// `.tensor`, is G's minimum and maximum already known (``finiteRange(_:)``), saving a pass;
    /// `rowRanges`, when given for `.columns`, are the ranges of G's `N·O` rows of `L` values
    /// (``finiteRowRanges(_:rows:cols:)``), from which the per-channel ranges follow without
    /// reading G again.
    public static func packedWeightGradientCodes(_ g: UnsafeBufferPointer<Float>, samples n: Int, channels o: Int, pixels l: Int, bits: Int,
                                                 grouping: AffineCodes.Grouping, key: RandomKey, range known: (min: Float, max: Float)? = nil,
                                                 rowRanges: [(min: Float, max: Float)]? = nil, reference: Bool = false) -> PackedGradientCodes? {
        let rows = n * l
        guard o > 0, o % 8 == 0, rows > 0, rows <= IntegerTraining.maxReduction, grouping != .rows, let base = g.baseAddress else { return nil }
        checkShape("packedWeightGradientCodes", g, rows: rows, cols: o, bits: bits)
        let top = Float((1 << bits) - 1)
        var params: [AffineParameters]
        if grouping == .tensor {
            let range = known ?? rangeOf(base, g.count, "perTensor")
            params = [AffineParameters](repeating: perTensorParameters(range.min, range.max, top: top), count: o)
        } else {
            let ranges = rowRanges.flatMap { $0.count == n * o ? channelRanges(rows: $0, samples: n, channels: o) : nil }
                ?? channelRanges(base, samples: n, channels: o, pixels: l)
            params = ranges.map { minMaxParameters($0.min, $0.max, top: top) }
        }
        let z = params.map(\.z), s = params.map(\.s), c = params.map(\.c)
        // The kernel zeroes the packed bytes and the sums itself before writing them.
        let size = PackedInt8Matrix.packedSize(k: rows, n: o)
        var sums = [Int32](repeating: 0, count: o)
        let philox = key.philoxKey
        var status: Int32 = 0
        let bytes = [Int8](unsafeUninitializedCapacity: size) { b, initialized in
            status = sums.withUnsafeMutableBufferPointer { cs in
                foedus_fqt_wgrad_codes(base, n, o, l, z, s, c, top, philox.x, philox.y, RandomStream.roundingUniformDomain,
                                       b.baseAddress!, cs.baseAddress!, reference ? 0 : 1)
            }
            initialized = size
        }
        precondition(status == 0, "GradientQuantizer.packedWeightGradientCodes: kernel status \(status)")
        let kept: [AffineParameters] = grouping == .tensor ? [params[0]] : params
        return PackedGradientCodes(packed: PackedInt8Matrix(packed: bytes, k: rows, n: o, columnSums: sums), grouping: grouping, bits: bits,
                                   step: kept.map(\.step), offset: kept.map(\.offset))
    }

    /// ``channelRanges(_:samples:channels:pixels:)`` from the ranges of the `N·O` rows, combined
    /// in the same order (so the same values, signs of zero included).
    static func channelRanges(rows: [(min: Float, max: Float)], samples n: Int, channels o: Int) -> [(min: Float, max: Float)] {
        var ranges = [(min: Float, max: Float)](repeating: (.infinity, -.infinity), count: o)
        for s in 0..<n {
            for c in 0..<o {
                let r = rows[s * o + c]
                ranges[c] = (Swift.min(ranges[c].min, r.min), Swift.max(ranges[c].max, r.max))
            }
        }
        return ranges
    }

    /// Per-channel minimum and maximum of an NCHW `[N, O, L]` tensor (over samples and pixels).
    /// - Precondition: every value finite.
    static func channelRanges(_ g: UnsafePointer<Float>, samples n: Int, channels o: Int, pixels l: Int) -> [(min: Float, max: Float)] {
        var ranges = [(min: Float, max: Float)](repeating: (.infinity, -.infinity), count: o)
        for s in 0..<n {
            for c in 0..<o {
                let r = rangeOf(g + (s * o + c) * l, l, "perGroup")
                ranges[c] = (Swift.min(ranges[c].min, r.min), Swift.max(ranges[c].max, r.max))
            }
        }
        return ranges
    }
}
