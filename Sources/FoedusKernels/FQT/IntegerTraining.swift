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
    public static func forward(columns: UnsafePointer<Int8>, k: Int, samples n: Int, pixels l: Int, zeroPoint: Int32, activationStep: Float,
                               weights: UnsafePointer<Int8>, weightSums: UnsafePointer<Int32>, weightSteps: UnsafePointer<Float>, outChannels o: Int,
                               bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
        let nl = n * l
        let packed = PackedInt8Matrix(columns, k: k, n: nl, strideK: nl, strideN: 1)
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(o * nl, 1))
        defer { acc.deallocate() }
        IntegerGEMM.multiply(weights, lda: k, m: o, packed, into: acc, ldc: nl)
        // (q − 128)·w summed; the true reduction is over (q − z) = (q − 128) + (128 − z).
        let shift = 128 - zeroPoint
        for oc in 0..<o {
            let scale = weightSteps[oc] * activationStep
            let correction = shift &* weightSums[oc]
            let b = bias?[oc] ?? 0
            let row = acc + oc * nl
            for s in 0..<n {
                let dst = y + (s * o + oc) * l
                let src = row + s * l
                for p in 0..<l { dst[p] = Float(src[p] &+ correction) * scale + b }
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
        // Σ_j (q − z) per row k, for the offset term.
        var activationSums = [Int64](repeating: 0, count: k)
        for kk in 0..<k {
            let row = columns + kk * nl
            var s: Int64 = 0
            for j in 0..<nl { s += Int64(row[j]) }
            activationSums[kk] = s + Int64(nl) * Int64(128 - zeroPoint)
        }
        var total = [Int64](repeating: 0, count: k * o)
        var codeSums = [Int64](repeating: 0, count: o)
        let chunk = maxReduction
        let shifted = UnsafeMutablePointer<Int8>.allocate(capacity: max(min(chunk, nl) * o, 1))
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(k * o, 1))
        defer { shifted.deallocate(); acc.deallocate() }
        var start = 0
        while start < nl {
            let rows = min(chunk, nl - start)
            let src = codes + start * o
            for i in 0..<(rows * o) {
                shifted[i] = Int8(bitPattern: src[i] ^ 0x80)
            }
            let packed = PackedInt8Matrix(shifted, k: rows, n: o, strideK: o, strideN: 1)
            // A = columns[:, start ..< start + rows] as int8 (q − 128) with zero point z − 128.
            IntegerGEMM.multiply(columns + start, lda: nl, m: k, packed, aZeroPoint: zeroPoint - 128, into: acc, ldc: o)
            for i in 0..<(k * o) { total[i] += Int64(acc[i]) }
            for oc in 0..<o { codeSums[oc] += Int64(packed.columnSums[oc]) + 128 * Int64(rows) }
            start += rows
        }
        // G̃ = (c − 128)·step + (128·step + offset): the GEMM holds Σ (q − z)(c − 128).
        for oc in 0..<o {
            let g = perColumn ? oc : 0
            let st = Double(step[g]), centre = 128 * Double(step[g]) + Double(offset[g])
            let dx = Double(activationStep)
            let dst = dw + oc * k
            for kk in 0..<k {
                dst[kk] = Float(dx * (st * Double(total[kk * o + oc]) + centre * Double(activationSums[kk])))
            }
            db?[oc] = Float(st * Double(codeSums[oc]) + Double(nl) * Double(offset[g]))
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
        // B[o][n·L + p] = c[n][o·L + p] − 128: the gradient as an int8 [O, N·L] matrix.
        let shifted = UnsafeMutablePointer<Int8>.allocate(capacity: max(o * nl, 1))
        defer { shifted.deallocate() }
        for s in 0..<n {
            for oc in 0..<o {
                let src = codes + (s * o + oc) * l
                let dst = shifted + oc * nl + s * l
                for p in 0..<l { dst[p] = Int8(bitPattern: src[p] ^ 0x80) }
            }
        }
        let packed = PackedInt8Matrix(shifted, k: o, n: nl, strideK: nl, strideN: 1)
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
                                           into dx: UnsafeMutablePointer<Float>) {
        let l = g.outHeight * g.outWidth, k = g.channels * g.kernelH * g.kernelW
        let image = g.channels * g.height * g.width
        let shifted = UnsafeMutablePointer<Int8>.allocate(capacity: max(o * l, 1))
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(k * l, 1))
        let cols = UnsafeMutablePointer<Float>.allocate(capacity: max(k * l, 1))
        defer { shifted.deallocate(); acc.deallocate(); cols.deallocate() }
        for s in 0..<n {
            let src = codes + s * o * l
            for i in 0..<(o * l) { shifted[i] = Int8(bitPattern: src[i] ^ 0x80) }
            let packed = PackedInt8Matrix(shifted, k: o, n: l, strideK: l, strideN: 1)
            IntegerGEMM.multiply(weightsTransposed, lda: o, m: k, packed, into: acc, ldc: l)
            let grp = perRow ? s : 0
            let st = step[grp], off = offset[grp]
            for kk in 0..<k {
                let ws = transposedSums[kk]
                let centre = Float(128 &* ws) * st + off * Float(ws)
                let a = acc + kk * l, c = cols + kk * l
                for p in 0..<l { c[p] = Float(a[p]) * st + centre }
            }
            WindowKernels.fold(cols, dx + s * image, g)
        }
    }
}
