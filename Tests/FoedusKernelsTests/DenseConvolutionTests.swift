import Dispatch
import FoedusKernels
import XCTest

/// 2-D convolutions: oneDNN (Float32) and portable (Double) forward, backward-data and
/// backward-weights passes against the direct-loop reference, plus the adjointness of the three.
///
/// Oracle: `ReferenceKernels` evaluated in Double on the same (Float-rounded) inputs. Tolerances
/// are relative to the per-element bound `Σ |a|·|b|` over the products feeding each output,
/// obtained by running the reference on the magnitudes of the inputs:
/// - oneDNN Float32: 1e-4 (accumulation lengths ≤ 160 here, worst case ≈ 160·2⁻²⁴ ≈ 1e-5);
/// - portable Double: 1e-12 (worst case ≈ 160·2⁻⁵³ ≈ 2e-14).
final class DenseConvolutionTests: XCTestCase {
    static let geometries: [Conv2DGeometry] = [
        // Plain 3×3 "same" convolution on an odd, non-square input.
        Conv2DGeometry(batch: 2, inChannels: 3, height: 11, width: 13, outChannels: 5,
                       kernelH: 3, kernelW: 3, padH: 1, padW: 1),
        // Stride 2 with a non-square kernel; the floored output leaves trailing input unused.
        Conv2DGeometry(batch: 3, inChannels: 4, height: 9, width: 10, outChannels: 6,
                       kernelH: 3, kernelW: 2, strideH: 2, strideW: 2, padH: 1, padW: 1),
        // Dilation 2.
        Conv2DGeometry(batch: 2, inChannels: 3, height: 12, width: 11, outChannels: 4,
                       kernelH: 3, kernelW: 3, padH: 2, padW: 2, dilationH: 2, dilationW: 2),
        // Two groups, stride 2.
        Conv2DGeometry(batch: 2, inChannels: 6, height: 10, width: 9, outChannels: 4,
                       kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, groups: 2),
        // Depthwise.
        Conv2DGeometry(batch: 2, inChannels: 5, height: 8, width: 11, outChannels: 5,
                       kernelH: 3, kernelW: 3, padH: 1, padW: 1, groups: 5),
        // Depthwise with channel multiplier 2, mixed strides, paddings and dilations.
        Conv2DGeometry(batch: 1, inChannels: 3, height: 13, width: 12, outChannels: 6,
                       kernelH: 5, kernelW: 3, strideH: 1, strideW: 2, padH: 2, padW: 1,
                       dilationH: 1, dilationW: 2, groups: 3),
        // 1×1 (the portable kernels skip im2col), ungrouped and grouped.
        Conv2DGeometry(batch: 2, inChannels: 7, height: 5, width: 6, outChannels: 3, kernelH: 1, kernelW: 1),
        Conv2DGeometry(batch: 2, inChannels: 6, height: 5, width: 3, outChannels: 9, kernelH: 1, kernelW: 1, groups: 3),
        // Stride 3 without padding: the last input row and column feed nothing.
        Conv2DGeometry(batch: 2, inChannels: 2, height: 10, width: 10, outChannels: 3,
                       kernelH: 3, kernelW: 3, strideH: 3, strideW: 3),
        // The first cnn-gn layer, smaller.
        Conv2DGeometry(batch: 3, inChannels: 1, height: 14, width: 14, outChannels: 8,
                       kernelH: 3, kernelW: 3, padH: 1, padW: 1),
        // Wider channel counts (accumulation length 16·9 = 144 + up to 160 for backward weights).
        Conv2DGeometry(batch: 2, inChannels: 16, height: 7, width: 9, outChannels: 17,
                       kernelH: 3, kernelW: 3, padH: 1, padW: 1),
    ]

    /// Random inputs of one geometry: x, w and an upstream gradient g shaped like y.
    struct Operands {
        var x, w, g: [Double]
        init(_ geometry: Conv2DGeometry, seed: UInt64) {
            var rng = DenseKernelTestRNG(seed: seed)
            x = rng.floatExactValues(geometry.inputCount)
            w = rng.floatExactValues(geometry.weightCount)
            g = rng.floatExactValues(geometry.outputCount)
        }
    }

