import XCTest
@testable import FoedusKernels

/// The fused FQT kernels against the unfused steps they replace (the scalar twins), bit for bit,
/// on sizes that are no multiple of any vector width, negative values and clamped extremes.
final class FQTFusedKernelTests: XCTestCase {
    /// A gradient-like NCHW tensor: normal values, a few large ones of both signs, exact zeros.
    func gradient(_ count: Int, seed: UInt64) -> [Float] {
        var stream = RandomStream(key: RandomKey(seed: seed))
        var g = [Float](repeating: 0, count: count)
        g.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: -2, high: 1.5) }
        for i in stride(from: 0, to: count, by: 13) { g[i] = 0 }
        if count > 7 { g[7] = 40; g[count - 1] = -35 }
        return g
    }

    func testPackedWeightGradientCodesEqualTheTransposedQuantizerThenPacking() {
        // Oracle: G transposed to [N·L, O], PTQ per tensor / PSQ per column, packed by the
        // scalar packer: the same draws, codes, sums, steps and offsets.
        let key = RandomKey(seed: 31)
        for (n, o, l) in [(3, 8, 37), (2, 24, 16), (5, 8, 1), (1, 16, 64), (7, 72, 5), (2, 8, 3), (4, 40, 9)] {
            let g = gradient(n * o * l, seed: UInt64(n * 1000 + o * 10 + l))
            for bits in [8, 5] {
                for grouping in [AffineCodes.Grouping.tensor, .columns] {
                    let rows = n * l
                    let t = g.withUnsafeBufferPointer { IntegerTraining.pixelsByChannels($0, samples: n, channels: o, pixels: l) }
                    let codes = t.withUnsafeBufferPointer { p in
                        grouping == .tensor ? GradientQuantizer.perTensor(p, rows: rows, cols: o, bits: bits, key: key)
                                            : GradientQuantizer.perGroup(p, rows: rows, cols: o, bits: bits, grouping: .columns, key: key)
                    }
                    let expected = codes.codes.withUnsafeBufferPointer {
                        PackedInt8Matrix(codesMinus128: $0.baseAddress!, k: rows, n: o, strideK: o, strideN: 1, reference: true)
                    }
                    for reference in [false, true] {
                        let fused = g.withUnsafeBufferPointer {
                            GradientQuantizer.packedWeightGradientCodes($0, samples: n, channels: o, pixels: l, bits: bits, grouping: grouping,
                                                                        key: key, reference: reference)
                        }
                        let label = "n \(n) o \(o) l \(l) bits \(bits) \(grouping) reference \(reference)"
                        guard let fused else { return XCTFail("no fused codes for \(label)") }
                        XCTAssertEqual(fused.packed.bytes, expected.bytes, label)
                        XCTAssertEqual(fused.packed.columnSums, expected.columnSums, label)
                        XCTAssertEqual(fused.step, codes.step, label)
                        XCTAssertEqual(fused.offset, codes.offset, label)
                    }
                }
            }
        }
        for o in [5, 12] {
            let odd = gradient(2 * o * 3, seed: 3)
            XCTAssertNil(odd.withUnsafeBufferPointer {
                GradientQuantizer.packedWeightGradientCodes($0, samples: 2, channels: o, pixels: 3, bits: 8, grouping: .tensor, key: key)
            }, "O = \(o) is not a multiple of 8 (one Philox block per eight channels of a row): the caller keeps the unfused path")
        }
    }

    func testSampleInputGradientCodesEqualScaleRoundThenPack() {
        // Oracle: G·diag(Δw) in Swift, GradientQuantizer.roundOne per element, the scalar packer;
        // channel and pixel counts around the 4-row groups, 16-column chunks and 64-column panels,
        // negative values, a range narrower than the data (codes clamped at 0 and top), u = 0 ties.
        for (o, l) in [(1, 1), (3, 17), (5, 196), (8, 64), (13, 70), (64, 196), (6, 129)] {
            let g = gradient(o * l, seed: UInt64(o * 100 + l))
            var stream = RandomStream(key: RandomKey(seed: UInt64(o + l)))
            var steps = [Float](repeating: 0, count: o), u = [Float](repeating: 0, count: o * l)
            steps.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: 0.001, high: 0.05) }
            u.withUnsafeMutableBufferPointer { stream.fillRoundingUniforms($0) }
            for i in stride(from: 2, to: o * l, by: 11) { u[i] = 0 }
            for (bits, lo, hi) in [(8, Float(-0.05), Float(0.04)), (5, -0.01, 0.01), (2, -2, 2)] {
                let top = Float((1 << bits) - 1)
                for p in [GradientQuantizer.perTensorParameters(lo, hi, top: top), GradientQuantizer.minMaxParameters(lo, hi, top: top)] {
                    var scaled = [Float](repeating: 0, count: o * l), codes = [UInt8](repeating: 0, count: o * l)
                    for r in 0..<o { for j in 0..<l { scaled[r * l + j] = g[r * l + j] * steps[r] } }
                    scaled.withUnsafeBufferPointer { x in
                        u.withUnsafeBufferPointer { up in
                            codes.withUnsafeMutableBufferPointer {
                                GradientQuantizer.roundRun(x.baseAddress!, up.baseAddress!, $0.baseAddress!, o * l, p.z, p.s, p.c, top, reference: true)
                            }
                        }
                    }
                    if bits == 5 && o * l > 8 {
                        XCTAssertTrue(codes.contains(0) && codes.contains(UInt8(top)), "o \(o) l \(l): the narrow range clamps both ends")
                    }
                    let expected = codes.withUnsafeBufferPointer {
                        PackedInt8Matrix(codesMinus128: $0.baseAddress!, k: o, n: l, strideK: l, strideN: 1, reference: true)
                    }
                    for reference in [false, true] {
                        let got = g.withUnsafeBufferPointer { gp in
                            steps.withUnsafeBufferPointer { sp in
                                u.withUnsafeBufferPointer { up in
                                    IntegerTraining.sampleCodes(gp.baseAddress!, channels: o, pixels: l, steps: sp.baseAddress!, uniforms: up.baseAddress!,
                                                                parameters: p, top: top, reference: reference)
                                }
                            }
                        }
                        let label = "o \(o) l \(l) bits \(bits) z \(p.z) reference \(reference)"
                        XCTAssertEqual(got.bytes, expected.bytes, label)
                        XCTAssertEqual(got.columnSums, expected.columnSums, label)
                    }
                }
            }
        }
    }

    func testWeightGradientFromPackedCodesEqualsTheUnpackedForm() {
        // Oracle: IntegerTraining.weightGradient on the AffineCodes, exactly.
        var data = IntegerTestData(seed: 12)
        let n = 3, o = 8, l = 37, k = 11
        let g = gradient(n * o * l, seed: 5)
        let columns = data.int8s(k * n * l)
        let activation = IntegerTraining.ActivationScale(step: 0.03, zeroPoint: 77, bits: 8)
        for grouping in [AffineCodes.Grouping.tensor, .columns] {
            let key = RandomKey(seed: 8)
            let t = g.withUnsafeBufferPointer { IntegerTraining.pixelsByChannels($0, samples: n, channels: o, pixels: l) }
            let codes = t.withUnsafeBufferPointer { p in
                grouping == .tensor ? GradientQuantizer.perTensor(p, rows: n * l, cols: o, bits: 8, key: key)
                                    : GradientQuantizer.perGroup(p, rows: n * l, cols: o, bits: 8, grouping: .columns, key: key)
            }
            let packed = g.withUnsafeBufferPointer {
                GradientQuantizer.packedWeightGradientCodes($0, samples: n, channels: o, pixels: l, bits: 8, grouping: grouping, key: key)!
            }
            let expected = IntegerTraining.weightGradient(columns: columns, k: k, activation: activation, codes: codes)
            let got = IntegerTraining.weightGradient(columns: columns, k: k, activation: activation, codes: packed)
            XCTAssertEqual(got.weights, expected.weights, "\(grouping)")
            XCTAssertEqual(got.bias, expected.bias, "\(grouping)")
        }
    }

    func testVectorPackingEqualsTheScalarPacker() {
        // Oracle: foedus_i8_pack_b_scalar; sizes around the 4-row groups, 16-column chunks and
        // 64-column panels, every byte value.
        var data = IntegerTestData(seed: 3)
        for (k, n) in [(1, 1), (5, 17), (37, 70), (4, 64), (130, 129), (3, 200), (64, 15)] {
            let codes = data.uint8s(k * n)
            let fast = codes.withUnsafeBufferPointer { PackedInt8Matrix(codesMinus128: $0.baseAddress!, k: k, n: n, strideK: n, strideN: 1) }
            let slow = codes.withUnsafeBufferPointer {
                PackedInt8Matrix(codesMinus128: $0.baseAddress!, k: k, n: n, strideK: n, strideN: 1, reference: true)
            }
            XCTAssertEqual(fast.bytes, slow.bytes, "\(k)x\(n)")
            XCTAssertEqual(fast.columnSums, slow.columnSums, "\(k)x\(n)")
            // And the int8 packer on the flipped values (no flip).
            let signed = codes.map { Int8(bitPattern: $0 ^ 0x80) }
            let plain = PackedInt8Matrix(signed, k: k, n: n)
            XCTAssertEqual(plain.bytes, slow.bytes, "\(k)x\(n) int8")
            XCTAssertEqual(plain.columnSums, slow.columnSums, "\(k)x\(n) int8")
        }
    }

    func testIm2colKernelEqualsTheSwiftTwin() {
        // Oracle: IntegerTraining.columnsReference; padding, stride 2, dilation, a 1×1 kernel,
        // a window wider than the padded image on one side.
        var data = IntegerTestData(seed: 4)
        let geometries = [
            WindowGeometry(channels: 3, height: 7, width: 5, kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1)),
            WindowGeometry(channels: 2, height: 9, width: 6, kernel: (3, 3), stride: (2, 2), padding: (1, 0), dilation: (1, 1)),
            WindowGeometry(channels: 2, height: 8, width: 7, kernel: (3, 2), stride: (1, 2), padding: (2, 1), dilation: (2, 2)),
            WindowGeometry(channels: 4, height: 5, width: 5, kernel: (1, 1), stride: (1, 1), padding: (0, 0), dilation: (1, 1)),
            WindowGeometry(channels: 1, height: 3, width: 2, kernel: (3, 3), stride: (1, 1), padding: (2, 3), dilation: (1, 1)),
            WindowGeometry(channels: 2, height: 8, width: 7, kernel: (3, 3), stride: (1, 1), padding: (2, 2), dilation: (2, 2)),
        ]
        for (i, g) in geometries.enumerated() {
            XCTAssertNil(g.problem, "geometry \(i)")
            let n = 3, k = g.channels * g.kernelH * g.kernelW, l = g.outHeight * g.outWidth
            let codes = data.uint8s(n * g.channels * g.height * g.width)
            for zeroPoint: Int32 in [0, 131, 255] {
                var fast = [Int8](repeating: 1, count: k * n * l), slow = [Int8](repeating: 2, count: k * n * l)
                codes.withUnsafeBufferPointer { q in
                    fast.withUnsafeMutableBufferPointer { IntegerTraining.columns(q.baseAddress!, samples: n, geometry: g, zeroPoint: zeroPoint, into: $0.baseAddress!) }
                    slow.withUnsafeMutableBufferPointer {
                        IntegerTraining.columnsReference(q.baseAddress!, samples: n, geometry: g, zeroPoint: zeroPoint, into: $0.baseAddress!)
                    }
                }
                XCTAssertEqual(fast, slow, "geometry \(i) zero point \(zeroPoint)")
            }
        }
    }

    func testForwardEpilogueEqualsTheScalarLoop() {
        // Oracle: the Swift epilogue loop (reference: true), exactly; blocks of samples that do
        // not divide N, odd pixel counts, with and without bias.
        var data = IntegerTestData(seed: 30)
        for (n, o, k, l) in [(3, 5, 11, 37), (7, 4, 9, 1), (2, 3, 18, 16)] {
            let columns = data.int8s(k * n * l), weights = data.int8s(o * k)
            let sums = (0..<o).map { oc in (0..<k).reduce(Int32(0)) { $0 + Int32(weights[oc * k + $1]) } }
            let steps: [Float] = (0..<o).map { 0.01 * Float($0 + 1) }
            let bias: [Float] = (0..<o).map { Float($0) - 1.5 }
            for withBias in [false, true] {
                var fast = [Float](repeating: 1, count: n * o * l), slow = [Float](repeating: 2, count: n * o * l)
                for reference in [false, true] {
                    columns.withUnsafeBufferPointer { c in
                        weights.withUnsafeBufferPointer { w in
                            bias.withUnsafeBufferPointer { b in
                                let out = UnsafeMutablePointer<Float>.allocate(capacity: n * o * l)
                                defer { out.deallocate() }
                                IntegerTraining.forward(columns: c.baseAddress!, k: k, samples: n, pixels: l, zeroPoint: 101, activationStep: 0.02,
                                                        weights: w.baseAddress!, weightSums: sums, weightSteps: steps, outChannels: o,
                                                        bias: withBias ? b.baseAddress! : nil, into: out, reference: reference)
                                if reference { slow = Array(UnsafeBufferPointer(start: out, count: n * o * l)) } else { fast = Array(UnsafeBufferPointer(start: out, count: n * o * l)) }
                            }
                        }
                    }
                }
                XCTAssertEqual(fast, slow, "n \(n) o \(o) k \(k) l \(l) bias \(withBias)")
            }
        }
    }

    func testActivationRowSumsEqualTheSwiftLoop() {
        // Oracle: the Swift loop; rows shorter and longer than 64 bytes, extremes.
        var data = IntegerTestData(seed: 31)
        for (k, nl) in [(3, 1), (5, 63), (4, 64), (2, 131), (3, 1000)] {
            var columns = data.int8s(k * nl)
            columns[0] = -128
            columns[columns.count - 1] = 127
            for zeroPoint: Int32 in [0, 128, 255] {
                let fast = columns.withUnsafeBufferPointer { IntegerTraining.activationRowSums($0.baseAddress!, k: k, reduction: nl, zeroPoint: zeroPoint) }
                let slow = columns.withUnsafeBufferPointer {
                    IntegerTraining.activationRowSums($0.baseAddress!, k: k, reduction: nl, zeroPoint: zeroPoint, reference: true)
                }
                XCTAssertEqual(fast, slow, "\(k)x\(nl) z \(zeroPoint)")
            }
        }
    }

    func testActivationRangeEqualsTheScalarLoop() {
        // Oracle: the scalar min/max over x ∪ {0}; odd counts, all-positive and all-negative data.
        var stream = RandomStream(key: RandomKey(seed: 9))
        for (count, low, high) in [(1, Float(-1), Float(1)), (17, 0.5, 3), (100, -4, -0.25), (1001, -2, 7)] {
            var x = [Float](repeating: 0, count: count)
            x.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: low, high: high) }
            let (lo, hi, poison) = x.withUnsafeBufferPointer { IntegerTraining.rangeWithZero($0) }
            XCTAssertEqual(lo, min(x.min()!, 0), "\(count)")
            XCTAssertEqual(hi, max(x.max()!, 0), "\(count)")
            XCTAssertEqual(poison, 0)
            x[count / 2] = .nan
            XCTAssertTrue(x.withUnsafeBufferPointer { IntegerTraining.rangeWithZero($0) }.poison.isNaN)
        }
    }

    func testStochasticRoundingKernelEqualsTheScalarRounding() {
        // Oracle: GradientQuantizer.roundOne per element; values below 0 and above the top,
        // exact integers, ties of u with the fraction, counts around 16.
        var stream = RandomStream(key: RandomKey(seed: 6))
        for count in [1, 15, 16, 17, 100] {
            var x = [Float](repeating: 0, count: count), u = x
            x.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: -3, high: 300) }
            u.withUnsafeMutableBufferPointer { stream.fillUniform($0) }
            for i in stride(from: 0, to: count, by: 5) { x[i] = Float(i % 256) }
            for i in stride(from: 1, to: count, by: 7) { u[i] = 0 }
            for (z, s, c) in [(Float(-1.5), Float(0.8), Float(0)), (0, 1.7, 12), (2, 0.25, 0)] {
                var fast = [UInt8](repeating: 0, count: count), slow = fast
                x.withUnsafeBufferPointer { xp in
                    u.withUnsafeBufferPointer { up in
                        fast.withUnsafeMutableBufferPointer { GradientQuantizer.roundRun(xp.baseAddress!, up.baseAddress!, $0.baseAddress!, count, z, s, c, 255) }
                        slow.withUnsafeMutableBufferPointer {
                            GradientQuantizer.roundRun(xp.baseAddress!, up.baseAddress!, $0.baseAddress!, count, z, s, c, 255, reference: true)
                        }
                    }
                }
                XCTAssertEqual(fast, slow, "count \(count) z \(z) s \(s) c \(c)")
            }
        }
    }
}

