import FoedusKernels
import XCTest

/// Channels-last (NHWC) integer kernels against their channel-first twins on the transposed data:
/// exact equality, on every backend.
final class IntegerChannelsLastTests: XCTestCase {
    /// `[n, c, s]` → `[n, s, c]`.
    static func channelsLast<T>(_ x: [T], n: Int, c: Int, spatial: Int) -> [T] {
        var out = x
        for i in 0..<n { for ch in 0..<c { for p in 0..<spatial { out[(i * spatial + p) * c + ch] = x[(i * c + ch) * spatial + p] } } }
        return out
    }

    /// `conv.forwardChannelsLast` of NHWC `x` with `requantizer` fused: bytes, or int32 when `wide`
    /// (each value as Int32; a byte as its UInt8 value). Output slots start as a pattern the kernels
    /// must overwrite.
    static func requantized(_ conv: IntegerConv2D, _ x: [UInt8], batch: Int, h: Int, w: Int, zeroPoint: Int32, bias: [Int32],
                            _ requantizer: ChannelRequantizer, wide: Bool, backend: IntegerBackend) -> [Int32] {
        let (oh, ow) = conv.outputSize(h: h, w: w)
        let count = batch * oh * ow * conv.outChannels
        var bytes = [UInt8](repeating: 0xA5, count: wide ? 0 : count)
        var values = [Int32](repeating: 0x5A5A_5A5A, count: wide ? count : 0)
        x.withUnsafeBufferPointer { px in
            bias.withUnsafeBufferPointer { pb in
                if wide {
                    values.withUnsafeMutableBufferPointer {
                        conv.forwardChannelsLast(px.baseAddress!, batch: batch, h: h, w: w, zeroPoint: zeroPoint, bias: pb.baseAddress,
                                                 requantizer: requantizer, into: .int32($0.baseAddress!), backend: backend)
                    }
                } else {
                    bytes.withUnsafeMutableBytes {
                        conv.forwardChannelsLast(px.baseAddress!, batch: batch, h: h, w: w, zeroPoint: zeroPoint, bias: pb.baseAddress,
                                                 requantizer: requantizer, into: .bytes($0.baseAddress!), backend: backend)
                    }
                }
            }
        }
        return wide ? values : bytes.map { Int32($0) }
    }

