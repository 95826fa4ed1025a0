import XCTest
@testable import FoedusKernels

/// The fused ends of residual blocks (`IntegerResidual.addRequantize`, `IBert.GroupNorm`'s
/// residual `applyChannelsLast`) against scalar oracles, exact integer equality.
final class IntegerResidualFusedTests: XCTestCase {
    static func channelsLast<T>(_ x: [T], n: Int, c: Int, spatial: Int) -> [T] {
        var out = x
        for i in 0..<n { for ch in 0..<c { for p in 0..<spatial { out[(i * spatial + p) * c + ch] = x[(i * c + ch) * spatial + p] } } }
        return out
    }

    /// Output requantizers of the block sum: the models' (÷256, ReLU clamp 0…255), one with a
    /// zero point and a 4-bit clamp that bites on both sides (both clamps are checked to bite), and
    /// b = 1 forms the kernels special-case: a zero point, a shift beyond 32, and a zero point too
    /// large for their int32 lanes (the general path).
    static let outputs = [Requantizer(dyadic: Dyadic(b: 1, c: 8), clamp: 0...255), Requantizer(ratio: 0.0037, zeroPoint: 3, clamp: 0...15),
                          Requantizer(dyadic: Dyadic(b: 1, c: 3), zeroPoint: 100, clamp: 0...255),
                          Requantizer(dyadic: Dyadic(b: 1, c: 40), zeroPoint: 7, clamp: 0...255),
                          Requantizer(dyadic: Dyadic(b: 1, c: 31), zeroPoint: (1 << 30) + 5, clamp: 0...255)]

    func testAddRequantizeEqualsTheScalarDefinition() {
        // Oracle: Requantizer.requantize (scalar) of main &+ shortcut, per element. Counts around
        // the vector width; both shortcut kinds; sums of both signs beyond the clamps.
        var data = IntegerTestData(seed: 71)
        for count in [0, 1, 15, 16, 17, 50, 1027] {
            let main = data.int32s(count, in: -((1 << 30) - 1)...((1 << 30) - 1)).map { $0 / Int32(1 + count % 3 * 1000) }
            let bytes = data.uint8s(count)
            let table = data.int32s(256, in: -4000...4000)
            let values = data.int32s(count, in: -5000...5000)
            for output in Self.outputs {
                for kind in 0..<2 {
                    let value: (Int) -> Int32 = { kind == 0 ? table[Int(bytes[$0])] : values[$0] }
                    let expected = (0..<count).map { UInt8(output.requantize(main[$0] &+ value($0))) }
                    for backend in explicitBackends {
                        var got = [UInt8](repeating: 0xEE, count: count)
                        main.withUnsafeBufferPointer { pm in
                            bytes.withUnsafeBufferPointer { pb in
                                values.withUnsafeBufferPointer { pv in
                                    let shortcut: IntegerResidual.Shortcut = kind == 0 ? .tabulated(pb.baseAddress ?? UnsafePointer(bitPattern: 1)!, table: table)
                                        : .values(pv.baseAddress ?? UnsafePointer(bitPattern: 4)!)
                                    got.withUnsafeMutableBufferPointer { po in
                                        guard count > 0 else { return }
                                        IntegerResidual.addRequantize(pm.baseAddress!, shortcut, count: count, output: output, into: po.baseAddress!, backend: backend)
                                    }
                                }
                            }
                        }
                        XCTAssertEqual(got, expected, "count \(count) kind \(kind) \(output.clamp) \(backend)")
                    }
                }
                if count > 100 && output.dyadic.c < 30 {
                    let expected = (0..<count).map { output.requantize(main[$0] &+ table[Int(bytes[$0])]) }
                    XCTAssertTrue(expected.contains(output.clamp.upperBound) && expected.contains(output.clamp.lowerBound), "the clamp is exercised")
                }
            }
        }
    }

