import XCTest
import FoedusNN
import FoedusTensor

/// GroupNorm, BatchNorm2d and LayerNorm against the plain-loop Float64 references of
/// ``ScalarReference``. Gradients are checked against Float64 central differences (h = 1e-5) of
/// `⟨cotangent, reference(x, weight, bias)⟩`, so the oracle shares no code with the library.
///
/// Tolerances: Float64 outputs 1e-12 (a few ulps of values ≲ 10); Float64 gradients 1e-7 abs +
/// 1e-7 rel (central-difference truncation and cancellation ≈ 1e-9); Float32 outputs and
/// gradients 2e-5 abs + 2e-5 rel (≈ 100 Float32 ulps at magnitude 1: the kernels accumulate
/// statistics in double, so the error is the rounding of inputs and outputs).
final class NormalizationLayerTests: XCTestCase {
    func tolerance(_ dtype: DType) -> (output: Double, gradient: Double) {
        dtype == .float32 ? (2e-5, 2e-5) : (1e-12, 1e-7)
    }

    // MARK: GroupNorm

    /// Odd group sizes (2 and 3 channels per group, 15 spatial values) on the fused Float32 path
    /// and the composite Float64 path.
    func testGroupNormMatchesReferenceWithOddGroupSizes() {
        for dtype in [DType.float32, .float64] {
            for (channels, groups) in [(6, 3), (9, 3)] {
                checkGroupNorm(n: 2, channels: channels, groups: groups, height: 5, width: 3, dtype: dtype)
            }
        }
    }

    /// Without affine parameters (the fused kernel's null weight/bias path).
    func testGroupNormWithoutAffineMatchesReference() {
        for dtype in [DType.float32, .float64] { checkGroupNorm(n: 3, channels: 9, groups: 3, height: 5, width: 3, dtype: dtype, affine: false) }
    }

    func checkGroupNorm(n: Int, channels c: Int, groups: Int, height: Int, width: Int, dtype: DType, affine: Bool = true,
                        file: StaticString = #filePath, line: UInt = #line) {
        let spatial = height * width, what = "GroupNorm C=\(c) G=\(groups) \(dtype)\(affine ? "" : " no affine")"
        // An offset per channel, so a wrong grouping changes the statistics.
        let raw = testValues(n * c * spatial, seed: 11).enumerated().map { i, v in 2 * v + Double((i / spatial) % c) * 0.7 }
        let x = rounded(raw, dtype)
        let weight = affine ? rounded(testValues(c, seed: 12, low: 0.5, high: 1.5), dtype) : Array(repeating: 1, count: c)
        let bias = affine ? rounded(testValues(c, seed: 13, low: -0.5, high: 0.5), dtype) : Array(repeating: 0, count: c)
        let cotangent = rounded(testValues(x.count, seed: 14), dtype)
        let layer = GroupNorm(groups: groups, channels: c, affine: affine)
        let shape = [n, c, height, width]
        let parameters = affine ? ParameterSet([("weight", tensor(weight, [c], dtype)), ("bias", tensor(bias, [c], dtype))]) : ParameterSet()
        let input = tensor(x, shape, dtype)

        let y = runLayer(layer, input, parameters: parameters).output
        XCTAssertEqual(y.dtype, dtype, file: file, line: line)
        let reference = ScalarReference.groupNorm(x, n: n, c: c, spatial: spatial, groups: groups, weight: weight, bias: bias)
        assertClose(y.doubles, reference, absolute: tolerance(dtype).output, relative: tolerance(dtype).output, "\(what) output", file: file, line: line)

        let pullback = layerPullback(layer, input, parameters: parameters, cotangent: tensor(cotangent, shape, dtype))
        let loss = { (x: [Double], w: [Double], b: [Double]) in
            dot(cotangent, ScalarReference.groupNorm(x, n: n, c: c, spatial: spatial, groups: groups, weight: w, bias: b))
        }
        let t = tolerance(dtype).gradient
        assertClose(pullback[0].doubles, centralDifferences(x) { loss($0, weight, bias) }, absolute: t, relative: t, "\(what) ∂x", file: file, line: line)
        guard affine else { return XCTAssertEqual(pullback.count, 1, file: file, line: line) }
        assertClose(pullback[1].doubles, centralDifferences(weight) { loss(x, $0, bias) }, absolute: t, relative: t, "\(what) ∂weight", file: file, line: line)
        assertClose(pullback[2].doubles, centralDifferences(bias) { loss(x, weight, $0) }, absolute: t, relative: t, "\(what) ∂bias", file: file, line: line)
    }