    func testConvolutionEqualsTheDirectConvolutionTransposed() {
        // Oracle: IntegerConv2D.reference (direct scalar loops) on the NCHW input, transposed to NHWC.
        var data = IntegerTestData(seed: 61)
        typealias Case = (n: Int, c: Int, o: Int, h: Int, w: Int, k: (Int, Int), s: (Int, Int), p: (Int, Int), d: (Int, Int), g: Int)
        let cases: [Case] = [
            (2, 1, 32, 9, 7, (3, 3), (1, 1), (1, 1), (1, 1), 1),    // conv1 of cnn-gn (one channel), odd sizes
            (2, 32, 64, 7, 7, (3, 3), (1, 1), (1, 1), (1, 1), 1),   // conv2's channels
            (1, 6, 10, 11, 10, (3, 2), (2, 1), (2, 0), (1, 2), 2),  // stride, dilation, groups
            (3, 5, 17, 5, 6, (1, 1), (1, 1), (0, 0), (1, 1), 1),
            (2, 1, 5, 9, 8, (3, 2), (2, 1), (1, 0), (2, 1), 1),     // one channel: the framed im2col, stride and dilation
            (1, 4, 4, 7, 7, (3, 3), (1, 1), (1, 1), (1, 1), 4),     // depthwise: framed im2col of a channel slice
            (3, 32, 3, 40, 40, (3, 3), (1, 1), (1, 1), (1, 1), 1),  // 460 KB of columns per image: GEMM blocks of 2 + 1 images
            // Whole 4-byte words per tap (cg % 4 == 0): VNNI reads the rows in place through a tap
            // table; a 16-column panel runs two tiles (12 rows) at a time.
            (2, 16, 24, 9, 8, (3, 3), (2, 2), (1, 2), (2, 1), 2),  // stride, dilation, asymmetric padding, 2 groups of 8
            (3, 16, 32, 11, 11, (1, 1), (2, 2), (0, 0), (1, 1), 1), // ResNet's projection shortcut
            (1, 64, 20, 6, 5, (3, 3), (1, 1), (1, 1), (1, 1), 1),   // K = 576: two K blocks (512, 64)
            (2, 64, 12, 5, 6, (3, 3), (2, 1), (1, 1), (1, 1), 1),   // ≤ 16 outputs: 12-row pairs, two K blocks of whole taps
            (3, 16, 16, 9, 9, (3, 3), (1, 1), (1, 1), (1, 1), 1),   // ResNet's 16-channel stage: 12-row pairs, then 1 tile + 3 rows
            (2, 12, 16, 7, 5, (3, 3), (1, 1), (1, 1), (1, 1), 1),   // 3 words per tap (not a multiple of 4): the word-by-word pair loop
            (2, 8, 70, 6, 7, (3, 3), (1, 1), (1, 1), (1, 1), 1),    // two panels (64 + 6 columns), the second one in 12-row pairs
            (3, 2, 20, 9, 9, (3, 3), (1, 1), (1, 1), (1, 1), 1),    // 2 channels: taps side by side (8 bytes per row), 32-column 12-row pairs
        ]
        for t in cases {
            let weights = data.int8s(t.o * (t.c / t.g) * t.k.0 * t.k.1)
            let bias = data.int32s(t.o, in: -5000...5000)
            let conv = IntegerConv2D(weights: weights, inChannels: t.c, outChannels: t.o, kernel: t.k, stride: t.s,
                                     padding: t.p, dilation: t.d, groups: t.g)
            var x = data.uint8s(t.n * t.c * t.h * t.w)
            x[0] = 255; x[1] = 0
            let (oh, ow) = conv.outputSize(h: t.h, w: t.w)
            for zero: Int32 in [0, 73, 255] {
                let expected = IntegerConv2D.reference(x, weights: weights, batch: t.n, inChannels: t.c, h: t.h, w: t.w,
                    outChannels: t.o, kernel: t.k, stride: t.s, padding: t.p, dilation: t.d, groups: t.g, zeroPoint: zero, bias: bias)
                let nhwc = Self.channelsLast(x, n: t.n, c: t.c, spatial: t.h * t.w)
                let expectedNHWC = Self.channelsLast(expected, n: t.n, c: t.o, spatial: oh * ow)
                // The fused requantized output against requantizeReference of the int32 result. Small
                // ratios (every shift ≥ 33: the epilogue's one-shift form) as unsigned and as signed
                // bytes, a 4-bit clamp with a zero point (shifts from 32), and ratios up to 3
                // (shifts < 32: the 64-bit form), by zero point.
                let small = data.doubles(t.o, low: 1e-4, high: 0.02).map { Dyadic(ratio: $0) }
                let requantizers = zero == 0
                    ? [ChannelRequantizer(dyadics: small, zeroPoint: 0, clamp: 0...255), ChannelRequantizer(dyadics: small, zeroPoint: -3, clamp: -128...127)]
                    : zero == 73
                    ? [ChannelRequantizer(dyadics: data.doubles(t.o, low: 1e-4, high: 0.3).map { Dyadic(ratio: $0) }, zeroPoint: 3, clamp: 0...15)]
                    : [ChannelRequantizer(dyadics: data.doubles(t.o, low: 1e-3, high: 3).map { Dyadic(ratio: $0) }, zeroPoint: 128, clamp: 0...255)]
                // On an AMX CPU the VNNI backend runs convolutions on AMX tiles: both forms, then.
                let forms = IntegerGEMM.amxAvailable ? [true, false] : [false]
                for (backend, amx) in explicitBackends.flatMap({ b in forms.map { (b, $0) } }) {
                    let allowed = IntegerGEMM.allowAMX(amx)
                    defer { IntegerGEMM.allowAMX(allowed) }
                    let got = conv.forwardChannelsLast(nhwc, batch: t.n, h: t.h, w: t.w, zeroPoint: zero, bias: bias, backend: backend)
                    XCTAssertEqual(got, expectedNHWC, "\(t) z \(zero) \(backend) amx \(amx)")
                    for requantizer in requantizers {
                        let expectedBytes = requantizer.requantizeReference(expectedNHWC, rows: t.n * oh * ow).map { Int32(UInt8(truncatingIfNeeded: $0)) }
                        let bytes = Self.requantized(conv, nhwc, batch: t.n, h: t.h, w: t.w, zeroPoint: zero, bias: bias, requantizer,
                                                     wide: false, backend: backend)
                        XCTAssertEqual(zip(bytes, expectedBytes).filter { $0 != $1 }.count, 0,
                                       "requantized \(t) z \(zero) \(backend) amx \(amx) clamp \(requantizer.clamp)")
                    }
                }
            }
        }
    }