    /// Mirrors IBert.normalizeRun's shift rule for one group (test-side, to check coverage only).
    static func shiftAndFits(_ run: [Int32]) -> (shift: Int, fits: Bool) {
        let m = Int64(run.count), sum = run.reduce(Int64(0)) { $0 + Int64($1) }
        let maxAbs = run.map { Swift.abs(m * Int64($0) - sum) }.max()!
        var shift = 0
        while (maxAbs >> shift) > 0 && Double(maxAbs >> shift) * Double(maxAbs >> shift) * Double(m) >= 0x1p62 { shift += 1 }
        return (shift, maxAbs <= Int64(Int32.max))
    }

    func testResidualGroupNormEqualsTheChannelFirstReference() {
        // Oracle: IBert.GroupNorm's reference callAsFunction on NCHW (int32, its clamp), transposed
        // to NHWC, plus the shortcut, then Requantizer.requantize — the unfused block end.
        // Channels 16, 48, 64 take the AVX-512 sample kernel, 24 and 20 the portable loops; groups of
        // 1, 2, 5, 6, 8 channels; odd spatial sizes. Samples: ordinary, anywhere in Int32 (deviations
        // leave int32: the portable affine loop, and a shift), scaled so that squares need a shift while
        // the deviations still fit int32 (the second statistics pass inside the vector kernel), and
        // one with a constant group (σ = 0). γ = 0 (dead channel) and γ < 0.
        typealias Case = (c: Int, g: Int, hw: Int)
        let cases: [Case] = [(16, 8, 49), (16, 16, 9), (48, 8, 25), (64, 8, 49), (24, 4, 25), (20, 4, 9), (64, 32, 1)]
        for (index, t) in cases.enumerated() {
            var data = IntegerTestData(seed: 80 + UInt64(index))
            let (n, c, g, hw) = (4, t.c, t.g, t.hw)
            var x = [Double](repeating: 0, count: n * c * hw)
            x.withUnsafeMutableBufferPointer { data.stream.fillNormal($0, mean: -9, std: 1100) }
            var q = x.map { Int32($0.rounded()) }
            let run = c / g * hw
            // The smallest scale whose squares need a shift: max|dev|·m ≥ 2³¹/√m, well inside int32.
            let shiftScale = 0x1p31 / Double(run).squareRoot() / Double(run) / 3 / 1100 * 1.6
            for (i, v) in zip((c * hw)..<(2 * c * hw), data.int32s(c * hw, in: Int(Int32.min)...Int(Int32.max))) { q[i] = v }
            for i in (2 * c * hw)..<(3 * c * hw) { q[i] = Int32((x[i] * shiftScale).rounded()) }
            for i in (3 * c * hw)..<(3 * c * hw + run) { q[i] = -517 }
            var gamma = data.doubles(c, low: -2, high: 2)
            gamma[c - 1] = 0
            gamma[1] = -1.25
            let beta = data.doubles(c, low: -1, high: 1)
            let bytes = data.uint8s(q.count)
            let values = data.int32s(q.count, in: -3000...3000)
            for clamp: ClosedRange<Int32> in [-((1 << 30) - 1)...((1 << 30) - 1), -70_000...70_000] {
                let norm = IBert.GroupNorm(channels: c, groups: g, spatial: hw, gamma: gamma, beta: beta, outputScale: 0.00003, clamp: clamp)
                let normalized = Self.channelsLast(norm(q), n: n, c: c, spatial: hw)
                if clamp.upperBound == 70_000 {
                    XCTAssertTrue(normalized.contains(70_000) && normalized.contains(-70_000), "\(t): the norm's clamp bites")
                }
                let input = Self.channelsLast(q, n: n, c: c, spatial: hw)
                let table = data.int32s(256, in: -3000...3000)
                // c = 10 with zero point 60 puts the norm's clamp ±70 000 inside the byte range
                // (±68 + 60), so a kernel that skipped that clamp before the shortcut would differ.
                for output in Self.outputs + [Requantizer(dyadic: Dyadic(b: 1, c: 10), zeroPoint: 60, clamp: 0...255)] {
                    for kind in 0..<2 {
                        let expected = normalized.indices.map {
                            UInt8(output.requantize(normalized[$0] &+ (kind == 0 ? table[Int(bytes[$0])] : values[$0])))
                        }
                        for backend in explicitBackends {
                            var got = [UInt8](repeating: 0xEE, count: q.count)
                            input.withUnsafeBufferPointer { px in
                                bytes.withUnsafeBufferPointer { pb in
                                    values.withUnsafeBufferPointer { pv in
                                        let shortcut: IntegerResidual.Shortcut = kind == 0 ? .tabulated(pb.baseAddress!, table: table) : .values(pv.baseAddress!)
                                        got.withUnsafeMutableBufferPointer {
                                            norm.applyChannelsLast(px.baseAddress!, samples: n, adding: shortcut, output: output, into: $0.baseAddress!, backend: backend)
                                        }
                                    }
                                }
                            }
                            let wrong = zip(got, expected).filter { $0 != $1 }.count
                            XCTAssertEqual(wrong, 0, "\(t) \(clamp) \(output.clamp) kind \(kind) \(backend): \(wrong) of \(got.count) differ")
                        }
                        if output.dyadic.c < 10 {
                            XCTAssertTrue(expected.contains(UInt8(output.clamp.upperBound)) && expected.contains(UInt8(output.clamp.lowerBound)),
                                          "\(t): the output clamp is exercised")
                        }
                    }
                }
            }
            // Coverage of the statistics paths (test-side mirror of the shift rule).
            let groupsOf = { (sample: Int) in (0..<g).map { gi in Array(q[((sample * g + gi) * run)..<((sample * g + gi + 1) * run)]) } }
            XCTAssertTrue(groupsOf(1).contains { !Self.shiftAndFits($0).fits }, "\(t): deviations beyond int32")
            XCTAssertTrue(groupsOf(2).contains { let s = Self.shiftAndFits($0); return s.shift > 0 && s.fits }, "\(t): a shift with int32 deviations")
            XCTAssertTrue(groupsOf(0).allSatisfy { Self.shiftAndFits($0).shift == 0 }, "\(t): the one-pass statistics")
        }
    }

