import XCTest
import FoedusTensor

/// Composite ops (library functions over primitives) against Float64 central differences.
final class CompositeGradientTests: XCTestCase {
    func testActivations() {
        // relu is checked away from its kink.
        let x = randomTensor([3, 7], seed: 30, low: 0.05, high: 1) * randomTensor([3, 7], seed: 31).sign()
        assertGradientsMatch("relu", inputs: [x]) { $0[0].relu() }
        assertGradientsMatch("leakyRelu", inputs: [x]) { $0[0].leakyRelu(slope: 0.1) }
        let y = randomTensor([3, 7], seed: 32, low: -3, high: 3)
        assertGradientsMatch("sigmoid", inputs: [y]) { $0[0].sigmoid() }
        assertGradientsMatch("gelu", inputs: [y]) { $0[0].gelu() }
        assertGradientsMatch("gelu tanh", inputs: [y]) { $0[0].gelu(approximate: true) }
    }

    func testSoftmaxFamilyAndLosses() {
        let x = randomTensor([4, 7], seed: 33, low: -3, high: 3)
        assertGradientsMatch("softmax", inputs: [x]) { $0[0].softmax(axis: 1) }
        assertGradientsMatch("softmax axis 0", inputs: [x]) { $0[0].softmax(axis: 0) }
        assertGradientsMatch("logSoftmax", inputs: [x]) { $0[0].logSoftmax() }
        let labels = Tensor(shape: [4], scalars: [Int32(6), 0, 3, 3])
        assertGradientsMatch("crossEntropy fused", inputs: [x]) { Tensor.crossEntropy(logits: $0[0], labels: labels) }
        assertGradientsMatch("crossEntropy composite", inputs: [x]) { Tensor.crossEntropyComposite(logits: $0[0], labels: labels) }
        assertGradientsMatch("meanCrossEntropy", inputs: [x]) { Tensor.meanCrossEntropy(logits: $0[0], labels: labels) }
        let t = randomTensor([4, 7], seed: 34)
        assertGradientsMatch("mse", inputs: [x, t]) { Tensor.meanSquaredError($0[0], $0[1]) }
    }

    func testStatistics() {
        let x = randomTensor([3, 4, 5], seed: 35)
        assertGradientsMatch("mean", inputs: [x]) { $0[0].mean(axes: [0, 2]) }
        assertGradientsMatch("variance", inputs: [x]) { $0[0].variance(axes: [1]) }
        assertGradientsMatch("variance unbiased", inputs: [x]) { $0[0].variance(axes: [0, 2], keepDims: true, unbiased: true) }
    }

    func testPoolingAndLinear() {
        let x = randomTensor([2, 3, 7, 6], seed: 36)
        assertGradientsMatch("maxPool 2x2", inputs: [x]) { $0[0].maxPool2d(kernel: (2, 2)) }
        assertGradientsMatch("maxPool 3x3 s2 p1", inputs: [x]) { $0[0].maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        assertGradientsMatch("avgPool 3x2 s2 p1", inputs: [x]) { $0[0].avgPool2d(kernel: (3, 2), stride: (2, 1), padding: (1, 1)) }
        assertGradientsMatch("globalAvgPool", inputs: [x]) { $0[0].globalAvgPool2d() }
        let w = randomTensor([4, 6], seed: 37), b = randomTensor([4], seed: 38)
        assertGradientsMatch("linear rank 4", inputs: [x, w, b]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
    }

    func testFloat32GradientsAgreeWithFloat64Oracle() {
        // Float32 runs on oneDNN and the Float32 kernels; its gradient is compared with the
        // Float64 central-difference oracle at 1e-4 relative: Float32 rounding (6e-8) amplified by
        // accumulation over at most a few hundred terms.
        let x64 = randomTensor([3, 2, 6, 5], seed: 39), w64 = randomTensor([4, 2, 3, 3], seed: 40)
        let fc64 = randomTensor([5, 16], seed: 41)
        let labels = Tensor(shape: [3], scalars: [Int32(4), 1, 0])
        func net(_ p: [Tensor]) -> Tensor {
            let h = Tensor.conv2d(p[0], weight: p[1], padding: (1, 1)).relu().maxPool2d(kernel: (2, 2))
            return Tensor.meanCrossEntropy(logits: Tensor.linear(h.flattened(from: 1).slice(axis: 1, 0..<16), weight: p[2]), labels: labels)
        }
        let g32 = valueAndGradient(of: net, at: [x64, w64, fc64].map { $0.cast(to: .float32) }).gradient
        for (i, x) in [x64, w64, fc64].enumerated() {
            let numeric = centralDifferenceGradient({ xi in
                var xs = [x64, w64, fc64]
                xs[i] = xi
                return net(xs)
            }, at: x)
            assertClose(g32[i].doubles, numeric, tolerance: 1e-4, "float32 input \(i)")
        }
    }
}
