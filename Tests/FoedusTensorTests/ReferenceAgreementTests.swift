import XCTest
import FoedusKernels
import FoedusTensor

/// The tensor layer's conv2d, pooling and matmul against naive scalar loops written here.
final class ReferenceAgreementTests: XCTestCase {
    /// Naive NCHW convolution: the definition, in Double.
    func naiveConv(_ x: [Double], _ xs: [Int], _ w: [Double], _ ws: [Int], stride: (Int, Int), pad: (Int, Int), dilation: (Int, Int), groups: Int) -> [Double] {
        let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3]), (o, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3])
        let oh = (h + 2 * pad.0 - dilation.0 * (kh - 1) - 1) / stride.0 + 1, ow = (wd + 2 * pad.1 - dilation.1 * (kw - 1) - 1) / stride.1 + 1
        var y = [Double](repeating: 0, count: n * o * oh * ow)
        let og = o / groups
        for b in 0..<n { for oc in 0..<o { for oy in 0..<oh { for ox in 0..<ow {
            var s = 0.0
            let g = oc / og
            for ic in 0..<cg { for i in 0..<kh { for j in 0..<kw {
                let iy = oy * stride.0 - pad.0 + i * dilation.0, ix = ox * stride.1 - pad.1 + j * dilation.1
                if iy >= 0 && iy < h && ix >= 0 && ix < wd {
                    s += x[((b * c + g * cg + ic) * h + iy) * wd + ix] * w[((oc * cg + ic) * kh + i) * kw + j]
                }
            } } }
            y[((b * o + oc) * oh + oy) * ow + ox] = s
        } } } }
        _ = c
        return y
    }

    func testConv2dMatchesNaiveLoops() {
        // Float32 (oneDNN) at 1e-5 relative (accumulation of ≤ 54 Float32 products); Float64
        // (portable) at 1e-13.
        let cases: [([Int], [Int], (Int, Int), (Int, Int), (Int, Int), Int)] = [
            ([2, 3, 9, 7], [5, 3, 3, 3], (2, 2), (1, 1), (1, 1), 1),
            ([1, 4, 8, 11], [6, 2, 3, 2], (1, 2), (1, 0), (2, 1), 2),
            ([3, 6, 5, 5], [6, 1, 3, 3], (1, 1), (1, 1), (1, 1), 6),
        ]
        for (i, (xs, ws, s, p, d, g)) in cases.enumerated() {
            let x = randomTensor(xs, seed: UInt64(300 + i)).cast(to: .float32).cast(to: .float64)
            let w = randomTensor(ws, seed: UInt64(310 + i)).cast(to: .float32).cast(to: .float64)
            let expected = naiveConv(x.doubles, xs, w.doubles, ws, stride: s, pad: p, dilation: d, groups: g)
            let y64 = Tensor.conv2d(x, weight: w, stride: s, padding: p, dilation: d, groups: g)
            assertClose(y64.doubles, expected, tolerance: 1e-13, "conv f64 case \(i)")
            let y32 = Tensor.conv2d(x.cast(to: .float32), weight: w.cast(to: .float32), stride: s, padding: p, dilation: d, groups: g)
            assertClose(y32.doubles, expected, tolerance: 1e-5, "conv f32 case \(i)")
            // conv2d = unfold + matmul (groups 1 only), an independent decomposition.
            if g == 1 {
                let cols = x.unfolded(kernel: (ws[2], ws[3]), stride: s, padding: p, dilation: d)
                let viaUnfold = Tensor.matmul(w.reshaped([ws[0], -1]), cols.permuted([1, 0, 2]).reshaped([cols.shape[1], -1]))
                    .reshaped([ws[0], xs[0], -1]).permuted([1, 0, 2])
                assertClose(viaUnfold.doubles, expected, tolerance: 1e-13, "unfold+matmul case \(i)")
            }
        }
    }

    func testPoolingMatchesNaiveLoops() {
        let xs = [2, 3, 7, 6]
        let x = randomTensor(xs, seed: 320)
        let v = x.doubles
        // Max 3x3 stride 2 pad 1 and average 2x2 stride 1 pad 1 (zeros counted), by definition.
        func naive(_ k: Int, _ s: Int, _ p: Int, max: Bool) -> [Double] {
            let oh = (7 + 2 * p - k) / s + 1, ow = (6 + 2 * p - k) / s + 1
            var out: [Double] = []
            for b in 0..<2 { for c in 0..<3 { for oy in 0..<oh { for ox in 0..<ow {
                var acc = max ? -Double.infinity : 0
                for i in 0..<k { for j in 0..<k {
                    let iy = oy * s - p + i, ix = ox * s - p + j
                    guard iy >= 0 && iy < 7 && ix >= 0 && ix < 6 else { continue }
                    let e = v[((b * 3 + c) * 7 + iy) * 6 + ix]
                    acc = max ? Swift.max(acc, e) : acc + e
                } }
                out.append(max ? acc : acc / Double(k * k))
            } } } }
            return out
        }
        XCTAssertEqual(x.maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)).doubles, naive(3, 2, 1, max: true))
        XCTAssertEqual(x.cast(to: .float32).maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)).doubles,
                       x.cast(to: .float32).cast(to: .float64).maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)).doubles)
        assertClose(x.avgPool2d(kernel: (2, 2), stride: (1, 1), padding: (1, 1)).doubles, naive(2, 1, 1, max: false), tolerance: 1e-15)
    }

    func testMatmulMatchesNaiveLoops() {
        let a = randomTensor([5, 7, 9], seed: 330).cast(to: .float32).cast(to: .float64), b = randomTensor([9, 6], seed: 331).cast(to: .float32).cast(to: .float64)
        let av = a.doubles, bv = b.doubles
        var expected = [Double](repeating: 0, count: 5 * 7 * 6)
        for i in 0..<35 { for j in 0..<6 { for k in 0..<9 { expected[i * 6 + j] += av[i * 9 + k] * bv[k * 6 + j] } } }
        assertClose(Tensor.matmul(a, b).doubles, expected, tolerance: 1e-14, "f64")
        assertClose(Tensor.matmul(a.cast(to: .float32), b.cast(to: .float32)).doubles, expected, tolerance: 1e-6, "f32")
    }
}