    func testGroupNormOnePassStatisticsMatchTheReferenceOnExtremes() {
        // Oracle: IBert.GroupNorm's reference callAsFunction (int32 outputs, transposed). Inputs at
        // Int32.min / Int32.max and tiny groups: Σx² wraps mod 2⁶⁴ in the one-pass statistics.
        for (c, g, hw) in [(16, 16, 1), (16, 8, 2), (32, 4, 3), (20, 10, 1)] {
            var data = IntegerTestData(seed: 90 + UInt64(c * hw))
            let n = 3
            var q = data.int32s(n * c * hw, in: -2000...2000)
            for i in 0..<(c * hw) { q[i] = i % 3 == 0 ? Int32.min : (i % 3 == 1 ? Int32.max : 0) }
            for i in (c * hw)..<(2 * c * hw) { q[i] = i % 2 == 0 ? Int32.max : Int32.max - 1 }
            let gamma = data.doubles(c, low: -2, high: 2), beta = data.doubles(c, low: -1, high: 1)
            let norm = IBert.GroupNorm(channels: c, groups: g, spatial: hw, gamma: gamma, beta: beta, outputScale: 0.003)
            let expected = Self.channelsLast(norm(q), n: n, c: c, spatial: hw)
            let input = Self.channelsLast(q, n: n, c: c, spatial: hw)
            for backend in explicitBackends {
                var got = [Int32](repeating: 0, count: q.count)
                input.withUnsafeBufferPointer { px in
                    got.withUnsafeMutableBufferPointer { norm.applyChannelsLast(px.baseAddress!, samples: n, into: $0.baseAddress!, backend: backend) }
                }
                XCTAssertEqual(got, expected, "\(c) channels, \(g) groups, \(hw) pixels, \(backend)")
            }
        }
    }
}