    func testExpandedConvolutionEqualsTheDirectConvolution() {
        // Oracle: IntegerConv2D.reference (direct scalar loops) transposed to NHWC, then
        // requantizeReference. Convolutions whose channels are not whole words run with their taps
        // side by side; with stride 1 in y the direct kernel (integer_conv_expanded.c) reads an
        // image's pixels as consecutive rows, and packs four requantized vectors with saturating
        // packs, or stores requantized int32; one-channel lines are expanded by a masked 64-byte window load and a byte permute
        // (VBMI). The cases reach each of its tile shapes (16, 32, 48, 64 columns and a second
        // panel of 6), masked columns, tails of 1 to 11 rows, rows of another stride (groups),
        // runtime word counts (3 channels, 5 taps) and the general path it hands back (stride 2
        // in y, shifts of 32, a zero point beyond int16 saturation).
        var data = IntegerTestData(seed: 67)
        typealias Case = (n: Int, c: Int, o: Int, h: Int, w: Int, k: (Int, Int), s: (Int, Int), p: (Int, Int), d: (Int, Int), g: Int)
        let cases: [Case] = [
            (2, 1, 32, 28, 28, (3, 3), (1, 1), (1, 1), (1, 1), 1),  // conv1: 784 = 65·12 + 4 pixels, one 64-byte store per row pair
            (1, 1, 16, 9, 7, (3, 3), (1, 1), (1, 1), (1, 1), 1),    // 16 columns: four rows per pack
            (2, 1, 48, 7, 9, (3, 3), (1, 1), (1, 1), (1, 1), 1),    // 48 columns: six-row tiles
            (1, 1, 64, 6, 5, (3, 3), (1, 1), (1, 1), (1, 1), 1),
            (2, 1, 70, 5, 7, (3, 3), (1, 1), (1, 1), (1, 1), 1),    // panels of 64 and 6 columns
            (1, 1, 20, 8, 8, (3, 4), (1, 1), (1, 2), (1, 1), 1),    // 4 taps per row, 20 columns (masked pairs)
            (1, 3, 24, 9, 9, (3, 3), (1, 1), (1, 1), (1, 1), 1),    // RGB: 12 bytes per position
            (1, 1, 12, 9, 9, (5, 5), (1, 1), (2, 2), (1, 1), 1),    // 5 taps: 8 bytes per position
            (2, 1, 8, 9, 8, (3, 3), (1, 2), (1, 1), (2, 1), 1),     // dilation in y, stride in x
            (1, 1, 16, 7, 23, (3, 3), (1, 1), (1, 2), (1, 2), 1),   // dilation in x: taps 2 bytes apart in the line's window
            (1, 4, 8, 7, 7, (3, 3), (1, 1), (1, 1), (1, 1), 4),     // 2 columns of 8 per group
            (2, 1, 8, 9, 8, (3, 3), (2, 1), (1, 1), (1, 1), 1),     // stride 2 in y: the general path
        ]
        for t in cases {
            var weights = data.int8s(t.o * (t.c / t.g) * t.k.0 * t.k.1)
            weights[0] = -128; weights[1] = 127
            let bias = data.int32s(t.o, in: -5000...5000)
            let conv = IntegerConv2D(weights: weights, inChannels: t.c, outChannels: t.o, kernel: t.k, stride: t.s,
                                     padding: t.p, dilation: t.d, groups: t.g)
            var x = data.uint8s(t.n * t.c * t.h * t.w)
            x[0] = 255; x[1] = 0
            let (oh, ow) = conv.outputSize(h: t.h, w: t.w)
            let small = data.doubles(t.o, low: 1e-4, high: 0.02).map { Dyadic(ratio: $0) }
            var withShift32 = small
            withShift32[t.o - 1] = Dyadic(ratio: 0.3)
            // Unsigned and signed bytes, narrow clamps with a zero point (the byte min/max after
            // the packs), a shift of 32 and a zero point the int16 packs cannot carry.
            let requantizers = [
                ChannelRequantizer(dyadics: small, zeroPoint: 0, clamp: 0...255),
                ChannelRequantizer(dyadics: small, zeroPoint: 7, clamp: 7...200),
                ChannelRequantizer(dyadics: small, zeroPoint: -3, clamp: -128...127),
                ChannelRequantizer(dyadics: small, zeroPoint: 1, clamp: -8...7),
                ChannelRequantizer(dyadics: withShift32, zeroPoint: 5, clamp: 0...255),
                ChannelRequantizer(dyadics: small, zeroPoint: -20000, clamp: -128...127),
                // Ratios up to 3 (shifts below 32: the 64-bit form) into int16's range, as cnn-gn's
                // stage 1 hands its int32 results to i-GroupNorm.
                ChannelRequantizer(dyadics: data.doubles(t.o, low: 0.01, high: 3).map { Dyadic(ratio: $0) }, zeroPoint: 0, clamp: -32767...32767),
            ]
            for zero: Int32 in [0, 73] {
                let expected = IntegerConv2D.reference(x, weights: weights, batch: t.n, inChannels: t.c, h: t.h, w: t.w,
                    outChannels: t.o, kernel: t.k, stride: t.s, padding: t.p, dilation: t.d, groups: t.g, zeroPoint: zero, bias: bias)
                let nhwc = Self.channelsLast(x, n: t.n, c: t.c, spatial: t.h * t.w)
                let expectedNHWC = Self.channelsLast(expected, n: t.n, c: t.o, spatial: oh * ow)
                for backend in explicitBackends {
                    XCTAssertEqual(conv.forwardChannelsLast(nhwc, batch: t.n, h: t.h, w: t.w, zeroPoint: zero, bias: bias, backend: backend),
                                   expectedNHWC, "\(t) z \(zero) \(backend)")
                    for requantizer in requantizers {
                        let expectedValues = requantizer.requantizeReference(expectedNHWC, rows: t.n * oh * ow)
                        let label = "\(t) z \(zero) \(backend) zero point \(requantizer.zeroPoint) clamp \(requantizer.clamp)"
                        XCTAssertEqual(Self.requantized(conv, nhwc, batch: t.n, h: t.h, w: t.w, zeroPoint: zero, bias: bias, requantizer,
                                                        wide: true, backend: backend), expectedValues, "int32 " + label)
                        // Bytes, where the clamp fits them.
                        guard requantizer.clamp.lowerBound >= -128 && requantizer.clamp.upperBound <= 255 else { continue }
                        let bytes = Self.requantized(conv, nhwc, batch: t.n, h: t.h, w: t.w, zeroPoint: zero, bias: bias, requantizer,
                                                     wide: false, backend: backend)
                        let wrong = zip(bytes, expectedValues).filter { $0 != Int32(UInt8(truncatingIfNeeded: $1)) }.count
                        XCTAssertEqual(wrong, 0, label)
                    }
                }
            }
        }
    }

