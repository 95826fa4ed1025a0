import XCTest
import FoedusTensor

/// Every primitive's VJP against Float64 central differences (relative error ≤ 1e-6), on
/// non-square, non-power-of-two shapes with broadcasting.
final class PrimitiveGradientTests: XCTestCase {
    func testUnaryPrimitives() {
        let x = randomTensor([3, 5], seed: 1)
        let positive = randomTensor([3, 5], seed: 2, low: 0.3, high: 2)
        assertGradientsMatch("neg", inputs: [x]) { -$0[0] }
        assertGradientsMatch("exp", inputs: [x]) { $0[0].exp() }
        assertGradientsMatch("log", inputs: [positive]) { $0[0].log() }
        assertGradientsMatch("sqrt", inputs: [positive]) { $0[0].sqrt() }
        assertGradientsMatch("tanh", inputs: [x]) { $0[0].tanh() }
        assertGradientsMatch("erf", inputs: [x]) { $0[0].erf() }
        assertGradientsMatch("pow 3", inputs: [x]) { $0[0].pow(3) }
        assertGradientsMatch("pow -1.5", inputs: [positive]) { $0[0].pow(-1.5) }
        // abs is smooth away from 0; the input is shifted away from it.
        assertGradientsMatch("abs", inputs: [positive - 1.15]) { $0[0].abs() }
    }

    func testBinaryPrimitivesWithBroadcasting() {
        let a = randomTensor([2, 3, 1, 5], seed: 3)
        let b = randomTensor([3, 4, 1], seed: 4, low: 0.5, high: 1.7)
        assertGradientsMatch("add", inputs: [a, b]) { $0[0] + $0[1] }
        assertGradientsMatch("sub", inputs: [a, b]) { $0[0] - $0[1] }
        assertGradientsMatch("mul", inputs: [a, b]) { $0[0] * $0[1] }
        assertGradientsMatch("div", inputs: [a, b]) { $0[0] / $0[1] }
        assertGradientsMatch("scalar ops", inputs: [a]) { 3 - (2 * $0[0] + 1) / 4 }
        let c = randomTensor([2, 3, 4, 5], seed: 5)
        assertGradientsMatch("maximum", inputs: [a, c]) { Tensor.maximum($0[0], $0[1]) }
        assertGradientsMatch("minimum", inputs: [a, c]) { Tensor.minimum($0[0], $0[1]) }
    }

    func testSelect() {
        let cond = randomTensor([3, 1, 5], seed: 6).isGreater(0)
        let a = randomTensor([4, 5], seed: 7), b = randomTensor([3, 4, 1], seed: 8)
        assertGradientsMatch("select", inputs: [a, b]) { Tensor.select(cond, $0[0], $0[1]) }
    }

    func testReductions() {
        let x = randomTensor([3, 4, 5], seed: 9)
        assertGradientsMatch("sum all", inputs: [x]) { $0[0].sum() }
        assertGradientsMatch("sum axes", inputs: [x]) { $0[0].sum(axes: [0, 2]) }
        assertGradientsMatch("sum keep", inputs: [x]) { $0[0].sum(axes: [1], keepDims: true) }
        assertGradientsMatch("max axis", inputs: [x]) { $0[0].max(axes: [1]) }
        assertGradientsMatch("max all", inputs: [x]) { $0[0].max() }
        assertGradientsMatch("min axes", inputs: [x]) { $0[0].min(axes: [0, 2], keepDims: true) }
    }

    func testShapePrimitives() {
        let x = randomTensor([2, 3, 5], seed: 10)
        assertGradientsMatch("reshape", inputs: [x]) { $0[0].reshaped([5, -1]) }
        assertGradientsMatch("permute", inputs: [x]) { $0[0].permuted([2, 0, 1]) }
        assertGradientsMatch("transpose", inputs: [x]) { $0[0].transposed() }
        assertGradientsMatch("broadcast", inputs: [randomTensor([3, 1], seed: 11)]) { $0[0].broadcast(to: [2, 3, 4]) }
        assertGradientsMatch("slice", inputs: [x]) { $0[0].slice(lower: [1, 0, 2], upper: [2, 3, 5]) }
        assertGradientsMatch("pad", inputs: [x]) { $0[0].padded(before: [0, 1, 2], after: [1, 0, 3]) }
        let y = randomTensor([2, 4, 5], seed: 12)
        assertGradientsMatch("concat", inputs: [x, y]) { Tensor.concat([$0[0], $0[1], $0[0]], axis: 1) }
        // A float32 round trip breaks central differences, so the cast's VJP is checked
        // exactly: the cotangent comes back converted.
        let weights = randomTensor([2, 3, 5], seed: 24).cast(to: .float32)
        let gCast = gradient(of: { ($0.cast(to: .float32) * weights).sum() }, at: x)
        XCTAssertEqual(gCast.dtype, .float64)
        XCTAssertEqual(gCast.doubles, weights.doubles)
    }

    func testMatmulAllTransposesAndBatching() {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = randomTensor(ta ? [7, 3] : [3, 7], seed: 13)
                let b = randomTensor(tb ? [5, 7] : [7, 5], seed: 14)
                assertGradientsMatch("matmul \(ta) \(tb)", inputs: [a, b]) { Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
                let a3 = randomTensor(ta ? [2, 7, 3] : [2, 3, 7], seed: 15)
                let b3 = randomTensor(tb ? [2, 5, 7] : [2, 7, 5], seed: 16)
                assertGradientsMatch("batched matmul \(ta) \(tb)", inputs: [a3, b3]) { Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
                assertGradientsMatch("broadcast-B matmul \(ta) \(tb)", inputs: [a3, b]) { Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
            }
        }
    }

    func testConvolutionFamily() {
        // Stride 2, padding 1, dilation 2, groups 2, odd sizes.
        let x = randomTensor([2, 4, 7, 6], seed: 17)
        let w = randomTensor([6, 2, 3, 2], seed: 18)
        let b = randomTensor([6], seed: 19)
        assertGradientsMatch("conv2d groups/stride/pad", inputs: [x, w, b]) {
            Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 1), padding: (1, 1), groups: 2)
        }
        assertGradientsMatch("conv2d dilation", inputs: [x, randomTensor([3, 4, 2, 3], seed: 20)]) {
            Tensor.conv2d($0[0], weight: $0[1], stride: (1, 2), padding: (2, 0), dilation: (2, 1))
        }
    }

    func testUnfoldFold() {
        let x = randomTensor([2, 3, 5, 6], seed: 21)
        assertGradientsMatch("unfold", inputs: [x]) { $0[0].unfolded(kernel: (3, 2), stride: (2, 1), padding: (1, 1), dilation: (1, 2)) }
        let cols = x.unfolded(kernel: (3, 2), stride: (2, 1), padding: (1, 1), dilation: (1, 2))
        assertGradientsMatch("fold", inputs: [cols]) { $0[0].folded(outputSize: (5, 6), kernel: (3, 2), stride: (2, 1), padding: (1, 1), dilation: (1, 2)) }
    }

    func testGatherScatterAdd() {
        let x = randomTensor([3, 5, 2], seed: 22)
        let index = Tensor(shape: [3, 4, 2], scalars: (0..<24).map { Int32(($0 * 7 + 3) % 5) })
        assertGradientsMatch("gather", inputs: [x]) { $0[0].gathering(axis: 1, index: index) }
        let src = randomTensor([3, 4, 2], seed: 23)
        assertGradientsMatch("scatterAdd", inputs: [x, src]) { $0[0].scatteringAdd(axis: 1, index: index, source: $0[1]) }
    }
}
