import XCTest
import FoedusKernels

final class IntegerTrainingRoundingTests: XCTestCase {
    func testRoundAwayEqualsRounded() {
        // Oracle: Float.rounded() (schoolbook rounding), on ties, their neighbours, large and
        // tiny magnitudes, and a seeded sweep.
        var values: [Float] = [0, -0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -0.49999997, 0.50000006, 8388607.5, -8388607.5,
                               8388608, 16777215, 16777216, -16777216, 1e-30, -1e-30, 126.5, -127.5, 254.49998, 254.5]
        for t in stride(from: Float(-300), through: 300, by: 0.5) { values += [t, t.nextUp, t.nextDown] }
        var stream = RandomStream(key: RandomKey(seed: 4))
        var random = [Float](repeating: 0, count: 20_000)
        random.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: -1000, high: 1000) }
        for v in values + random {
            XCTAssertEqual(IntegerTraining.roundAway(v), v.rounded(), "\(v)")
        }
        // Beyond 2²⁴ the result saturates (callers clamp to 8 bits).
        XCTAssertEqual(IntegerTraining.roundAway(.greatestFiniteMagnitude), 0x1p24)
        XCTAssertEqual(IntegerTraining.roundAway(-3e9), -0x1p24)
    }

    func testWeightCodesSumsAndTranspose() {
        // Oracle: the definitions, on odd sizes with negative and zero channels.
        let o = 5, k = 7
        var w = (0..<(o * k)).map { Float(($0 * 37) % 23) / 7 - 1.5 }
        for i in 0..<k { w[2 * k + i] = 0 }
        let codes = w.withUnsafeBufferPointer { IntegerTraining.WeightCodes($0, outChannels: o, bits: 8) }
        for oc in 0..<o {
            XCTAssertEqual(codes.sums[oc], (0..<k).reduce(Int32(0)) { $0 + Int32(codes.codes[oc * k + $1]) })
            let m = (0..<k).map { abs(w[oc * k + $0]) }.max()!
            XCTAssertEqual(codes.steps[oc], m > 0 ? m / 127 : 1)
            for i in 0..<k {
                XCTAssertEqual(codes.transposed[i * o + oc], codes.codes[oc * k + i])
                XCTAssertEqual(Float(codes.codes[oc * k + i]), (w[oc * k + i] / codes.steps[oc]).rounded())
            }
        }
        for i in 0..<k { XCTAssertEqual(codes.transposedSums[i], (0..<o).reduce(Int32(0)) { $0 + Int32(codes.codes[$1 * k + i]) }) }
    }

    func testCKernelsEqualTheSwiftTwins() {
        // Oracle: the scalar Swift loops, bit for bit, on values with ties (k + ½ steps),
        // negatives, values beyond the clamp, an odd count, and a zero point.
        var stream = RandomStream(key: RandomKey(seed: 8))
        var x = [Float](repeating: 0, count: 4097)
        x.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: -3, high: 5) }
        for i in stride(from: 0, to: x.count, by: 7) { x[i] = (Float(i % 300) - 100.5) / 40 }
        let scale = IntegerTraining.ActivationScale(step: 0.025, zeroPoint: 97, bits: 8)
        var fast = [UInt8](repeating: 0, count: x.count), slow = fast
        x.withUnsafeBufferPointer { p in
            fast.withUnsafeMutableBufferPointer { scale.quantize(p, into: $0.baseAddress!) }
            slow.withUnsafeMutableBufferPointer { scale.quantizeReference(p, into: $0.baseAddress!) }
        }
        XCTAssertEqual(fast, slow)
        XCTAssertTrue(fast.contains(0) && fast.contains(255), "both clamps exercised")
        for bits in [8, 4] {
            var a = [Int8](repeating: 0, count: 4096), b = a
            var sa = [Float](repeating: 0, count: 8), sb = sa
            x.withUnsafeBufferPointer { p in
                let w = UnsafeBufferPointer(rebasing: p[0..<4096])
                IntegerTraining.quantizeWeights(w, outChannels: 8, bits: bits, codes: &a, steps: &sa)
                IntegerTraining.quantizeWeights(w, outChannels: 8, bits: bits, codes: &b, steps: &sb, reference: true)
            }
            XCTAssertEqual(a, b, "\(bits) bits")
            XCTAssertEqual(sa, sb)
        }
    }

    func testLayoutStepsMatchTheirDefinitions() {
        // Oracle: index arithmetic of the definitions; pixels 37 (not a multiple of the 16-pixel tile).
        let n = 3, o = 5, l = 37
        let g = (0..<(n * o * l)).map { Float($0) * 0.5 - 100 }
        let scales: [Float] = [0.5, -2, 3, 0.25, 1]
        let t = g.withUnsafeBufferPointer { IntegerTraining.pixelsByChannels($0, samples: n, channels: o, pixels: l) }
        let scaled = g.withUnsafeBufferPointer { IntegerTraining.scaledByChannel($0, samples: n, channels: o, pixels: l, scales: scales) }
        for s in 0..<n {
            for c in 0..<o {
                for p in 0..<l {
                    XCTAssertEqual(t[(s * l + p) * o + c], g[(s * o + c) * l + p])
                    XCTAssertEqual(scaled[(s * o + c) * l + p], g[(s * o + c) * l + p] * scales[c])
                }
            }
        }
    }
}
