import CFoedusKernels

/// The three GEMMs of a fully quantized conv/linear layer on the int8 kernels (FQT).
///
/// A layer is viewed as `Y[o][j] = Σ_k W̃[o][k]·X̃[k][j]` with `j = (n, l)` running over samples
/// and output pixels (`l` is one pixel per sample for a linear layer) and `k` over the
/// im2col rows (input channel, kernel tap). Operands are affine codes:
/// - activations `X̃ = (q − z)·Δx`, one step and an integer zero point per tensor, stored as
///   `q − 128` (int8) so the same buffer feeds the forward GEMM as B and the weight-gradient
///   GEMM as A;
/// - weights `W̃[o][k] = w[o][k]·Δw[o]`, symmetric int8 per output channel;
/// - gradients: codes `c ∈ [0, 2^b − 1]` with `G̃ = c·step + offset`, step/offset per tensor,
///   per row or per column as the gradient quantizer chose.
/// Every product runs as an int8 GEMM with int32 accumulation; the per-row and per-column
/// scales, offsets and zero points factor out exactly and are applied afterwards in Float.
public enum IntegerTraining {
    /// The largest reduction length whose u8·s8 sums stay below 2³¹ (255·128·65,536 < 2³¹):
    /// longer weight-gradient reductions are split and summed in Int64.
    public static let maxReduction = 65_536