    /// `norm.applyChannelsLast` of NHWC `input` (`samples` samples) as bytes.
    static func bytes(_ norm: IBert.GroupNorm, _ input: [Int32], samples: Int, backend: IntegerBackend) -> [UInt8] {
        var got = [UInt8](repeating: 0, count: input.count)
        input.withUnsafeBufferPointer { px in
            got.withUnsafeMutableBufferPointer { norm.applyChannelsLast(px.baseAddress!, samples: samples, into: $0.baseAddress!, backend: backend) }
        }
        return got
    }

    func testGroupNormEqualsTheChannelFirstKernel() {
        // Oracle: IBert.GroupNorm's reference callAsFunction on NCHW, transposed. 24 channels take
        // the generic loops, 32 the AVX-512 sample kernel. Sample 1 is near 2²⁴, so its deviations
        // count·x − sum leave int32 (the int64 fallback) and the squares need a shift; sample 2 has
        // a constant group (σ = 0); γ = 0 makes a dead channel; odd spatial size; ReLU-style clamps.
        for c in [24, 32] {
            var data = IntegerTestData(seed: 62)
            let (n, g, hw) = (3, 8, 49)
            var x = [Double](repeating: 0, count: n * c * hw)
            x.withUnsafeMutableBufferPointer { data.stream.fillNormal($0, mean: -5, std: 1200) }
            var q = x.map { Int32($0.rounded()) }
            for i in (c * hw)..<(2 * c * hw) { q[i] = Int32((x[i] * 15_000).rounded()) }
            for i in (2 * c * hw + 6 * hw)..<(2 * c * hw + 9 * hw) { q[i] = 311 }
            var gamma = data.doubles(c, low: -2, high: 2)
            gamma[4] = 0
            let beta = data.doubles(c, low: -1, high: 1)
            for clamp: ClosedRange<Int32> in [0...15, 0...255] {
                let norm = IBert.GroupNorm(channels: c, groups: g, spatial: hw, gamma: gamma, beta: beta,
                                           outputScale: clamp.upperBound == 15 ? 0.2 : 0.01, clamp: clamp)
                let expected = Self.channelsLast(norm(q).map { UInt8($0) }, n: n, c: c, spatial: hw)
                let input = Self.channelsLast(q, n: n, c: c, spatial: hw)
                for backend in [IntegerBackend.automatic, .scalar] {
                    let wrong = zip(Self.bytes(norm, input, samples: n, backend: backend), expected).filter { $0 != $1 }.count
                    XCTAssertEqual(wrong, 0, "\(c) channels \(clamp) \(backend): \(wrong) of \(expected.count) bytes differ")
                }
                XCTAssertTrue(expected.contains(UInt8(clamp.upperBound)) && expected.contains(0), "the clamp is exercised")
            }
        }
    }

