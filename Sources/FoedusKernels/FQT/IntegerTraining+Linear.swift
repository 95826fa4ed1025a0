import CFoedusKernels

/// The backward GEMMs of a linear layer with the samples as the GEMM's rows: no transposed
/// copies of the activations, the weights or the products.
extension IntegerTraining {
    /// `∇X[n][k] = Σ_o G̃[n][o]·w[o][k]` for gradient codes `[N, O]` (grouping per tensor or per
    /// row): the codes are the GEMM's uint8 A with zero point 128 and the weight codes `[O, K]`
    /// its B, so the product is already `[N, K]`. Equal to
    /// ``inputGradient(codes:outChannels:pixels:weightsTransposed:transposedSums:k:)`` with one
    /// pixel per sample (the same integers, the same rescale).
    public static func linearInputGradient(codes: AffineCodes, weights: WeightCodes) -> [Float] {
        let n = codes.rows, o = weights.outChannels, k = weights.k
        precondition(codes.cols == o && codes.grouping != .columns, "IntegerTraining.linearInputGradient: codes \(codes.rows)×\(codes.cols) for O \(o)")
        guard n > 0, k > 0 else { return [Float](repeating: 0, count: n * k) }
        let packed = weights.codes.withUnsafeBufferPointer { PackedInt8Matrix($0.baseAddress!, k: o, n: k, strideK: k, strideN: 1) }
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(n * k, 1))
        defer { acc.deallocate() }
        codes.codes.withUnsafeBufferPointer { q in
            IntegerGEMM.multiply(q.baseAddress!, lda: o, m: n, packed, aZeroPoint: 128, into: acc, ldc: k)
        }
        let perRow = codes.grouping == .rows
        return [Float](unsafeUninitializedCapacity: n * k) { out, initialized in
            weights.transposedSums.withUnsafeBufferPointer { ts in
                for s in 0..<n {
                    let st = codes.step[perRow ? s : 0], off = codes.offset[perRow ? s : 0]
                    let src = acc + s * k, dst = out.baseAddress! + s * k
                    for kk in 0..<k {
                        let ws = ts[kk]
                        let centre = Float(128 &* ws) * st + off * Float(ws)
                        dst[kk] = Float(src[kk]) * st + centre
                    }
                }
            }
            initialized = n * k
        }
    }

    /// `∇W[o][k] = Σ_n X̃[n][k]·G̃[n][o]` and `∇b` of a linear layer from its activation codes
    /// `[N, K]` and gradient codes `[N, O]` (grouping per tensor or per column): `Gᵀ` codes are
    /// the GEMM's uint8 A (zero point 128), the activation codes its B (as `q − 128`), so the
    /// product is already `[O, K]`. Equal to
    /// ``weightGradient(columns:k:activation:codes:)`` on the transposed activation codes.
    /// - Precondition: `N ≤` ``maxReduction``.
    /// `reference: true` runs the scalar twin of the vector epilogue.
    public static func linearWeightGradient(activationCodes q: [UInt8], activation: ActivationScale, codes: AffineCodes,
                                            reference: Bool = false) -> (weights: [Float], bias: [Float]) {
        let n = codes.rows, o = codes.cols, k = n > 0 ? q.count / n : 0
        precondition(q.count == n * k && n <= maxReduction && codes.grouping != .rows,
                     "IntegerTraining.linearWeightGradient: \(q.count) activation codes, gradient codes \(codes.rows)×\(o)")
        guard n > 0, o > 0, k > 0 else {
            let db = (0..<o).map { oc in Float(Double(n) * Double(codes.offset[codes.grouping == .columns ? oc : 0])) }
            return ([Float](repeating: 0, count: o * k), db)
        }
        // Gᵀ as uint8 [O, N] and Σ_n (c − 128) per output.
        var transposed = [UInt8](repeating: 0, count: o * n)
        var centred = [Int64](repeating: 0, count: o)
        codes.codes.withUnsafeBufferPointer { c in
            for s in 0..<n {
                for oc in 0..<o {
                    transposed[oc * n + s] = c[s * o + oc]
                    centred[oc] += Int64(c[s * o + oc]) - 128
                }
            }
        }
        let packed = q.withUnsafeBufferPointer { PackedInt8Matrix(codesMinus128: $0.baseAddress!, k: n, n: k, strideK: k, strideN: 1) }
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(o * k, 1))
        defer { acc.deallocate() }
        transposed.withUnsafeBufferPointer { a in
            IntegerGEMM.multiply(a.baseAddress!, lda: n, m: o, packed, aZeroPoint: 128, into: acc, ldc: k)
        }
        // The GEMM holds Σ (c − 128)(q − 128); the weight gradient needs Σ (c − 128)(q − z), which
        // fits in Int32 for N ≤ 2¹⁶ (|Σ| < 2¹⁶·128·255), as the column form's product does.
        let shift = Int64(128 - activation.zeroPoint)
        let activationSums = packed.columnSums.map { Double(Int64($0) + Int64(n) * shift) }
        let perColumn = codes.grouping == .columns
        let correction = centred.map { Int32(truncatingIfNeeded: shift * $0) }
        let st = (0..<o).map { Double(codes.step[perColumn ? $0 : 0]) }
        let centre = (0..<o).map { 128 * Double(codes.step[perColumn ? $0 : 0]) + Double(codes.offset[perColumn ? $0 : 0]) }
        let dw = [Float](unsafeUninitializedCapacity: o * k) { out, initialized in
            foedus_fqt_wgrad_rows(acc, o, k, correction, activationSums, st, centre, Double(activation.step), out.baseAddress!, reference ? 0 : 1)
            initialized = o * k
        }
        let db = (0..<o).map { oc -> Float in
            let g = perColumn ? oc : 0
            let codeSum = centred[oc] + 128 * Int64(n)
            return Float(Double(codes.step[g]) * Double(codeSum) + Double(n) * Double(codes.offset[g]))
        }
        return (dw, db)
    }
}
