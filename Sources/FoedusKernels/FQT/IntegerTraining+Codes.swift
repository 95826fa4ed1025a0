import CFoedusKernels

/// The forward quantizers of fully quantized training and the im2col of their codes.
extension IntegerTraining {
    /// An activation tensor's affine map: `x̃ = (q − zeroPoint)·step`, `q ∈ [0, 2^bits − 1]`.
    public struct ActivationScale: Sendable, Equatable {
        public var step: Float
        public var zeroPoint: Int32
        public var bits: Int

        /// The per-tensor scale of `x`: the range `[min(x, 0), max(x, 0)]` over `2^bits − 1`
        /// steps with real 0 on an integer code, so zero padding and exact zeros (after ReLU)
        /// stay exact — the reference's unaligned quantizer turns them into small non-zeros.
        /// An all-zero tensor gets step 1; a tensor holding NaN or ±∞ gets a NaN step.
        public init(_ x: UnsafeBufferPointer<Float>, bits: Int) {
            precondition((2...8).contains(bits), "IntegerTraining.ActivationScale: \(bits) bits (2…8)")
            let (lo, hi, poison) = IntegerTraining.rangeWithZero(x)
            let levels = Float((1 << bits) - 1)
            let range = hi - lo
            self.bits = bits
            if !(poison == 0 && range.isFinite) {
                // A diverged activation: every code is 0 and dequantizes to NaN, so the loss
                // shows the divergence instead of a trap in a float-to-integer conversion.
                step = .nan
                zeroPoint = 0
            } else if range > 0 {
                step = range / levels
                zeroPoint = Int32(Swift.min(Swift.max((-lo / step).rounded(), 0), levels))
            } else {
                step = 1
                zeroPoint = 0
            }
        }

        public init(step: Float, zeroPoint: Int32, bits: Int) {
            self.step = step
            self.zeroPoint = zeroPoint
            self.bits = bits
        }

        /// Nearest codes `q = clamp(round(x/step) + z, 0, 2^bits − 1)` (ties away from zero);
        /// all zeros when the step is not finite (a non-finite input). Runs the C kernel,
        /// bit-identical to ``quantizeReference(_:into:)``.
        public func quantize(_ x: UnsafeBufferPointer<Float>, into q: UnsafeMutablePointer<UInt8>) {
            guard step.isFinite else {
                q.update(repeating: 0, count: x.count)
                return
            }
            guard let base = x.baseAddress else { return }
            foedus_fqt_quantize_u8(base, x.count, 1 / step, Float(zeroPoint), Float((1 << bits) - 1), q)
        }

        /// The scalar reference twin of ``quantize(_:into:)``.
        public func quantizeReference(_ x: UnsafeBufferPointer<Float>, into q: UnsafeMutablePointer<UInt8>) {
            guard step.isFinite else {
                q.update(repeating: 0, count: x.count)
                return
            }
            let top = Float((1 << bits) - 1), z = Float(zeroPoint), inv = 1 / step
            // The clamped code is an integer in [0, 255]: its byte is the low mantissa byte of
            // code + 2²³, a conversion that cannot trap, so the loop vectorises.
            for i in 0..<x.count {
                let code = Swift.min(Swift.max(IntegerTraining.roundAway(x[i] * inv) + z, 0), top)
                q[i] = UInt8(truncatingIfNeeded: (code + 0x1p23).bitPattern)
            }
        }

        /// `x̃ = (q − z)·step`.
        public func dequantize(_ q: UnsafeBufferPointer<UInt8>, into x: UnsafeMutablePointer<Float>) {
            for i in 0..<q.count { x[i] = Float(Int32(q[i]) - zeroPoint) * step }
        }
    }

    /// `v.rounded()` (ties away from zero) for `|v| ≤ 2²⁴`, without the libm calls `rounded()`
    /// lowers to on baseline x86-64: truncation through an Int32 conversion, plus one step when
    /// the exact remainder `v − trunc(v)` reaches ½ (every Float of magnitude ≥ 2²³ is an
    /// integer). Larger magnitudes return ±2²⁴: every caller clamps to at most 8 bits anyway.
    @inline(__always)
    public static func roundAway(_ v: Float) -> Float {
        let limit: Float = 0x1p24
        let c = v > limit ? limit : (v < -limit ? -limit : v)
        let t = Float(Int32(c))
        let r = c - t
        return r >= 0.5 ? t + 1 : (r <= -0.5 ? t - 1 : t)
    }