    func testByteGroupNormEqualsTheReferenceAcrossShapesShiftsAndScales() {
        // Oracle: IBert.GroupNorm's reference callAsFunction on NCHW, transposed (and the scalar
        // backend). Shapes: 1–5 blocks of 16 channels (the statistics sweeps of 1…4 blocks, the
        // byte tiles' block cycle), element counts leaving 16, 32 or 48 bytes after the last
        // 64-byte tile, cnn-gn's two stages. Samples: moderate; extremes whose squares need a shift
        // while the deviations fit int32 (±32767 for cnn-gn's stage 1, else as wide as int32
        // deviations allow); a constant group (σ = 0). The shifted squares come from Σx² and Σx
        // when 2^shift divides count, else from the second pass (196 and the odd 225). Output
        // scales: ordinary (c in 33…62, the byte tiles), the largest |γ| at c = 33 (the byte tiles'
        // edge) and at c = 32 (the 64-bit affine loop); γ < 0 and γ = 0; a clamp inside 0…255.
        var moments = false, secondPass = false
        for (c, g, hw) in [(16, 4, 49), (32, 8, 784), (48, 3, 25), (80, 5, 9), (64, 8, 196), (32, 32, 225)] {
            var data = IntegerTestData(seed: 70 + UInt64(c + hw))
            let n = 3, run = c / g * hw
            let scale = hw == 784 ? 32767 : Double(1 << 31) / (2.5 * Double(run))
            var x = [Double](repeating: 0, count: n * c * hw)
            x.withUnsafeMutableBufferPointer { data.stream.fillNormal($0, mean: 3, std: 900) }
            var q = x.map { Int32($0.rounded()) }
            for i in (c * hw)..<(2 * c * hw) { q[i] = Int32(max(-scale, min(scale, (x[i] * scale / 300).rounded()))) }
            for i in (2 * c * hw + run)..<(2 * c * hw + 2 * run) { q[i] = -77 }
            var gamma = data.doubles(c, low: -2, high: 2)
            gamma[2] = 0
            gamma[c - 1] = -0.7
            let beta = data.doubles(c, low: -1, high: 1)
            for gi in 0..<g {
                let s = IntegerResidualFusedTests.shiftAndFits(Array(q[(c * hw + gi * run)..<(c * hw + (gi + 1) * run)]))
                XCTAssertTrue(s.shift > 0 && s.fits, "\(c) channels, group \(gi): a shift with int32 deviations")
                if run % (1 << s.shift) == 0 { moments = true } else { secondPass = true }
            }
            // Dyadic ratio |γ|·√run / 2³⁰ / scale: in [1/8, 1/4) gives c = 33, in [1/4, 1/2) c = 32.
            let unit = gamma.map(abs).max()! * Double(run).squareRoot() / 0x1p30
            for (clamp, outputScale) in [(0...255, 0.01), (3...200, 0.02), (0...255, unit / 0.24), (0...255, unit / 0.49)] as [(ClosedRange<Int32>, Double)] {
                let norm = IBert.GroupNorm(channels: c, groups: g, spatial: hw, gamma: gamma, beta: beta, outputScale: outputScale, clamp: clamp)
                let expected = Self.channelsLast(norm(q).map { UInt8($0) }, n: n, c: c, spatial: hw)
                let input = Self.channelsLast(q, n: n, c: c, spatial: hw)
                for backend in [IntegerBackend.automatic, .scalar] {
                    let wrong = zip(Self.bytes(norm, input, samples: n, backend: backend), expected).filter { $0 != $1 }.count
                    XCTAssertEqual(wrong, 0, "\(c) channels, \(g) groups, \(hw) pixels, \(clamp), scale \(outputScale), \(backend): \(wrong) bytes differ")
                }
                XCTAssertTrue(expected.contains(UInt8(clamp.lowerBound)) && expected.contains(UInt8(clamp.upperBound)), "the clamp is exercised")
                if outputScale > 1e-3 { XCTAssertTrue(Set(expected).count > 20, "\(c) channels \(clamp): the outputs spread") }
            }
        }
        XCTAssertTrue(moments && secondPass, "both ways to the shifted squares")
    }

