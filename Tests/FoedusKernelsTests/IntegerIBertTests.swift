import Foundation
import FoedusKernels
import XCTest

// Oracles: the float functions on the dequantized input q·S, with the I-BERT §4.8 bounds
// (stated per test); isqrt against exact integer checks (r² ≤ n < (r+1)²).
final class IntegerIBertTests: XCTestCase {
    func gelu(_ x: Double) -> Double { x / 2 * (1 + erf(x / 2.0.squareRoot())) }

    func testISqrtIsExactFloor() {
        var values: [UInt64] = [0, 1, 2, 3, 4, UInt64(UInt32.max), UInt64.max, UInt64.max - 1]
        for b in 1..<64 { let p = UInt64(1) << b; values += [p - 1, p, p + 1] }
        for r: UInt64 in [3, 65535, 65536, 4_294_967_295, 123_456_789] { values += [r * r - 1, r * r, r * r + 1] }
        var data = IntegerTestData(seed: 40)
        for _ in 0..<20_000 { values.append(data.stream.nextUInt64() >> (data.stream.nextUInt64() % 64)) }
        for n in values {
            let r = IBert.isqrt(n)
            XCTAssertLessThanOrEqual(r.multipliedFullWidth(by: r).low, n, "\(n)")
            XCTAssertTrue(r.multipliedFullWidth(by: r).high == 0)
            let next = (r + 1).multipliedFullWidth(by: r + 1)
            XCTAssertTrue(next.high > 0 || next.low > n, "\(n)")
        }
        XCTAssertEqual(IBert.isqrt(Int64(0)), 0)
    }

    func testGELUWithinBound() {
        // §4.8 test 1: max abs error ≤ 0.025 over [−5, 5] for S ∈ {1e−3, 1e−4, 1e−5}.
        for s in [1e-3, 1e-4, 1e-5] {
            let g = IBert.GELU(inputScale: s)
            XCTAssertGreaterThan(g.outputScale, 0)
            var worst = 0.0
            let limit = Int32((5 / s).rounded())
            let step = max(1, Int(limit) / 20_000)
            for q in stride(from: -limit, through: limit, by: step) {
                worst = max(worst, abs(Double(g(q)) * g.outputScale - gelu(Double(q) * s)))
            }
            XCTAssertLessThanOrEqual(worst, 0.025, "S \(s)")
        }
    }

    func testExpWithinBound() {
        // §4.8 test 2: max abs error ≤ 0.0042 on [−20, 0] for S ∈ {1e−1 … 1e−4}.
        for s in [1e-1, 1e-2, 1e-3, 1e-4] {
            let e = IBert.Exp(inputScale: s)
            var worst = 0.0
            let limit = Int32((20 / s).rounded())
            for q in stride(from: -limit, through: 0, by: max(1, Int(limit) / 50_000)) {
                worst = max(worst, abs(Double(e(q)) * e.outputScale - exp(Double(q) * s)))
            }
            XCTAssertLessThanOrEqual(worst, 0.0042, "S \(s)")
        }
    }

    func testSoftmaxWithinBound() {
        // §4.8 test 3: logits 𝒩(0, 3²), L = 128, S = 2e−3: max abs error ≤ 0.005, outputs in
        // [0, 255], row sums in [1 − 128/256, 1].
        var data = IntegerTestData(seed: 41)
        let (rows, length, s) = (32, 128, 2e-3)
        var logits = [Double](repeating: 0, count: rows * length)
        logits.withUnsafeMutableBufferPointer { data.stream.fillNormal($0, mean: 0, std: 3) }
        let q = logits.map { Int32(($0 / s).rounded()) }
        let softmax = IBert.Softmax(inputScale: s)
        let out = softmax(q, length: length)
        for r in 0..<rows {
            let xs = (0..<length).map { Double(q[r * length + $0]) * s }
            let m = xs.max()!
            let es = xs.map { exp($0 - m) }, total = es.reduce(0, +)
            var sum = 0.0
            for j in 0..<length {
                let v = out[r * length + j]
                XCTAssertTrue((0...255).contains(v))
                XCTAssertLessThanOrEqual(abs(Double(v) * softmax.outputScale - es[j] / total), 0.005, "row \(r) col \(j)")
                sum += Double(v) * softmax.outputScale
            }
            XCTAssertTrue(sum <= 1 && sum >= 0.5, "row sum \(sum)")
        }
        // One dominant element: e16·f reaches 2³², clamped to 255.
        XCTAssertEqual(softmax([0, -1_000_000], length: 2), [255, 0])
    }