    /// The three reference passes in Double, each with its per-element error bound.
    struct Expected {
        var y, yBound, dx, dxBound, dw, dwBound: [Double]
        init(_ geometry: Conv2DGeometry, _ o: Operands) {
            let ax = DenseKernelTest.magnitudes(o.x), aw = DenseKernelTest.magnitudes(o.w)
            let ag = DenseKernelTest.magnitudes(o.g)
            func forward(_ x: [Double], _ w: [Double]) -> [Double] {
                var y = [Double](repeating: .nan, count: geometry.outputCount)
                ReferenceKernels.conv2dForward(x: x, w: w, y: &y, geometry: geometry)
                return y
            }
            func data(_ g: [Double], _ w: [Double]) -> [Double] {
                var dx = [Double](repeating: .nan, count: geometry.inputCount)
                ReferenceKernels.conv2dBackwardData(gradOutput: g, w: w, gradInput: &dx, geometry: geometry)
                return dx
            }
            func weights(_ x: [Double], _ g: [Double]) -> [Double] {
                var dw = [Double](repeating: .nan, count: geometry.weightCount)
                ReferenceKernels.conv2dBackwardWeights(x: x, gradOutput: g, gradWeight: &dw, geometry: geometry)
                return dw
            }
            y = forward(o.x, o.w); yBound = forward(ax, aw)
            dx = data(o.g, o.w); dxBound = data(ag, aw)
            dw = weights(o.x, o.g); dwBound = weights(ax, ag)
        }
    }

    func testGeometryOutputSizesAndValidation() {
        let g = Conv2DGeometry(batch: 1, inChannels: 4, height: 28, width: 27, outChannels: 8,
                               kernelH: 3, kernelW: 5, strideH: 2, strideW: 3, padH: 1, padW: 2,
                               dilationH: 2, dilationW: 1, groups: 2)
        // PyTorch: floor((28 + 2 − 2·2 − 1) / 2) + 1 = 13, floor((27 + 4 − 4 − 1) / 3) + 1 = 9.
        XCTAssertEqual(g.outHeight, 13)
        XCTAssertEqual(g.outWidth, 9)
        XCTAssertTrue(g.isValid)
        XCTAssertEqual(g.weightCount, 8 * 2 * 3 * 5)
        var bad = g
        bad.groups = 3
        XCTAssertNotNil(bad.validationError)
        bad = g
        bad.kernelH = 40
        XCTAssertFalse(bad.isValid)
        bad = g
        bad.padW = -1
        XCTAssertFalse(bad.isValid)
        bad = g
        bad.strideH = 0
        XCTAssertFalse(bad.isValid)
        XCTAssertEqual(bad.outHeight, 0)
    }

    func testReferenceLeavesUnreachedInputGradientZero() {
        let g = Self.geometries[8]
        let o = Operands(g, seed: 1)
        let expected = Expected(g, o)
        for n in 0..<g.batch {
            for c in 0..<g.inChannels {
                for i in 0..<g.width {
                    XCTAssertEqual(expected.dx[((n * g.inChannels + c) * g.height + g.height - 1) * g.width + i], 0)
                }
            }
        }
    }

    func testDNNLConvolutionMatchesReference() {
        for (index, geometry) in Self.geometries.enumerated() {
            let o = Operands(geometry, seed: 300 + UInt64(index))
            let expected = Expected(geometry, o)
            let (y, dx, dw) = Self.dnnlPasses(geometry, o)
            DenseKernelTest.assertWithinBound(y, expected.y, bound: expected.yBound, relative: 1e-4,
                                              "DNNL conv forward \(geometry)")
            DenseKernelTest.assertWithinBound(dx, expected.dx, bound: expected.dxBound, relative: 1e-4,
                                              "DNNL conv backward data \(geometry)")
            DenseKernelTest.assertWithinBound(dw, expected.dw, bound: expected.dwBound, relative: 1e-4,
                                              "DNNL conv backward weights \(geometry)")
        }
    }

    func testPortableConvolutionMatchesReference() {
        for (index, geometry) in Self.geometries.enumerated() {
            let o = Operands(geometry, seed: 400 + UInt64(index))
            let expected = Expected(geometry, o)
            let (y, dx, dw) = portablePasses(geometry, o)
            DenseKernelTest.assertWithinBound(y, expected.y, bound: expected.yBound, relative: 1e-12,
                                              "portable conv forward \(geometry)")
            DenseKernelTest.assertWithinBound(dx, expected.dx, bound: expected.dxBound, relative: 1e-12,
                                              "portable conv backward data \(geometry)")
            DenseKernelTest.assertWithinBound(dw, expected.dw, bound: expected.dwBound, relative: 1e-12,
                                              "portable conv backward weights \(geometry)")
        }
    }

