import XCTest
import FoedusNN
import FoedusTensor

/// Linear and Conv2d against plain-loop Float64 references (``ScalarReference``), and their
/// gradients against Float64 central differences (h = 1e-5) of `⟨cotangent, reference⟩`.
///
/// Tolerances: Float64 outputs 1e-12 abs + 1e-12 rel (sums of ≤ 50 products of magnitude ≤ 1);
/// Float32 outputs 1e-5 abs + 1e-5 rel (≈ 50 accumulated Float32 roundings); gradients 1e-8 abs
/// + 1e-8 rel (both maps are linear in each argument, so central differences are exact up to
/// rounding ≈ 1e-11/h).
final class LinearConvolutionLayerTests: XCTestCase {
    func testLinearMatchesReference() {
        let rows = 3, inF = 7, outF = 5
        let layer = Linear(inF, outF)
        for dtype in [DType.float32, .float64] {
            let x = rounded(testValues(rows * inF, seed: 41), dtype)
            let w = rounded(testValues(outF * inF, seed: 42), dtype)
            let b = rounded(testValues(outF, seed: 43), dtype)
            let parameters = ParameterSet([("weight", tensor(w, [outF, inF], dtype)), ("bias", tensor(b, [outF], dtype))])
            let y = runLayer(layer, tensor(x, [rows, inF], dtype), parameters: parameters).output
            XCTAssertEqual(y.shape, [rows, outF])
            let t = dtype == .float32 ? 1e-5 : 1e-12
            assertClose(y.doubles, ScalarReference.linear(x, rows: rows, inFeatures: inF, weight: w, bias: b), absolute: t, relative: t, "Linear \(dtype)")
        }
    }

    func testLinearGradientsMatchCentralDifferences() {
        let rows = 3, inF = 7, outF = 5
        let x = testValues(rows * inF, seed: 41), w = testValues(outF * inF, seed: 42), b = testValues(outF, seed: 43)
        let cotangent = testValues(rows * outF, seed: 44)
        let parameters = ParameterSet([("weight", tensor(w, [outF, inF])), ("bias", tensor(b, [outF]))])
        let pullback = layerPullback(Linear(inF, outF), tensor(x, [rows, inF]), parameters: parameters, cotangent: tensor(cotangent, [rows, outF]))
        let loss = { (x: [Double], w: [Double], b: [Double]) in dot(cotangent, ScalarReference.linear(x, rows: rows, inFeatures: inF, weight: w, bias: b)) }
        assertClose(pullback[0].doubles, centralDifferences(x) { loss($0, w, b) }, absolute: 1e-8, relative: 1e-8, "∂x")
        assertClose(pullback[1].doubles, centralDifferences(w) { loss(x, $0, b) }, absolute: 1e-8, relative: 1e-8, "∂weight")
        assertClose(pullback[2].doubles, centralDifferences(b) { loss(x, w, $0) }, absolute: 1e-8, relative: 1e-8, "∂bias")
    }

    /// Geometries that exercise padding, stride, dilation, groups and non-square kernels.
    let convolutions: [(name: String, layer: Conv2d, geometry: ScalarReference.Conv)] = [
        ("3x3 pad 1", Conv2d(2, 3, kernelSize: 3, padding: 1),
         .init(n: 2, inC: 2, h: 5, w: 4, outC: 3, kh: 3, kw: 3, padding: (1, 1))),
        ("stride 2, 2x3 kernel, pad (1, 0)", Conv2d(3, 4, kernel: (2, 3), stride: (2, 2), padding: (1, 0)),
         .init(n: 1, inC: 3, h: 6, w: 7, outC: 4, kh: 2, kw: 3, stride: (2, 2), padding: (1, 0))),
        ("dilation 2, groups 2, no bias", Conv2d(4, 6, kernel: (3, 3), padding: (2, 1), dilation: (2, 1), groups: 2, bias: false),
         .init(n: 2, inC: 4, h: 5, w: 5, outC: 6, kh: 3, kw: 3, padding: (2, 1), dilation: (2, 1), groups: 2)),
    ]