    func testLayerNormWithinBound() {
        // §4.8 test 5: 64×768 with one outlier channel ×20; max abs error vs float LN (ε = 0) on
        // the dequantized input ≤ 4.1e−3 (S = 1e−2) / 5.4e−4 (S = 1e−3), plus S_out/2 and γ/β.
        var data = IntegerTestData(seed: 42)
        let (rows, hidden) = (64, 768)
        var x = [Double](repeating: 0, count: rows * hidden)
        x.withUnsafeMutableBufferPointer { data.stream.fillNormal($0, mean: 0.3, std: 1) }
        for r in 0..<rows { x[r * hidden + 5] *= 20 }
        let gamma = data.doubles(hidden, low: -2, high: 2), beta = data.doubles(hidden, low: -1, high: 1)
        for (s, bound) in [(1e-2, 4.1e-3), (1e-3, 5.4e-4)] {
            let outScale = 1e-4
            let q = x.map { Int32(($0 / s).rounded()) }
            let plain = IBert.LayerNorm(gamma: [Double](repeating: 1, count: hidden), beta: [Double](repeating: 0, count: hidden), outputScale: outScale)(q)
            let affine = IBert.LayerNorm(gamma: gamma, beta: beta, outputScale: outScale)(q)
            var worstPlain = 0.0, worstAffine = 0.0
            for r in 0..<rows {
                let xs = (0..<hidden).map { Double(q[r * hidden + $0]) * s }
                let mean = xs.reduce(0, +) / Double(hidden)
                let sd = (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(hidden)).squareRoot()
                for j in 0..<hidden {
                    let n = (xs[j] - mean) / sd
                    worstPlain = max(worstPlain, abs(Double(plain[r * hidden + j]) * outScale - n))
                    worstAffine = max(worstAffine, abs(Double(affine[r * hidden + j]) * outScale - (gamma[j] * n + beta[j])))
                }
            }
            XCTAssertLessThanOrEqual(worstPlain, bound + outScale / 2, "S \(s)")
            XCTAssertLessThanOrEqual(worstAffine, 2 * bound + outScale, "S \(s) affine")
        }
    }

    func testGroupNormMatchesFloatGroupNorm() {
        // Same statistics per (sample, group) of NCHW; bound: as LayerNorm at S = 1e−3 with γ ≤ 2.
        var data = IntegerTestData(seed: 43)
        let (n, c, g, hw, s, outScale) = (2, 8, 4, 49, 1e-3, 1e-4)
        var x = [Double](repeating: 0, count: n * c * hw)
        x.withUnsafeMutableBufferPointer { data.stream.fillNormal($0, mean: -0.5, std: 2) }
        let q = x.map { Int32(($0 / s).rounded()) }
        let gamma = data.doubles(c, low: -2, high: 2), beta = data.doubles(c, low: -1, high: 1)
        let out = IBert.GroupNorm(channels: c, groups: g, spatial: hw, gamma: gamma, beta: beta, outputScale: outScale)(q)
        let run = c / g * hw
        var worst = 0.0
        for r in 0..<(n * g) {
            let xs = (0..<run).map { Double(q[r * run + $0]) * s }
            let mean = xs.reduce(0, +) / Double(run)
            let sd = (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(run)).squareRoot()
            for i in 0..<run {
                let ch = (r % g) * (c / g) + i / hw
                worst = max(worst, abs(Double(out[r * run + i]) * outScale - (gamma[ch] * (xs[i] - mean) / sd + beta[ch])))
            }
        }
        XCTAssertLessThanOrEqual(worst, 2 * 5.4e-4 + outScale)
    }

