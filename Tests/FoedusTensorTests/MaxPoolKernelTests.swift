import CFoedusKernels
import FoedusKernels
import XCTest

/// The AVX-512 2×2 max-pool forward against its scalar twin, bit for bit.
final class MaxPoolKernelTests: XCTestCase {
    func testVectorMaxPool2x2EqualsTheScalarLoop() {
        // Oracle: foedus_maxpool2x2_forward_f32 with vectorized = 0 (the loop the fast path
        // replaced): values and first-maximum indices. Odd widths and heights (the last column /
        // row dropped), rows of more than 16 outputs, ties (first wins), signed zeros, −∞, NaN
        // (NaN wins, the first NaN), negative values.
        var stream = RandomStream(key: RandomKey(seed: 77))
        for (c, h, w) in [(3, 28, 28), (2, 14, 14), (4, 7, 7), (1, 5, 9), (2, 2, 34), (1, 3, 65), (2, 4, 2), (1, 6, 37)] {
            var x = [Float](repeating: 0, count: c * h * w)
            x.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: -3, high: 2) }
            for i in stride(from: 0, to: x.count, by: 7) { x[i] = 1.5 }  // ties
            for i in stride(from: 3, to: x.count, by: 11) { x[i] = -0.0 }
            for i in stride(from: 5, to: x.count, by: 13) { x[i] = 0.0 }
            for i in stride(from: 2, to: x.count, by: 17) { x[i] = -.infinity }
            for i in stride(from: 9, to: x.count, by: 19) { x[i] = .nan }
            for i in stride(from: 10, to: x.count, by: 23) { x[i] = -.nan }
            let oh = (h - 2) / 2 + 1, ow = (w - 2) / 2 + 1
            var yv = [Float](repeating: 7, count: c * oh * ow), ys = yv
            var iv = [Int32](repeating: -5, count: c * oh * ow), iS = iv
            x.withUnsafeBufferPointer { xp in
                foedus_maxpool2x2_forward_f32(xp.baseAddress, &yv, &iv, c, h, w, 1)
                foedus_maxpool2x2_forward_f32(xp.baseAddress, &ys, &iS, c, h, w, 0)
            }
            XCTAssertEqual(yv.map(\.bitPattern), ys.map(\.bitPattern), "\(c)×\(h)×\(w) values")
            XCTAssertEqual(iv, iS, "\(c)×\(h)×\(w) indices")
            XCTAssertTrue(ys.contains { $0.isNaN } || c * oh * ow < 8, "\(c)×\(h)×\(w): NaN exercised")
        }
    }

    func testMaxPool2x2BackwardEqualsZeroFillThenScatter() {
        // Oracle: foedus_maxpool_backward_f32 (zero dx, then dx[index] += dy) on the forward's
        // indices; the vector kernel and its scalar twin write every element instead. Odd sizes
        // (an uncovered last column / row), dy with −0 (0 + −0 is +0), NaN, ±∞ and ties in x.
        var stream = RandomStream(key: RandomKey(seed: 78))
        for (c, h, w) in [(3, 28, 28), (2, 14, 14), (4, 7, 7), (1, 5, 9), (2, 2, 34), (1, 3, 65), (2, 4, 2), (1, 6, 37)] {
            var x = [Float](repeating: 0, count: c * h * w)
            x.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: -3, high: 2) }
            for i in stride(from: 0, to: x.count, by: 7) { x[i] = 1.5 }
            for i in stride(from: 9, to: x.count, by: 19) { x[i] = .nan }
            let oh = (h - 2) / 2 + 1, ow = (w - 2) / 2 + 1
            var y = [Float](repeating: 0, count: c * oh * ow), index = [Int32](repeating: 0, count: c * oh * ow)
            x.withUnsafeBufferPointer { foedus_maxpool2x2_forward_f32($0.baseAddress, &y, &index, c, h, w, 0) }
            var dy = [Float](repeating: 0, count: c * oh * ow)
            dy.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: -1, high: 1) }
            for i in stride(from: 1, to: dy.count, by: 5) { dy[i] = -0.0 }
            for i in stride(from: 2, to: dy.count, by: 9) { dy[i] = .nan }
            for i in stride(from: 4, to: dy.count, by: 11) { dy[i] = i % 2 == 0 ? .infinity : -.infinity }
            var expected = [Float](repeating: 3, count: c * h * w), fast = expected, twin = expected
            foedus_maxpool_backward_f32(dy, index, &expected, c, h, w, oh, ow)
            foedus_maxpool2x2_backward_f32(dy, index, &fast, c, h, w, 1)
            foedus_maxpool2x2_backward_f32(dy, index, &twin, c, h, w, 0)
            XCTAssertEqual(fast.map(\.bitPattern), expected.map(\.bitPattern), "\(c)×\(h)×\(w) vector")
            XCTAssertEqual(twin.map(\.bitPattern), expected.map(\.bitPattern), "\(c)×\(h)×\(w) scalar twin")
        }
    }
}