    /// Symmetric per-output-channel weight codes: `w̃[o][k] = q[o][k]·step[o]`,
    /// `q ∈ [−(2^(bits−1) − 1), 2^(bits−1) − 1]`, `step[o] = max_k |w[o][k]| / (2^(bits−1) − 1)`
    /// (1 for an all-zero channel), nearest rounding (ties away from zero). A channel holding
    /// NaN or ±∞ gets codes 0 and a NaN step.
    /// `reference: true` runs the scalar Swift twin of the C kernel (bit-identical).
    public static func quantizeWeights(_ w: UnsafeBufferPointer<Float>, outChannels o: Int, bits: Int,
                                       codes: UnsafeMutablePointer<Int8>, steps: UnsafeMutablePointer<Float>, reference: Bool = false) {
        precondition((2...8).contains(bits) && o > 0 && w.count % o == 0, "IntegerTraining.quantizeWeights: \(w.count) weights, \(o) channels, \(bits) bits")
        let k = w.count / o
        let top = Float((1 << (bits - 1)) - 1)
        for oc in 0..<o {
            let (m, poison) = maxMagnitude(w.baseAddress! + oc * k, k)
            guard poison == 0 else {
                // Diverged weights: codes 0 with a NaN step, so the layer's output is NaN.
                steps[oc] = .nan
                (codes + oc * k).update(repeating: 0, count: k)
                continue
            }
            let step = m > 0 ? m / top : 1
            steps[oc] = step
            if !reference {
                foedus_fqt_quantize_s8(w.baseAddress! + oc * k, k, step, top, codes + oc * k)
                continue
            }
            for i in 0..<k {
                // An integer in [−127, 127] read from the mantissa of code + 2²³ + 128.
                let code = Swift.min(Swift.max(IntegerTraining.roundAway(w[oc * k + i] / step), -top), top)
                codes[oc * k + i] = Int8(bitPattern: UInt8(truncatingIfNeeded: (code + (0x1p23 + 128)).bitPattern) ^ 0x80)
            }
        }
    }

    /// `min(x ∪ {0})`, `max(x ∪ {0})` and `Σ (x − x)` (0 when every value is finite): the
    /// vectorised range of ``GradientQuantizer/rangeAndPoison(_:_:)`` widened to include 0 (a
    /// zero bound is +0, as a running bound started at 0 leaves it).
    static func rangeWithZero(_ x: UnsafeBufferPointer<Float>) -> (min: Float, max: Float, poison: Float) {
        guard let base = x.baseAddress else { return (0, 0, 0) }
        let r = GradientQuantizer.rangeAndPoison(base, x.count)
        return (r.min < 0 ? r.min : 0, r.max > 0 ? r.max : 0, r.poison)
    }