    /// `<conv(x, w), g> = <x, bwdData(g, w)> = <w, bwdWeights(x, g)>`: the three portable passes
    /// are one bilinear form read three ways. Each inner product sums the same products
    /// `x·w·g` in different orders, so they agree to 1e-12 of `Σ |x|·|w|·|g|` (= `<|y|-bound, |g|>`).
    func testPortableConvolutionPassesAreAdjoint() {
        for (index, geometry) in Self.geometries.enumerated() {
            let o = Operands(geometry, seed: 500 + UInt64(index))
            let (y, dx, dw) = portablePasses(geometry, o)
            let expected = Expected(geometry, o)
            let scale = DenseKernelTest.dot(expected.yBound, DenseKernelTest.magnitudes(o.g))
            let viaOutput = DenseKernelTest.dot(y, o.g)
            let viaInput = DenseKernelTest.dot(o.x, dx)
            let viaWeights = DenseKernelTest.dot(o.w, dw)
            XCTAssertLessThanOrEqual(abs(viaOutput - viaInput), 1e-12 * scale, "<y,g> vs <x,dx> for \(geometry)")
            XCTAssertLessThanOrEqual(abs(viaOutput - viaWeights), 1e-12 * scale, "<y,g> vs <w,dw> for \(geometry)")
        }
    }

    /// Worker threads (one OpenMP thread each) running the same cached convolution primitives at
    /// once all get correct results.
    func testConcurrentConvolutionsShareCachedPrimitives() {
        let geometry = Self.geometries[3]
        let o = Operands(geometry, seed: 600)
        let expected = Expected(geometry, o)
        let threads = 4
        let results = DenseKernelResultBox(count: 3 * threads)
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            DNNLKernels.setIntraOpThreads(1)
            var last: ([Double], [Double], [Double]) = ([], [], [])
            for _ in 0..<10 { last = Self.dnnlPasses(geometry, o) }
            results.set(3 * worker, last.0)
            results.set(3 * worker + 1, last.1)
            results.set(3 * worker + 2, last.2)
        }
        for worker in 0..<threads {
            DenseKernelTest.assertWithinBound(results.get(3 * worker), expected.y, bound: expected.yBound,
                                              relative: 1e-4, "concurrent forward, worker \(worker)")
            DenseKernelTest.assertWithinBound(results.get(3 * worker + 1), expected.dx, bound: expected.dxBound,
                                              relative: 1e-4, "concurrent backward data, worker \(worker)")
            DenseKernelTest.assertWithinBound(results.get(3 * worker + 2), expected.dw, bound: expected.dwBound,
                                              relative: 1e-4, "concurrent backward weights, worker \(worker)")
        }
    }

    private static func dnnlPasses(_ geometry: Conv2DGeometry, _ o: Operands) -> ([Double], [Double], [Double]) {
        let x = DenseKernelTest.floats(o.x), w = DenseKernelTest.floats(o.w), g = DenseKernelTest.floats(o.g)
        var y = [Float](repeating: .nan, count: geometry.outputCount)
        var dx = [Float](repeating: .nan, count: geometry.inputCount)
        var dw = [Float](repeating: .nan, count: geometry.weightCount)
        DNNLKernels.conv2dForward(x: x, w: w, y: &y, geometry: geometry)
        DNNLKernels.conv2dBackwardData(gradOutput: g, w: w, gradInput: &dx, geometry: geometry)
        DNNLKernels.conv2dBackwardWeights(x: x, gradOutput: g, gradWeight: &dw, geometry: geometry)
        return (DenseKernelTest.doubles(y), DenseKernelTest.doubles(dx), DenseKernelTest.doubles(dw))
    }

    private func portablePasses(_ geometry: Conv2DGeometry, _ o: Operands) -> ([Double], [Double], [Double]) {
        var y = [Double](repeating: .nan, count: geometry.outputCount)
        var dx = [Double](repeating: .nan, count: geometry.inputCount)
        var dw = [Double](repeating: .nan, count: geometry.weightCount)
        PortableKernels.conv2dForward(x: o.x, w: o.w, y: &y, geometry: geometry)
        PortableKernels.conv2dBackwardData(gradOutput: o.g, w: o.w, gradInput: &dx, geometry: geometry)
        PortableKernels.conv2dBackwardWeights(x: o.x, gradOutput: o.g, gradWeight: &dw, geometry: geometry)
        return (y, dx, dw)
    }
}