    func testSignedGroupNormEqualsTheChannelFirstReference() {
        // Oracle: IBert.GroupNorm's reference callAsFunction on NCHW, transposed, with the signed
        // int32 output of a residual branch (clamp ±(2³⁰ − 1), then a tight ±300 clamp that bites).
        // 2 samples, 4 groups, 5×5; sample 1 near 2²⁴ (the int64 fallback); a constant group; γ < 0
        // and 0. 12 channels take the generic loops, 32 the AVX-512 sample kernel.
        for c in [12, 32] {
            var data = IntegerTestData(seed: 64)
            let (n, g, hw) = (2, 4, 25)
            var x = [Double](repeating: 0, count: n * c * hw)
            x.withUnsafeMutableBufferPointer { data.stream.fillNormal($0, mean: 7, std: 900) }
            var q = x.map { Int32($0.rounded()) }
            for i in (c * hw)..<(2 * c * hw) { q[i] = Int32((x[i] * 18_000).rounded()) }
            for i in (3 * hw)..<(6 * hw) { q[i] = -41 }
            var gamma = data.doubles(c, low: -2, high: 2)
            gamma[1] = 0
            gamma[7] = -1.5
            let beta = data.doubles(c, low: -1, high: 1)
            for clamp: ClosedRange<Int32> in [-((1 << 30) - 1)...((1 << 30) - 1), -300...300] {
                let norm = IBert.GroupNorm(channels: c, groups: g, spatial: hw, gamma: gamma, beta: beta, outputScale: 0.004, clamp: clamp)
                let expected = Self.channelsLast(norm(q), n: n, c: c, spatial: hw)
                let input = Self.channelsLast(q, n: n, c: c, spatial: hw)
                for backend in [IntegerBackend.automatic, .scalar] {
                    var got = [Int32](repeating: 0, count: q.count)
                    input.withUnsafeBufferPointer { px in
                        got.withUnsafeMutableBufferPointer { norm.applyChannelsLast(px.baseAddress!, samples: n, into: $0.baseAddress!, backend: backend) }
                    }
                    XCTAssertEqual(got, expected, "\(c) channels \(clamp) \(backend)")
                }
                XCTAssertTrue(expected.contains { $0 < -200 } && expected.contains { $0 > 200 }, "both signs are exercised")
            }
        }
    }

