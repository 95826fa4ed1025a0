import FoedusKernels
import XCTest

// Oracle: IntegerConv2D.reference, a direct scalar convolution; exact equality on every backend.
final class IntegerConv2DTests: XCTestCase {
    func testMatchesDirectConvolution() {
        var data = IntegerTestData(seed: 20)
        typealias Case = (n: Int, c: Int, o: Int, h: Int, w: Int, k: (Int, Int), s: (Int, Int), p: (Int, Int), d: (Int, Int), g: Int)
        let cases: [Case] = [
            (2, 3, 5, 9, 7, (3, 3), (1, 1), (1, 1), (1, 1), 1),
            (1, 4, 6, 11, 10, (3, 2), (2, 1), (2, 0), (1, 2), 2),
            (2, 6, 6, 8, 8, (3, 3), (2, 2), (1, 1), (1, 1), 6),
            (1, 1, 32, 12, 12, (5, 5), (1, 1), (2, 2), (1, 1), 1),
            (1, 32, 70, 7, 7, (3, 3), (1, 1), (1, 1), (1, 1), 1),
        ]
        for t in cases {
            let weights = data.int8s(t.o * (t.c / t.g) * t.k.0 * t.k.1)
            let bias = data.int32s(t.o, in: -5000...5000)
            let conv = IntegerConv2D(weights: weights, inChannels: t.c, outChannels: t.o, kernel: t.k, stride: t.s,
                                     padding: t.p, dilation: t.d, groups: t.g)
            let xu = data.uint8s(t.n * t.c * t.h * t.w), xs = data.int8s(t.n * t.c * t.h * t.w)
            for zero: Int32 in [0, 7] {
                let expectedU = IntegerConv2D.reference(xu, weights: weights, batch: t.n, inChannels: t.c, h: t.h, w: t.w,
                    outChannels: t.o, kernel: t.k, stride: t.s, padding: t.p, dilation: t.d, groups: t.g, zeroPoint: zero, bias: bias)
                let expectedS = IntegerConv2D.reference(xs, weights: weights, batch: t.n, inChannels: t.c, h: t.h, w: t.w,
                    outChannels: t.o, kernel: t.k, stride: t.s, padding: t.p, dilation: t.d, groups: t.g, zeroPoint: -zero, bias: bias)
                for backend in explicitBackends {
                    XCTAssertEqual(conv.forward(xu, batch: t.n, h: t.h, w: t.w, zeroPoint: zero, bias: bias, backend: backend),
                                   expectedU, "u8 \(t) z \(zero) \(backend)")
                    XCTAssertEqual(conv.forward(xs, batch: t.n, h: t.h, w: t.w, zeroPoint: -zero, bias: bias, backend: backend),
                                   expectedS, "s8 \(t) z \(-zero) \(backend)")
                }
            }
        }
    }
}