final class FQTFusedInputGradientTests: XCTestCase {
    func testSampleBySampleInputGradientEqualsTheBatchedPath() {
        // Oracle: G·diag(Δw) quantized as [N, O·L] by PTQ / PSQ, then the batched GEMM into the
        // image with the Swift rescale and fold (reference: true), exactly; odd geometry.
        let n = 3, o = 5
        for window in [WindowGeometry(channels: 2, height: 7, width: 5, kernel: (3, 3), stride: (1, 1), padding: (1, 1)),
                       WindowGeometry(channels: 3, height: 9, width: 6, kernel: (3, 2), stride: (2, 2), padding: (1, 0)),
                       WindowGeometry(channels: 2, height: 8, width: 7, kernel: (3, 3), stride: (1, 1), padding: (2, 2), dilation: (2, 2))] {
            let k = window.channels * window.kernelH * window.kernelW, l = window.outHeight * window.outWidth
            var stream = RandomStream(key: RandomKey(seed: 40))
            var wf = [Float](repeating: 0, count: o * k)
            wf.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: -1, high: 1) }
            let weights = wf.withUnsafeBufferPointer { IntegerTraining.WeightCodes($0, outChannels: o, bits: 8) }
            var g = [Float](repeating: 0, count: n * o * l)
            g.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: -3, high: 2) }
            g[4] = 0
            g[g.count - 2] = 25
            let key = RandomKey(seed: 41)
            for bits in [8, 5] {
                for grouping in [AffineCodes.Grouping.tensor, .rows] {
                    let scaled = g.withUnsafeBufferPointer {
                        IntegerTraining.scaledByChannel($0, samples: n, channels: o, pixels: l, scales: weights.steps)
                    }
                    let codes = scaled.withUnsafeBufferPointer { p in
                        grouping == .tensor ? GradientQuantizer.perTensor(p, rows: n, cols: o * l, bits: bits, key: key)
                                            : GradientQuantizer.perGroup(p, rows: n, cols: o * l, bits: bits, grouping: .rows, key: key)
                    }
                    let expected = IntegerTraining.inputGradientImages(codes: codes, outChannels: o, window: window, weightsTransposed: weights.transposed,
                                                                       transposedSums: weights.transposedSums, reference: true)
                    let batched = IntegerTraining.inputGradientImages(codes: codes, outChannels: o, window: window, weightsTransposed: weights.transposed,
                                                                      transposedSums: weights.transposedSums)
                    let fused = g.withUnsafeBufferPointer {
                        IntegerTraining.inputGradientImages(gradient: $0, window: window, weights: weights, bits: bits, grouping: grouping, key: key)
                    }
                    XCTAssertEqual(batched, expected, "C fold, \(window) \(bits) \(grouping)")
                    XCTAssertEqual(fused, expected, "sample by sample, \(window) \(bits) \(grouping)")
                    // The per-sample ranges derived from per-(sample, channel) ranges of G.
                    let ranges = g.withUnsafeBufferPointer { GradientQuantizer.finiteRowRanges($0, rows: n * o, cols: l) }
                    XCTAssertNotNil(ranges)
                    var derived = [Float](repeating: 0, count: expected.count)
                    g.withUnsafeBufferPointer { gp in
                        derived.withUnsafeMutableBufferPointer {
                            IntegerTraining.inputGradientImages(gradient: gp, window: window, weights: weights, bits: bits, grouping: grouping, key: key,
                                                                channelRanges: ranges, into: $0.baseAddress!)
                        }
                    }
                    XCTAssertEqual(derived, expected, "derived ranges, \(window) \(bits) \(grouping)")
                }
            }
        }
    }
}