    func testMaxPoolEqualsThePlanarPooling() {
        // Oracle: IntegerPooling.maxPool2 (checked against the definition in IntegerPoolingTests) on
        // the planes, transposed; 2 images, 19 channels (not a vector width), 6×6 with 0 and 255.
        var data = IntegerTestData(seed: 63)
        let (n, c, size) = (2, 19, 6)
        var x = data.uint8s(n * c * size * size)
        x[5] = 255; x[40] = 0
        let expected = Self.channelsLast(IntegerPooling.maxPool2(x, channels: n * c, size: size), n: n, c: c, spatial: 9)
        let input = Self.channelsLast(x, n: n, c: c, spatial: size * size)
        for backend in [IntegerBackend.automatic, .scalar] {
            var got = [UInt8](repeating: 0, count: expected.count)
            input.withUnsafeBufferPointer { px in
                got.withUnsafeMutableBufferPointer {
                    IntegerPooling.maxPool2ChannelsLast(px.baseAddress!, images: n, size: size, channels: c, into: $0.baseAddress!, backend: backend)
                }
            }
            XCTAssertEqual(got, expected, "\(backend)")
        }
    }

    func testInt32ChannelRequantizationEqualsTheScalarDefinition() {
        // Oracle: ChannelRequantizer.requantizeReference (Requantizer per value), with extreme
        // accumulators, 21 channels, a zero multiplier (dead channel) and an in-place run.
        var data = IntegerTestData(seed: 64)
        let rows = 13, cols = 21
        var acc = (0..<(rows * cols)).map { _ in Int32(truncatingIfNeeded: data.stream.nextUInt32()) }
        acc[0] = .min; acc[1] = .max; acc[2] = -1
        var dyadics = data.doubles(cols, low: 1e-6, high: 2).map { Dyadic(ratio: $0) }
        dyadics[3] = Dyadic(b: 0, c: 1)
        let requantizer = ChannelRequantizer(dyadics: dyadics, zeroPoint: 0, clamp: -32767...32767)
        let expected = requantizer.requantizeReference(acc, rows: rows)
        for backend in [IntegerBackend.automatic, .scalar] {
            var inPlace = acc
            inPlace.withUnsafeMutableBufferPointer { p in
                requantizer.requantize(UnsafePointer(p.baseAddress!), rows: rows, lda: cols, into: p.baseAddress!, ldo: cols, backend: backend)
            }
            XCTAssertEqual(inPlace, expected, "\(backend)")
        }
        XCTAssertTrue(expected.contains(32767) && expected.contains(-32767))
    }
}
