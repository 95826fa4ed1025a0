import CFoedusKernels

/// The input gradient of a convolution from its float output gradient, quantized sample by sample.
extension IntegerTraining {
    /// `∇X` `[N, C·H·W]` of a convolution from its output gradient `G` (NCHW `[N, O, L]`) under
    /// PTQ (`grouping: .tensor`, ``GradientQuantizer/perTensor(_:rows:cols:bits:key:)``) or PSQ
    /// (`.rows`, ``GradientQuantizer/perGroup(_:rows:cols:bits:grouping:key:)``) of `G·diag(Δw)`
    /// as `[N, O·L]`: equal, draw for draw, to that quantizer followed by
    /// ``inputGradientImages(codes:outChannels:window:weightsTransposed:transposedSums:reference:)``,
    /// but one sample at a time — the scaled gradient, its uniforms and codes never exist for the
    /// whole batch, and the codes go straight to the packer.
    /// - Precondition: `G` and the steps finite, `bits` in 2…8, grouping `.tensor` or `.rows`.
    public static func inputGradientImages(gradient g: UnsafeBufferPointer<Float>, window w: WindowGeometry, weights: WeightCodes,
                                           bits: Int, grouping: AffineCodes.Grouping, key: RandomKey) -> [Float] {
        let o = weights.outChannels, l = w.outHeight * w.outWidth
        let n = o * l > 0 ? g.count / (o * l) : 0
        let count = n * w.channels * w.height * w.width
        return [Float](unsafeUninitializedCapacity: count) { dx, initialized in
            if let base = dx.baseAddress {
                inputGradientImages(gradient: g, window: w, weights: weights, bits: bits, grouping: grouping, key: key, into: base)
            }
            initialized = count
        }
    }

    /// ``inputGradientImages(gradient:window:weights:bits:grouping:key:)`` into `dx`
    /// (`N·C·H·W` floats, every one written).
    /// `channelRanges`, when given, holds the minimum and maximum of each `(sample, channel)` row
    /// of `G` (``GradientQuantizer/finiteRowRanges(_:rows:cols:)``): with every weight step
    /// positive the per-sample ranges of `G·diag(Δw)` follow from them exactly (multiplying by a
    /// positive number is monotonic in Float), and the first pass over `G` is skipped.
    public static func inputGradientImages(gradient g: UnsafeBufferPointer<Float>, window w: WindowGeometry, weights: WeightCodes,
                                           bits: Int, grouping: AffineCodes.Grouping, key: RandomKey,
                                           channelRanges: [(min: Float, max: Float)]? = nil, into dx: UnsafeMutablePointer<Float>) {
        let o = weights.outChannels, l = w.outHeight * w.outWidth, row = o * l
        let n = row > 0 ? g.count / row : 0
        precondition(grouping != .columns && g.count == n * row && (2...8).contains(bits) && weights.k == w.channels * w.kernelH * w.kernelW,
                     "IntegerTraining.inputGradientImages: \(g.count) gradient values for O \(o), \(w), \(grouping)")
        let top = Float((1 << bits) - 1)
        guard n > 0, let base = g.baseAddress else {
            dx.update(repeating: 0, count: n * w.channels * w.height * w.width)
            return
        }
        let scaled = UnsafeMutablePointer<Float>.allocate(capacity: row)
        let uniforms = UnsafeMutablePointer<Float>.allocate(capacity: row)
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(weights.k * l, 1))
        defer { scaled.deallocate(); uniforms.deallocate(); acc.deallocate() }
        weights.steps.withUnsafeBufferPointer { steps in
            func scale(_ s: Int) {
                for c in 0..<o {
                    let src = base + (s * o + c) * l, dst = scaled + c * l, m = steps[c]
                    for p in 0..<l { dst[p] = src[p] * m }
                }
            }
            // Pass 1: the ranges of G·diag(Δw), per sample (min and max do not depend on order).
            var ranges = [(min: Float, max: Float)]()
            ranges.reserveCapacity(n)
            if let channelRanges, channelRanges.count == n * o, steps.allSatisfy({ $0 > 0 }) {
                for s in 0..<n {
                    var lo = Float.infinity, hi = -Float.infinity
                    for c in 0..<o {
                        let r = channelRanges[s * o + c], m = steps[c]
                        let a = r.min * m, b = r.max * m
                        lo = a < lo ? a : lo
                        hi = b > hi ? b : hi
                    }
                    ranges.append((lo, hi))
                }
            } else {
                for s in 0..<n {
                    scale(s)
                    ranges.append(GradientQuantizer.rangeOf(scaled, row, grouping == .tensor ? "perTensor" : "perGroup"))
                }
            }
            let params: [AffineParameters]
            if grouping == .tensor {
                let lo = ranges.map(\.min).min()!, hi = ranges.map(\.max).max()!
                params = [GradientQuantizer.perTensorParameters(lo, hi, top: top)]
            } else {
                params = ranges.map { GradientQuantizer.minMaxParameters($0.min, $0.max, top: top) }
            }
            // Pass 2: per sample, draw its uniforms (elements s·O·L ..< (s + 1)·O·L of the stream),
            // scale, round and pack in one pass, and run the GEMM into the image.
            weights.transposed.withUnsafeBufferPointer { wt in
                weights.transposedSums.withUnsafeBufferPointer { ts in
                    do {
                        for s in 0..<n {
                            var stream = RandomStream(key: key, offset: UInt64(s * row))
                            stream.fillRoundingUniforms(UnsafeMutableBufferPointer(start: uniforms, count: row))
                            let p = params[grouping == .tensor ? 0 : s]
                            let packed = sampleCodes(base + s * row, channels: o, pixels: l, steps: steps.baseAddress!, uniforms: uniforms,
                                                     parameters: p, top: top)
                            inputGradientImage(packed, sample: s, step: p.step, offset: p.offset, window: w, weightsTransposed: wt.baseAddress!,
                                               transposedSums: ts.baseAddress!, scratch: acc, into: dx, reference: false)
                        }
                    }
                }
            }
        }
    }

    /// One sample's codes of `G·diag(Δw)` (`g`: `[O, L]`, channel-major) rounded with `uniforms`
    /// and `parameters`, packed as the `[O, L]` B operand of the input-gradient GEMM: the C kernel
    /// (AVX-512 when the CPU has it), or with `reference: true` its scalar twin. Equal to scaling
    /// by `steps`, ``GradientQuantizer/roundRun(_:_:_:_:_:_:_:_:reference:)`` and
    /// ``PackedInt8Matrix/init(codesMinus128:k:n:strideK:strideN:reference:)``.
    static func sampleCodes(_ g: UnsafePointer<Float>, channels o: Int, pixels l: Int, steps: UnsafePointer<Float>,
                            uniforms: UnsafePointer<Float>, parameters p: AffineParameters, top: Float, reference: Bool = false) -> PackedInt8Matrix {
        let size = PackedInt8Matrix.packedSize(k: o, n: l)
        var sums = [Int32](repeating: 0, count: l)
        let bytes = [Int8](unsafeUninitializedCapacity: size) { b, initialized in
            sums.withUnsafeMutableBufferPointer { cs in
                foedus_fqt_ingrad_codes(g, o, l, steps, uniforms, p.z, p.s, p.c, top, b.baseAddress!, cs.baseAddress!, reference ? 0 : 1)
            }
            initialized = size
        }
        return PackedInt8Matrix(packed: bytes, k: o, n: l, columnSums: sums)
    }
}