final class FQTLinearGEMMTests: XCTestCase {
    func testLinearBackwardGEMMsEqualTheColumnForms() {
        // Oracle: the batched forms on transposed operands (inputGradient with one pixel,
        // weightGradient on transposedColumns), exactly; odd sizes, both groupings, zero points
        // at both ends.
        var data = IntegerTestData(seed: 21)
        let n = 7, o = 5, k = 19
        var stream = RandomStream(key: RandomKey(seed: 22))
        var wf = [Float](repeating: 0, count: o * k)
        wf.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: -1, high: 1) }
        let weights = wf.withUnsafeBufferPointer { IntegerTraining.WeightCodes($0, outChannels: o, bits: 8) }
        let lean = wf.withUnsafeBufferPointer { IntegerTraining.WeightCodes($0, outChannels: o, bits: 8, transposing: false) }
        XCTAssertTrue(lean.transposed.isEmpty)
        XCTAssertEqual(lean.codes, weights.codes)
        XCTAssertEqual(lean.transposedSums, weights.transposedSums)
        var g = [Float](repeating: 0, count: n * o)
        g.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: -3, high: 2) }
        let key = RandomKey(seed: 23)
        for grouping in [AffineCodes.Grouping.tensor, .rows] {
            let codes = g.withUnsafeBufferPointer { p in
                grouping == .tensor ? GradientQuantizer.perTensor(p, rows: n, cols: o, bits: 8, key: key)
                                    : GradientQuantizer.perGroup(p, rows: n, cols: o, bits: 5, grouping: .rows, key: key)
            }
            let expected = IntegerTraining.inputGradient(codes: codes, outChannels: o, pixels: 1, weightsTransposed: weights.transposed,
                                                         transposedSums: weights.transposedSums, k: k)
            XCTAssertEqual(IntegerTraining.linearInputGradient(codes: codes, weights: lean), expected, "\(grouping)")
        }
        let q = data.uint8s(n * k)
        for zeroPoint: Int32 in [0, 97, 255] {
            let activation = IntegerTraining.ActivationScale(step: 0.02, zeroPoint: zeroPoint, bits: 8)
            var cols = [Int8](repeating: 0, count: k * n)
            q.withUnsafeBufferPointer { p in cols.withUnsafeMutableBufferPointer { IntegerTraining.transposedColumns(p.baseAddress!, samples: n, features: k, into: $0.baseAddress!) } }
            for grouping in [AffineCodes.Grouping.tensor, .columns] {
                let codes = g.withUnsafeBufferPointer { p in
                    grouping == .tensor ? GradientQuantizer.perTensor(p, rows: n, cols: o, bits: 8, key: key)
                                        : GradientQuantizer.perGroup(p, rows: n, cols: o, bits: 8, grouping: .columns, key: key)
                }
                let expected = IntegerTraining.weightGradient(columns: cols, k: k, activation: activation, codes: codes)
                for reference in [false, true] {
                    let got = IntegerTraining.linearWeightGradient(activationCodes: q, activation: activation, codes: codes, reference: reference)
                    XCTAssertEqual(got.weights, expected.weights, "zero point \(zeroPoint) \(grouping) reference \(reference)")
                    XCTAssertEqual(got.bias, expected.bias, "zero point \(zeroPoint) \(grouping) reference \(reference)")
                }
            }
        }
    }
}