    func convolutionParameters(_ layer: Conv2d, _ g: ScalarReference.Conv, _ w: [Double], _ b: [Double], _ dtype: DType) -> ParameterSet {
        var p = ParameterSet([("weight", tensor(w, [g.outC, g.inC / g.groups, g.kh, g.kw], dtype))])
        if layer.hasBias { p.append("bias", tensor(b, [g.outC], dtype)) }
        return p
    }

    func testConv2dMatchesReference() {
        for (name, layer, g) in convolutions {
            for dtype in [DType.float32, .float64] {
                let x = rounded(testValues(g.inputCount, seed: 51), dtype)
                let w = rounded(testValues(g.weightCount, seed: 52), dtype)
                let b = rounded(testValues(g.outC, seed: 53), dtype)
                let y = runLayer(layer, tensor(x, [g.n, g.inC, g.h, g.w], dtype), parameters: convolutionParameters(layer, g, w, b, dtype)).output
                XCTAssertEqual(y.shape, g.outputShape, name)
                let t = dtype == .float32 ? 1e-5 : 1e-12
                assertClose(y.doubles, ScalarReference.conv2d(x, weight: w, bias: layer.hasBias ? b : nil, g), absolute: t, relative: t, "Conv2d \(name) \(dtype)")
            }
        }
    }

    func testConv2dGradientsMatchCentralDifferences() {
        for (name, layer, g) in convolutions {
            let x = testValues(g.inputCount, seed: 51), w = testValues(g.weightCount, seed: 52), b = testValues(g.outC, seed: 53)
            let outCount = g.outputShape.reduce(1, *)
            let cotangent = testValues(outCount, seed: 54)
            let pullback = layerPullback(layer, tensor(x, [g.n, g.inC, g.h, g.w]), parameters: convolutionParameters(layer, g, w, b, .float64),
                                         cotangent: tensor(cotangent, g.outputShape))
            let loss = { (x: [Double], w: [Double], b: [Double]) in
                dot(cotangent, ScalarReference.conv2d(x, weight: w, bias: layer.hasBias ? b : nil, g))
            }
            assertClose(pullback[0].doubles, centralDifferences(x) { loss($0, w, b) }, absolute: 1e-8, relative: 1e-8, "\(name) ∂x")
            assertClose(pullback[1].doubles, centralDifferences(w) { loss(x, $0, b) }, absolute: 1e-8, relative: 1e-8, "\(name) ∂weight")
            if layer.hasBias {
                assertClose(pullback[2].doubles, centralDifferences(b) { loss(x, w, $0) }, absolute: 1e-8, relative: 1e-8, "\(name) ∂bias")
            }
        }
    }

    /// Declared shapes and PyTorch's default initialisation bound `1/√fanIn`.
    func testDeclaredShapesAndInitialisationBounds() {
        let conv = ModelState(Conv2d(4, 6, kernel: (3, 2), groups: 2), key: RandomKey(seed: 5))
        XCTAssertEqual(conv.parameters.names, ["weight", "bias"])
        XCTAssertEqual(conv.parameters["weight"]!.shape, [6, 2, 3, 2])
        let convBound = 1 / Double(2 * 3 * 2).squareRoot()
        XCTAssertTrue(conv.parameters.tensors.allSatisfy { $0.doubles.allSatisfy { abs($0) <= convBound } })
        let linear = ModelState(Linear(9, 4, bias: false), key: RandomKey(seed: 5))
        XCTAssertEqual(linear.parameters.names, ["weight"])
        XCTAssertEqual(linear.parameters["weight"]!.shape, [4, 9])
        XCTAssertTrue(linear.parameters["weight"]!.doubles.allSatisfy { abs($0) <= 1.0 / 3 })
        XCTAssertGreaterThan(linear.parameters["weight"]!.doubles.map(abs).max()!, 0.25, "draws should fill most of [−1/3, 1/3]")
    }
}