    // MARK: BatchNorm2d

    struct BatchNormCase {
        let n = 3, c = 4, height = 5, width = 3
        var spatial: Int { height * width }
        var shape: [Int] { [n, c, height, width] }
        let x: [Double], weight: [Double], bias: [Double], runningMean: [Double], runningVar: [Double], cotangent: [Double]

        init(dtype: DType) {
            let count = 3 * 4 * 5 * 3
            x = rounded(testValues(count, seed: 21).enumerated().map { i, v in 1.5 * v + Double((i / 15) % 4) - 1 }, dtype)
            weight = rounded(testValues(4, seed: 22, low: 0.5, high: 1.5), dtype)
            bias = rounded(testValues(4, seed: 23, low: -0.5, high: 0.5), dtype)
            // Running statistics away from their (0, 1) initial values, so a missing momentum
            // blend is visible.
            runningMean = rounded(testValues(4, seed: 24), dtype)
            runningVar = rounded(testValues(4, seed: 25, low: 0.5, high: 2), dtype)
            cotangent = rounded(testValues(count, seed: 26), dtype)
        }

        func parameters(_ dtype: DType) -> ParameterSet {
            ParameterSet([("weight", tensor(weight, [c], dtype)), ("bias", tensor(bias, [c], dtype))])
        }

        func buffers(_ dtype: DType) -> ParameterSet {
            ParameterSet([("running_mean", tensor(runningMean, [c], dtype)), ("running_var", tensor(runningVar, [c], dtype))])
        }
    }

    /// Training mode normalises with the batch mean and biased variance and blends the running
    /// statistics as PyTorch does: `r ← 0.9·r + 0.1·batch` with the *unbiased* variance.
    func testBatchNormTrainingUsesBatchStatisticsAndUpdatesRunningStatistics() {
        for dtype in [DType.float32, .float64] {
            let k = BatchNormCase(dtype: dtype)
            let (y, buffers) = runLayer(BatchNorm2d(k.c), tensor(k.x, k.shape, dtype), parameters: k.parameters(dtype),
                                        buffers: k.buffers(dtype), mode: .train)
            let stats = ScalarReference.channelStatistics(k.x, n: k.n, c: k.c, spatial: k.spatial)
            let expected = ScalarReference.batchNorm(k.x, n: k.n, c: k.c, spatial: k.spatial, mean: stats.mean, variance: stats.biased,
                                                     weight: k.weight, bias: k.bias)
            let t = tolerance(dtype).output
            assertClose(y.doubles, expected, absolute: t, relative: t, "BatchNorm2d train \(dtype) output")
            assertClose(buffers["running_mean"]!.doubles, zip(k.runningMean, stats.mean).map { 0.9 * $0 + 0.1 * $1 },
                        absolute: t, relative: t, "running_mean \(dtype)")
            assertClose(buffers["running_var"]!.doubles, zip(k.runningVar, stats.unbiased).map { 0.9 * $0 + 0.1 * $1 },
                        absolute: t, relative: t, "running_var \(dtype)")
            XCTAssertEqual(buffers["running_var"]!.dtype, dtype)
        }
    }

    /// Gradients in training mode flow through the batch statistics.
    func testBatchNormTrainingGradientsMatchCentralDifferences() {
        let k = BatchNormCase(dtype: .float64)
        let pullback = layerPullback(BatchNorm2d(k.c), tensor(k.x, k.shape), parameters: k.parameters(.float64),
                                     buffers: k.buffers(.float64), mode: .train, cotangent: tensor(k.cotangent, k.shape))
        let loss = { (x: [Double], w: [Double], b: [Double]) -> Double in
            let s = ScalarReference.channelStatistics(x, n: k.n, c: k.c, spatial: k.spatial)
            return dot(k.cotangent, ScalarReference.batchNorm(x, n: k.n, c: k.c, spatial: k.spatial, mean: s.mean, variance: s.biased, weight: w, bias: b))
        }
        assertClose(pullback[0].doubles, centralDifferences(k.x) { loss($0, k.weight, k.bias) }, absolute: 1e-7, relative: 1e-7, "∂x")
        assertClose(pullback[1].doubles, centralDifferences(k.weight) { loss(k.x, $0, k.bias) }, absolute: 1e-7, relative: 1e-7, "∂weight")
        assertClose(pullback[2].doubles, centralDifferences(k.bias) { loss(k.x, k.weight, $0) }, absolute: 1e-7, relative: 1e-7, "∂bias")
    }

