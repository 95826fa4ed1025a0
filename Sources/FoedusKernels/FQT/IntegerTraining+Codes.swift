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
            var lo: Float = 0, hi: Float = 0, poison: Float = 0
            for v in x {
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
                poison += v - v
            }
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
        /// all zeros when the step is not finite (a non-finite input).
        public func quantize(_ x: UnsafeBufferPointer<Float>, into q: UnsafeMutablePointer<UInt8>) {
            guard step.isFinite else {
                q.update(repeating: 0, count: x.count)
                return
            }
            let top = Float((1 << bits) - 1), z = Float(zeroPoint), inv = 1 / step
            for i in 0..<x.count {
                q[i] = UInt8(Swift.min(Swift.max(IntegerTraining.roundAway(x[i] * inv) + z, 0), top))
            }
        }

        /// `x̃ = (q − z)·step`.
        public func dequantize(_ q: UnsafeBufferPointer<UInt8>, into x: UnsafeMutablePointer<Float>) {
            for i in 0..<q.count { x[i] = Float(Int32(q[i]) - zeroPoint) * step }
        }
    }

    /// `v.rounded()` (ties away from zero) without the libm call `rounded()` lowers to: the
    /// truncation plus one step when the exact remainder `v − trunc(v)` reaches ½. Identical for
    /// every finite Float (the remainder is exact for |v| < 2²³, and larger values are integers).
    @inline(__always)
    public static func roundAway(_ v: Float) -> Float {
        let t = v.rounded(.towardZero)
        let r = v - t
        return r >= 0.5 ? t + 1 : (r <= -0.5 ? t - 1 : t)
    }

    /// Symmetric per-output-channel weight codes: `w̃[o][k] = q[o][k]·step[o]`,
    /// `q ∈ [−(2^(bits−1) − 1), 2^(bits−1) − 1]`, `step[o] = max_k |w[o][k]| / (2^(bits−1) − 1)`
    /// (1 for an all-zero channel), nearest rounding (ties away from zero). A channel holding
    /// NaN or ±∞ gets codes 0 and a NaN step.
    public static func quantizeWeights(_ w: UnsafeBufferPointer<Float>, outChannels o: Int, bits: Int,
                                       codes: UnsafeMutablePointer<Int8>, steps: UnsafeMutablePointer<Float>) {
        precondition((2...8).contains(bits) && o > 0 && w.count % o == 0, "IntegerTraining.quantizeWeights: \(w.count) weights, \(o) channels, \(bits) bits")
        let k = w.count / o
        let top = Float((1 << (bits - 1)) - 1)
        for oc in 0..<o {
            var m: Float = 0, poison: Float = 0
            for i in 0..<k {
                let v = w[oc * k + i]
                m = Swift.max(m, abs(v))
                poison += v - v
            }
            guard poison == 0 else {
                // Diverged weights: codes 0 with a NaN step, so the layer's output is NaN.
                steps[oc] = .nan
                (codes + oc * k).update(repeating: 0, count: k)
                continue
            }
            let step = m > 0 ? m / top : 1
            steps[oc] = step
            for i in 0..<k {
                codes[oc * k + i] = Int8(Swift.min(Swift.max(IntegerTraining.roundAway(w[oc * k + i] / step), -top), top))
            }
        }
    }

    /// im2col of activation codes into `[C·kh·kw, N·L]` int8 columns holding `q − 128`
    /// (row `c·kh·kw + i·kw + j`, column `n·L + oy·ow + ox`); padding reads the zero point.
    /// - Parameter codes: NCHW codes of `n` images of `g.channels × g.height × g.width`.
    public static func columns(_ codes: UnsafePointer<UInt8>, samples n: Int, geometry g: WindowGeometry, zeroPoint: Int32,
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
                            for ox in valid { drow[ox] = Int8(bitPattern: src[ox * g.strideW + offset] ^ 0x80) }
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
        for s in 0..<n {
            let src = codes + s * k
            for f in 0..<k { cols[f * n + s] = Int8(bitPattern: src[f] ^ 0x80) }
        }
    }
}