    /// `y[n][o][l] = Δw[o]·Δx·Σ_k w[o][k]·(q[k][j] − z) + bias[o]`, written NCHW (`[N, O, L]`).
    /// - Parameters:
    ///   - columns: activation codes minus 128, `[K, N·L]` row-major.
    ///   - weights: int8 weights `[O, K]`; `weightSums[o] = Σ_k w[o][k]`.
    /// `reference: true` runs the scalar twin of the vector epilogue.
    public static func forward(columns: UnsafePointer<Int8>, k: Int, samples n: Int, pixels l: Int, zeroPoint: Int32, activationStep: Float,
                               weights: UnsafePointer<Int8>, weightSums: UnsafePointer<Int32>, weightSteps: UnsafePointer<Float>, outChannels o: Int,
                               bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, reference: Bool = false) {
        let nl = n * l
        // Blocks of whole samples whose int32 product (≤ 64 Ki values) stays in cache until the
        // epilogue turns it into the NCHW output.
        let block = max(1, min(n, 65_536 / max(o * l, 1)))
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(o * block * l, 1))
        defer { acc.deallocate() }
        // (q − 128)·w summed; the true reduction is over (q − z) = (q − 128) + (128 − z).
        let shift = 128 - zeroPoint
        let correction = (0..<o).map { shift &* weightSums[$0] }
        let scale = (0..<o).map { weightSteps[$0] * activationStep }
        for s0 in stride(from: 0, to: n, by: block) {
            let count = min(block, n - s0), width = count * l
            let packed = PackedInt8Matrix(columns + s0 * l, k: k, n: width, strideK: nl, strideN: 1)
            IntegerGEMM.multiply(weights, lda: k, m: o, packed, into: acc, ldc: width)
            if !reference {
                foedus_fqt_forward_rows(acc, o, count, l, correction, scale, bias, y + s0 * o * l, 1)
                continue
            }
            for oc in 0..<o {
                let b = bias?[oc] ?? 0
                let row = acc + oc * width
                for s in 0..<count {
                    let dst = y + ((s0 + s) * o + oc) * l
                    let src = row + s * l
                    for p in 0..<l { dst[p] = Float(src[p] &+ correction[oc]) * scale[oc] + b }
                }
            }
        }
    }

    /// `∇W[o][k] = Σ_j X̃[k][j]·G̃[j][o]` and `∇b[o] = Σ_j G̃[j][o]` with gradient codes
    /// `[N·L, O]` (row-major, grouping per tensor or per column `o`).
    /// - Parameters:
    ///   - codes: gradient codes `[N·L, O]`; `step`/`offset` have one entry (per tensor) or `O`.
    public static func weightGradient(columns: UnsafePointer<Int8>, k: Int, reduction nl: Int, zeroPoint: Int32, activationStep: Float,
                                      codes: UnsafePointer<UInt8>, outChannels o: Int, step: UnsafePointer<Float>, offset: UnsafePointer<Float>, perColumn: Bool,
                                      weightGradient dw: UnsafeMutablePointer<Float>, biasGradient db: UnsafeMutablePointer<Float>?) {
        let activationSums = activationRowSums(columns, k: k, reduction: nl, zeroPoint: zeroPoint)
        let chunk = maxReduction
        let chunks = (nl + chunk - 1) / chunk
        // One chunk (every layer with N·L ≤ 2¹⁶) reads the int32 product directly; longer
        // reductions sum their chunks in Int64.
        var total = [Int64](repeating: 0, count: chunks > 1 ? k * o : 0)
        var codeSums = [Int64](repeating: 0, count: o)
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(k * o, 1))
        defer { acc.deallocate() }
        var start = 0
        while start < nl {
            let rows = min(chunk, nl - start)
            let packed = PackedInt8Matrix(codesMinus128: codes + start * o, k: rows, n: o, strideK: o, strideN: 1)
            // A = columns[:, start ..< start + rows] as int8 (q − 128) with zero point z − 128.
            IntegerGEMM.multiply(columns + start, lda: nl, m: k, packed, aZeroPoint: zeroPoint - 128, into: acc, ldc: o)
            if chunks > 1 {
                for i in 0..<(k * o) { total[i] += Int64(acc[i]) }
            }
            for oc in 0..<o { codeSums[oc] += Int64(packed.columnSums[oc]) + 128 * Int64(rows) }
            start += rows
        }
        total.withUnsafeBufferPointer { tb in
            weightGradientEpilogue(chunks > 1 ? nil : UnsafePointer(acc), tb.baseAddress, k: k, reduction: nl, outChannels: o,
                                   activationStep: activationStep, activationSums: activationSums, codeSums: codeSums,
                                   step: step, offset: offset, perColumn: perColumn, weightGradient: dw, biasGradient: db)
        }
    }

    /// ``weightGradient(columns:k:reduction:zeroPoint:activationStep:codes:outChannels:step:offset:perColumn:weightGradient:biasGradient:)``
    /// with the gradient codes already packed (``GradientQuantizer/packedWeightGradientCodes(_:samples:channels:pixels:bits:grouping:key:reference:)``):
    /// `packed` holds `c − 128` as the `[N·L, O]` B, `N·L ≤` ``maxReduction``.
    public static func weightGradient(columns: UnsafePointer<Int8>, k: Int, zeroPoint: Int32, activationStep: Float, packed: PackedInt8Matrix,
                                      step: UnsafePointer<Float>, offset: UnsafePointer<Float>, perColumn: Bool,
                                      weightGradient dw: UnsafeMutablePointer<Float>, biasGradient db: UnsafeMutablePointer<Float>?) {
        let nl = packed.k, o = packed.n
        precondition(nl <= maxReduction, "IntegerTraining.weightGradient: \(nl) packed rows exceed \(maxReduction)")
        let activationSums = activationRowSums(columns, k: k, reduction: nl, zeroPoint: zeroPoint)
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(k * o, 1))
        defer { acc.deallocate() }
        IntegerGEMM.multiply(columns, lda: nl, m: k, packed, aZeroPoint: zeroPoint - 128, into: acc, ldc: o)
        let codeSums = packed.columnSums.map { Int64($0) + 128 * Int64(nl) }
        weightGradientEpilogue(acc, nil, k: k, reduction: nl, outChannels: o, activationStep: activationStep, activationSums: activationSums,
                               codeSums: codeSums, step: step, offset: offset, perColumn: perColumn, weightGradient: dw, biasGradient: db)
    }

    /// Σ_j (q − z) per row of the `[K, N·L]` columns, for the offset term: the C kernel
    /// (`vpsadbw`), or with `reference: true` the Swift loop (Int32 per chunk: |Σ| < 128·2¹⁶).
    static func activationRowSums(_ columns: UnsafePointer<Int8>, k: Int, reduction nl: Int, zeroPoint: Int32, reference: Bool = false) -> [Int64] {
        var sums = [Int64](repeating: 0, count: k)
        if !reference {
            sums.withUnsafeMutableBufferPointer { foedus_fqt_row_sums(columns, k, nl, nl, $0.baseAddress!, 1) }
            return sums.map { $0 + Int64(nl) * Int64(128 - zeroPoint) }
        }
        for kk in 0..<k {
            let row = columns + kk * nl
            var s: Int64 = 0
            var start = 0
            while start < nl {
                let end = min(start + maxReduction, nl)
                var part: Int32 = 0
                for j in start..<end { part &+= Int32(row[j]) }
                s += Int64(part)
                start = end
            }
            sums[kk] = s + Int64(nl) * Int64(128 - zeroPoint)
        }
        return sums
    }

    /// `∇W` from the `[K, O]` product (Int32 `acc` of one chunk, or Int64 `total` of several)
    /// and `∇b` from the code sums. G̃ = (c − 128)·step + (128·step + offset): the GEMM holds
    /// Σ (q − z)(c − 128).
    static func weightGradientEpilogue(_ acc: UnsafePointer<Int32>?, _ total: UnsafePointer<Int64>?, k: Int, reduction nl: Int, outChannels o: Int,
                                       activationStep: Float, activationSums: [Int64], codeSums: [Int64],
                                       step: UnsafePointer<Float>, offset: UnsafePointer<Float>, perColumn: Bool,
                                       weightGradient dw: UnsafeMutablePointer<Float>, biasGradient db: UnsafeMutablePointer<Float>?) {
        let dx = Double(activationStep)
        activationSums.withUnsafeBufferPointer { asums in
            // Tiles of 16 rows of the [K, O] product: writes run along ∇W's rows.
            let tile = 16
            for k0 in stride(from: 0, to: k, by: tile) {
                let k1 = min(k0 + tile, k)
                for oc in 0..<o {
                    let g = perColumn ? oc : 0
                    let st = Double(step[g]), centre = 128 * Double(step[g]) + Double(offset[g])
                    let dst = dw + oc * k
                    if let acc {
                        for kk in k0..<k1 { dst[kk] = Float(dx * (st * Double(acc[kk * o + oc]) + centre * Double(asums[kk]))) }
                    } else if let total {
                        for kk in k0..<k1 { dst[kk] = Float(dx * (st * Double(total[kk * o + oc]) + centre * Double(asums[kk]))) }
                    }
                }
            }
        }
        for oc in 0..<o {
            let g = perColumn ? oc : 0
            db?[oc] = Float(Double(step[g]) * Double(codeSums[oc]) + Double(nl) * Double(offset[g]))
        }
    }

    /// `∇X̃cols[n][k][l] = Σ_o w[o][k]·G̃[n][o][l]` for gradient codes `[N, O·L]` (grouping per
    /// tensor or per row `n`), written `[N, K, L]` (per sample, the layout col2im folds).
    /// The codes quantize `G·diag(Δw)`, so the product with the integer weights is already the
    /// product with `W̃`.
    /// - Parameters:
    ///   - weightsTransposed: `wᵀ` as `[K, O]` int8; `transposedSums[k] = Σ_o w[o][k]`.
    public static func inputGradient(codes: UnsafePointer<UInt8>, samples n: Int, outChannels o: Int, pixels l: Int,
                                     step: UnsafePointer<Float>, offset: UnsafePointer<Float>, perRow: Bool,
                                     weightsTransposed: UnsafePointer<Int8>, transposedSums: UnsafePointer<Int32>, k: Int,
                                     into cols: UnsafeMutablePointer<Float>) {
        let nl = n * l
        // B[o][n·L + p] = c[n][o·L + p] − 128: the gradient as an int8 [O, N·L] matrix. With one
        // pixel per sample it is the codes read with strides; otherwise samples are gathered.
        let packed: PackedInt8Matrix
        if l == 1 {
            packed = PackedInt8Matrix(codesMinus128: codes, k: o, n: n, strideK: 1, strideN: o)
        } else {
            let gathered = UnsafeMutablePointer<UInt8>.allocate(capacity: max(o * nl, 1))
            defer { gathered.deallocate() }
            for s in 0..<n {
                for oc in 0..<o { (gathered + oc * nl + s * l).update(from: codes + (s * o + oc) * l, count: l) }
            }
            packed = PackedInt8Matrix(codesMinus128: gathered, k: o, n: nl, strideK: nl, strideN: 1)
        }
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(k * nl, 1))
        defer { acc.deallocate() }
        IntegerGEMM.multiply(weightsTransposed, lda: o, m: k, packed, into: acc, ldc: nl)
        for s in 0..<n {
            let g = perRow ? s : 0
            let st = step[g], off = offset[g]
            for kk in 0..<k {
                let ws = transposedSums[kk]
                let centre = Float(128 &* ws) * st + off * Float(ws)
                let src = acc + kk * nl + s * l
                let dst = cols + (s * k + kk) * l
                for p in 0..<l { dst[p] = Float(src[p]) * st + centre }
            }
        }
    }

    /// The input gradient of a convolution straight into image layout, one sample at a time:
    /// per sample the `[O, L]` codes are the GEMM's B as they lie, the `[K, L]` product and its
    /// column gradient stay in cache, and col2im folds them into `dx[n]` (`C·H·W` floats). Equal
    /// to ``inputGradient(codes:samples:outChannels:pixels:step:offset:perRow:weightsTransposed:transposedSums:k:into:)``
    /// followed by ``WindowKernels/fold(_:_:_:)`` per sample, without the `[N, K, L]` intermediate.
    public static func inputGradientImages(codes: UnsafePointer<UInt8>, samples n: Int, outChannels o: Int, window g: WindowGeometry,
                                           step: UnsafePointer<Float>, offset: UnsafePointer<Float>, perRow: Bool,
                                           weightsTransposed: UnsafePointer<Int8>, transposedSums: UnsafePointer<Int32>,
                                           into dx: UnsafeMutablePointer<Float>, reference: Bool = false) {
        let l = g.outHeight * g.outWidth
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(g.channels * g.kernelH * g.kernelW * l, 1))
        defer { acc.deallocate() }
        for s in 0..<n {
            let packed = PackedInt8Matrix(codesMinus128: codes + s * o * l, k: o, n: l, strideK: l, strideN: 1)
            let grp = perRow ? s : 0
            inputGradientImage(packed, sample: s, step: step[grp], offset: offset[grp], window: g, weightsTransposed: weightsTransposed,
                               transposedSums: transposedSums, scratch: acc, into: dx, reference: reference)
        }
    }

    /// One sample of ``inputGradientImages(codes:samples:outChannels:window:step:offset:perRow:weightsTransposed:transposedSums:into:reference:)``
    /// from its packed `[O, L]` codes − 128: the GEMM into `scratch` (`K·L` int32), then the
    /// rescale and col2im into `dx[sample]` (the C kernel, or with `reference: true` the Swift
    /// rescale loop and ``WindowKernels/fold(_:_:_:)``, bit-identical).
    static func inputGradientImage(_ packed: PackedInt8Matrix, sample s: Int, step st: Float, offset off: Float, window g: WindowGeometry,
                                   weightsTransposed: UnsafePointer<Int8>, transposedSums: UnsafePointer<Int32>,
                                   scratch acc: UnsafeMutablePointer<Int32>, into dx: UnsafeMutablePointer<Float>, reference: Bool) {
        let l = g.outHeight * g.outWidth, k = g.channels * g.kernelH * g.kernelW, o = packed.k
        let image = g.channels * g.height * g.width
        IntegerGEMM.multiply(weightsTransposed, lda: o, m: k, packed, into: acc, ldc: l)
        guard reference else {
            foedus_fqt_fold_rescaled(acc, transposedSums, st, off, g.channels, g.height, g.width, g.kernelH, g.kernelW, g.strideH, g.strideW,
                                     g.padH, g.padW, g.dilationH, g.dilationW, g.outHeight, g.outWidth, dx + s * image)
            return
        }
        let cols = UnsafeMutablePointer<Float>.allocate(capacity: max(k * l, 1))
        defer { cols.deallocate() }
        for kk in 0..<k {
            let ws = transposedSums[kk]
            let centre = Float(128 &* ws) * st + off * Float(ws)
            let a = acc + kk * l, c = cols + kk * l
            for p in 0..<l { c[p] = Float(a[p]) * st + centre }
        }
        WindowKernels.fold(cols, dx + s * image, g)
    }
}