    /// `max_i |x[i]|` (0 for no values) and `Σ (x − x)` (0 when every value is finite).
    static func maxMagnitude(_ x: UnsafePointer<Float>, _ count: Int) -> (max: Float, poison: Float) {
        typealias Lane = SIMD16<Float>
        var i = 0
        var vm = Lane(), vpoison = Lane()
        let raw = UnsafeRawPointer(x)
        while i + Lane.scalarCount <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: Lane.self)
            let a = v.replacing(with: -v, where: v .< 0)
            vm = vm.replacing(with: a, where: a .> vm)
            vpoison += v - v
            i += Lane.scalarCount
        }
        var m = vm.max(), poison = vpoison.sum()
        while i < count {
            m = Swift.max(m, abs(x[i]))
            poison += x[i] - x[i]
            i += 1
        }
        return (m, poison)
    }

    /// im2col of activation codes into `[C·kh·kw, N·L]` int8 columns holding `q − 128`
    /// (row `c·kh·kw + i·kw + j`, column `n·L + oy·ow + ox`); padding reads the zero point.
    /// Runs the C kernel, bit-identical to ``columnsReference(_:samples:geometry:zeroPoint:into:)``.
    /// - Parameter codes: NCHW codes of `n` images of `g.channels × g.height × g.width`.
    public static func columns(_ codes: UnsafePointer<UInt8>, samples n: Int, geometry g: WindowGeometry, zeroPoint: Int32,
                               into cols: UnsafeMutablePointer<Int8>) {
        let pad = Int8(bitPattern: UInt8(truncatingIfNeeded: zeroPoint) ^ 0x80)
        foedus_fqt_im2col(codes, n, g.channels, g.height, g.width, g.kernelH, g.kernelW, g.strideH, g.strideW, g.padH, g.padW,
                          g.dilationH, g.dilationW, g.outHeight, g.outWidth, pad, cols)
    }

    /// The scalar Swift twin of ``columns(_:samples:geometry:zeroPoint:into:)``.
    public static func columnsReference(_ codes: UnsafePointer<UInt8>, samples n: Int, geometry g: WindowGeometry, zeroPoint: Int32,
                                        into cols: UnsafeMutablePointer<Int8>) {
        let oh = g.outHeight, ow = g.outWidth, l = oh * ow, nl = n * l
        let image = g.channels * g.height * g.width
        let pad = Int8(bitPattern: UInt8(truncatingIfNeeded: zeroPoint) ^ 0x80)
        for s in 0..<n {
            var row = 0
            for c in 0..<g.channels {
                let xc = codes + s * image + c * g.height * g.width
                for i in 0..<g.kernelH {
                    for j in 0..<g.kernelW {
                        let dst = cols + row * nl + s * l
                        for oy in 0..<oh {
                            let iy = oy * g.strideH - g.padH + i * g.dilationH
                            let drow = dst + oy * ow
                            if iy < 0 || iy >= g.height {
                                drow.update(repeating: pad, count: ow)
                                continue
                            }
                            let src = xc + iy * g.width
                            let valid = g.validColumns(kernelColumn: j)
                            let offset = j * g.dilationW - g.padW
                            for ox in 0..<valid.lowerBound { drow[ox] = pad }
                            if g.strideW == 1 {
                                let s1 = src + offset
                                for ox in valid { drow[ox] = Int8(bitPattern: s1[ox] ^ 0x80) }
                            } else {
                                for ox in valid { drow[ox] = Int8(bitPattern: src[ox * g.strideW + offset] ^ 0x80) }
                            }
                            for ox in valid.upperBound..<ow { drow[ox] = pad }
                        }
                        row += 1
                    }
                }
            }
        }
    }

    /// The columns of a linear layer: `[N, K]` codes transposed to `[K, N]`, holding `q − 128`.
    public static func transposedColumns(_ codes: UnsafePointer<UInt8>, samples n: Int, features k: Int, into cols: UnsafeMutablePointer<Int8>) {
        // Tiles of 16 samples: each write fills 16 consecutive bytes of a column row.
        let tile = 16
        for s0 in stride(from: 0, to: n, by: tile) {
            let s1 = Swift.min(s0 + tile, n)
            for f in 0..<k {
                let dst = cols + f * n
                for s in s0..<s1 { dst[s] = Int8(bitPattern: codes[s * k + f] ^ 0x80) }
            }
        }
    }

    /// Symmetric per-channel weight codes and what the three GEMMs of a layer need from them.
    public struct WeightCodes: Sendable {
        public let outChannels: Int, k: Int
        /// `q[o][k]`, `[O, K]` row-major.
        public let codes: [Int8]
        /// `Δw[o]` (NaN for a channel holding NaN or ±∞).
        public let steps: [Float]
        /// `Σ_k q[o][k]`.
        public let sums: [Int32]
        /// `qᵀ`, `[K, O]` row-major, for a convolution's input-gradient GEMM (empty when built
        /// with `transposing: false`).
        public let transposed: [Int8]
        /// `Σ_o q[o][k]`.
        public let transposedSums: [Int32]

        /// Quantizes `[O, K]` weights (``quantizeWeights(_:outChannels:bits:codes:steps:reference:)``);
        /// `transposing: false` skips ``transposed`` (a linear layer's GEMMs read the codes as they are).
        public init(_ w: UnsafeBufferPointer<Float>, outChannels o: Int, bits: Int, transposing: Bool = true) {
            precondition(o > 0 && w.count % o == 0, "IntegerTraining.WeightCodes: \(w.count) weights for \(o) channels")
            let k = w.count / o
            var steps = [Float](repeating: 0, count: o)
            let codes = [Int8](unsafeUninitializedCapacity: w.count) { c, n in
                steps.withUnsafeMutableBufferPointer { quantizeWeights(w, outChannels: o, bits: bits, codes: c.baseAddress!, steps: $0.baseAddress!) }
                n = w.count
            }
            var sums = [Int32](repeating: 0, count: o)
            var transposedSums = [Int32](repeating: 0, count: k)
            let transposed = [Int8](unsafeUninitializedCapacity: transposing ? w.count : 0) { t, n in
                codes.withUnsafeBufferPointer { q in
                    sums.withUnsafeMutableBufferPointer { rs in
                        transposedSums.withUnsafeMutableBufferPointer { cs in
                            for oc in 0..<o {
                                let row = q.baseAddress! + oc * k
                                var total: Int32 = 0
                                for i in 0..<k { total &+= Int32(row[i]) }
                                rs[oc] = total
                                for i in 0..<k { cs[i] &+= Int32(row[i]) }
                            }
                            guard transposing else { return }
                            // Tiles of 16 channels: each write fills 16 consecutive bytes of a
                            // row of qᵀ instead of one byte per cache line.
                            let tile = 16
                            for o0 in stride(from: 0, to: o, by: tile) {
                                let o1 = Swift.min(o0 + tile, o)
                                for i in 0..<k {
                                    let dst = t.baseAddress! + i * o
                                    for oc in o0..<o1 { dst[oc] = q[oc * k + i] }
                                }
                            }
                        }
                    }
                }
                n = transposing ? w.count : 0
            }
            self.outChannels = o
            self.k = k
            self.codes = codes
            self.steps = steps
            self.sums = sums
            self.transposed = transposed
            self.transposedSums = transposedSums
        }
    }
}
