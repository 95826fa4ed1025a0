import Foundation
import FoedusKernels
import XCTest

// Oracles (HAWQ-V3 §3.8 tests 2–3): the dyadic relative error bound 2⁻³¹; requantization within
// 1 LSB of round(acc·r); exact ties round half up; vector kernels equal the scalar twin exactly.
final class IntegerRequantTests: XCTestCase {
    func testDyadicBoundsOverRandomScales() {
        var data = IntegerTestData(seed: 30)
        let logs = data.doubles(100_000, low: log(1e-6), high: log(10))
        for l in logs {
            let r = exp(l)
            let d = Dyadic(ratio: r)
            XCTAssertTrue(d.b >= 1 << 30 && d.b <= Int64(Int32.max), "b \(d.b) for \(r)")
            XCTAssertLessThanOrEqual(abs(d.value - r) / r, 0x1p-31, "ratio \(r)")
        }
        // Mantissa rounding up to 2³¹ is renormalised.
        let nearOne = Dyadic(ratio: 1.0.nextDown)
        XCTAssertEqual(nearOne.b, 1 << 30)
        XCTAssertEqual(nearOne.c, 30)
        XCTAssertEqual(Dyadic(ratio: 0.75), Dyadic(b: 3 << 29, c: 31))
    }

    func testRequantizeWithinOneLSBAndHalfUp() {
        var data = IntegerTestData(seed: 31)
        let accs = data.int32s(20_000, in: -(1 << 24)...(1 << 24)) + [Int32.min, Int32.max, 0, 1, -1]
        for l in data.doubles(20, low: log(1e-4), high: log(1e-1)) {
            let d = Dyadic(ratio: exp(l))
            for acc in accs {
                let exact = (Double(acc) * exp(l)).rounded()
                XCTAssertLessThanOrEqual(abs(Double(d.apply(acc)) - exact), 1, "acc \(acc) r \(exp(l))")
            }
        }
        // Exact ties: r = 1/2 maps odd accs to k + 0.5, which round toward +∞.
        let half = Dyadic(ratio: 0.5)
        XCTAssertEqual(half.apply(5), 3)
        XCTAssertEqual(half.apply(-5), -2)
        XCTAssertEqual(half.apply(-1), 0)
        XCTAssertEqual(half.apply(1), 1)
        XCTAssertEqual(Dyadic(ratio: 0.25).apply(-6), -1)  // −1.5 → −1
        XCTAssertEqual(Dyadic(ratio: 0.25).apply(6), 2)    // 1.5 → 2
        XCTAssertEqual(Requantizer(ratio: 0.5, zeroPoint: 0, clamp: -128...127).requantize(Int32.max), 127)
        XCTAssertEqual(Requantizer(ratio: 0.5, zeroPoint: 0, clamp: -128...127).requantize(Int32.min), -128)
    }

    func testVectorRequantMatchesScalarTwin() {
        var data = IntegerTestData(seed: 32)
        let rows = 7, cols = 37
        var acc = data.int32s(rows * cols - 4, in: -(1 << 22)...(1 << 22))
        acc += [Int32.min, Int32.max, -1, 0]
        let ratios = data.doubles(cols, low: 1e-5, high: 0.3) 
        for (zero, clamp) in [(Int32(0), Int32(-128)...127), (3, -100...90), (128, 0...255)] {
            let channel = ChannelRequantizer(ratios: ratios, zeroPoint: zero, clamp: clamp)
            let expected = channel.requantizeReference(acc, rows: rows)
            for backend in explicitBackends {
                if clamp.lowerBound >= 0 {
                    XCTAssertEqual(channel.requantizeToUInt8(acc, rows: rows, backend: backend).map(Int32.init), expected, "\(backend)")
                } else {
                    XCTAssertEqual(channel.requantizeToInt8(acc, rows: rows, backend: backend).map(Int32.init), expected, "\(backend)")
                }
            }
            let single = Requantizer(ratio: ratios[3], zeroPoint: zero, clamp: clamp)
            let scalar = acc.map { single.requantize($0) }
            for backend in explicitBackends {
                var out8 = [Int8](repeating: 0, count: acc.count), outU = [UInt8](repeating: 0, count: acc.count)
                acc.withUnsafeBufferPointer { a in
                    if clamp.lowerBound >= 0 {
                        outU.withUnsafeMutableBufferPointer { single.requantize(a.baseAddress!, count: a.count, into: $0.baseAddress!, backend: backend) }
                        XCTAssertEqual(outU.map(Int32.init), scalar, "run \(backend)")
                    } else {
                        out8.withUnsafeMutableBufferPointer { single.requantize(a.baseAddress!, count: a.count, into: $0.baseAddress!, backend: backend) }
                        XCTAssertEqual(out8.map(Int32.init), scalar, "run \(backend)")
                    }
                }
            }
        }
    }
}