    func testGroupNormUInt8FastPathEqualsTheReference() {
        // Oracle: the reference callAsFunction, exactly, with a ReLU-style clamp 0…15 and 0…255,
        // negative and zero γ, odd spatial size.
        var data = IntegerTestData(seed: 44)
        let (n, c, g, hw) = (4, 12, 4, 25)
        var x = [Double](repeating: 0, count: n * c * hw)
        x.withUnsafeMutableBufferPointer { data.stream.fillNormal($0, mean: 3, std: 900) }
        var q = x.map { Int32($0.rounded()) }
        // Sample 2: magnitudes near 2²⁴ (the statistics need a shift to stay below 2⁶²);
        // sample 3, group 1: a constant run (σ = 0).
        for i in (2 * c * hw)..<(3 * c * hw) { q[i] = Int32((x[i] * 18_000).rounded()) }
        for i in (3 * c * hw + 3 * hw)..<(3 * c * hw + 6 * hw) { q[i] = -77 }
        var gamma = data.doubles(c, low: -2, high: 2)
        gamma[5] = 0
        let beta = data.doubles(c, low: -1, high: 1)
        for clamp: ClosedRange<Int32> in [0...15, 0...255] {
            let scale = clamp.upperBound == 15 ? 0.2 : 0.01
            let norm = IBert.GroupNorm(channels: c, groups: g, spatial: hw, gamma: gamma, beta: beta, outputScale: scale, clamp: clamp)
            let expected = norm(q).map { UInt8($0) }
            for backend in [IntegerBackend.automatic, .scalar] {
                var got = [UInt8](repeating: 0, count: q.count)
                q.withUnsafeBufferPointer { px in got.withUnsafeMutableBufferPointer { norm.apply(px.baseAddress!, samples: n, into: $0.baseAddress!, backend: backend) } }
                XCTAssertEqual(got, expected, "\(clamp) \(backend)")
            }
            var portable = [UInt8](repeating: 0, count: q.count)
            q.withUnsafeBufferPointer { px in portable.withUnsafeMutableBufferPointer { norm.applyPortable(px.baseAddress!, samples: n, into: $0.baseAddress!) } }
            XCTAssertEqual(portable, expected, "\(clamp) Swift twin")
            XCTAssertTrue(expected.contains(UInt8(clamp.upperBound)) && expected.contains(0), "the clamp is exercised")
        }
    }

    func testInt32RequantizationEqualsTheScalarDefinition() {
        // Oracle: Requantizer.requantize(_:) one value at a time (exact integer reference), over
        // extreme accumulators, an odd count and both backends, in place.
        var data = IntegerTestData(seed: 45)
        var acc = (0..<1001).map { _ in Int32(truncatingIfNeeded: data.stream.nextUInt32()) }
        acc[0] = .min; acc[1] = .max; acc[2] = 0; acc[3] = -1
        for (ratio, zero, clamp) in [(0.37, Int32(5), Int32(-32768)...32767), (1.9e-5, 0, Int32(0)...255), (3.0, -9, Int32.min...Int32.max)] {
            let r = Requantizer(dyadic: Dyadic(ratio: ratio), zeroPoint: zero, clamp: clamp)
            let expected = acc.map { r.requantize($0) }
            for backend in [IntegerBackend.automatic, .scalar] {
                var inPlace = acc
                inPlace.withUnsafeMutableBufferPointer { p in r.requantize(UnsafePointer(p.baseAddress!), count: p.count, into: p.baseAddress!, backend: backend) }
                XCTAssertEqual(inPlace, expected, "ratio \(ratio) \(backend)")
            }
        }
    }
}