    /// Evaluation mode normalises with the running statistics, leaves them unchanged (bit for
    /// bit), and is an affine map of the input.
    func testBatchNormEvaluationUsesRunningStatistics() {
        for dtype in [DType.float32, .float64] {
            let k = BatchNormCase(dtype: dtype)
            let before = k.buffers(dtype)
            let (y, after) = runLayer(BatchNorm2d(k.c), tensor(k.x, k.shape, dtype), parameters: k.parameters(dtype), buffers: before, mode: .eval)
            let expected = ScalarReference.batchNorm(k.x, n: k.n, c: k.c, spatial: k.spatial, mean: k.runningMean, variance: k.runningVar,
                                                     weight: k.weight, bias: k.bias)
            let t = tolerance(dtype).output
            assertClose(y.doubles, expected, absolute: t, relative: t, "BatchNorm2d eval \(dtype) output")
            XCTAssertEqual(after["running_mean"]!.doubles.map(\.bitPattern), before["running_mean"]!.doubles.map(\.bitPattern))
            XCTAssertEqual(after["running_var"]!.doubles.map(\.bitPattern), before["running_var"]!.doubles.map(\.bitPattern))
        }
        let k = BatchNormCase(dtype: .float64)
        let pullback = layerPullback(BatchNorm2d(k.c), tensor(k.x, k.shape), parameters: k.parameters(.float64), buffers: k.buffers(.float64),
                                     mode: .eval, cotangent: tensor(k.cotangent, k.shape))
        let expectedDx = k.cotangent.indices.map { j -> Double in
            let ch = (j / k.spatial) % k.c
            return k.cotangent[j] * k.weight[ch] / (k.runningVar[ch] + 1e-5).squareRoot()
        }
        assertClose(pullback[0].doubles, expectedDx, absolute: 1e-12, relative: 1e-12, "eval ∂x (analytic)")
    }

    // MARK: LayerNorm

    /// Normalisation over the trailing two dimensions `[2, 5]` of a `[4, 2, 5]` input.
    func testLayerNormMatchesReferenceAndCentralDifferences() {
        let rows = 4, shape = [4, 2, 5], features = 10
        for dtype in [DType.float32, .float64] {
            let x = rounded(testValues(rows * features, seed: 31, low: -3, high: 3), dtype)
            let weight = rounded(testValues(features, seed: 32, low: 0.5, high: 1.5), dtype)
            let bias = rounded(testValues(features, seed: 33), dtype)
            let cotangent = rounded(testValues(x.count, seed: 34), dtype)
            let layer = LayerNorm([2, 5])
            let parameters = ParameterSet([("weight", tensor(weight, [2, 5], dtype)), ("bias", tensor(bias, [2, 5], dtype))])
            let y = runLayer(layer, tensor(x, shape, dtype), parameters: parameters).output
            let t = tolerance(dtype)
            assertClose(y.doubles, ScalarReference.layerNorm(x, rows: rows, features: features, weight: weight, bias: bias),
                        absolute: t.output, relative: t.output, "LayerNorm \(dtype) output")

            let pullback = layerPullback(layer, tensor(x, shape, dtype), parameters: parameters, cotangent: tensor(cotangent, shape, dtype))
            let loss = { (x: [Double], w: [Double], b: [Double]) in
                dot(cotangent, ScalarReference.layerNorm(x, rows: rows, features: features, weight: w, bias: b))
            }
            assertClose(pullback[0].doubles, centralDifferences(x) { loss($0, weight, bias) }, absolute: t.gradient, relative: t.gradient, "LayerNorm \(dtype) ∂x")
            assertClose(pullback[1].doubles, centralDifferences(weight) { loss(x, $0, bias) }, absolute: t.gradient, relative: t.gradient, "LayerNorm \(dtype) ∂weight")
            assertClose(pullback[2].doubles, centralDifferences(bias) { loss(x, weight, $0) }, absolute: t.gradient, relative: t.gradient, "LayerNorm \(dtype) ∂bias")
        }
    }
}
