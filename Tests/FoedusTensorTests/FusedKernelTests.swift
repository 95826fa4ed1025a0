import XCTest
import FoedusTensor

/// Fused Float32 kernels (group norm, max-pool, softmax cross-entropy) against their primitive
/// decompositions, and the decomposition against Float64 central differences (elsewhere).
final class FusedKernelTests: XCTestCase {
    // Oracle: the composite evaluated in Float64 on the same (Float32-representable) inputs.
    // Tolerance 2e-5 relative: Float32 rounding (6e-8) over group sums of ≤ 300 terms, through a
    // normalisation that can amplify by 1/σ.
    func testGroupNormForwardAndBackwardMatchComposite() {
        for (shape, groups) in [([3, 6, 5, 7], 3), ([2, 4, 1, 9], 4), ([4, 8, 3, 3], 1)] {
            let x = randomTensor(shape, seed: 200, low: -2, high: 3).cast(to: .float32)
            let w = randomTensor([shape[1]], seed: 201, low: 0.5, high: 1.5).cast(to: .float32)
            let b = randomTensor([shape[1]], seed: 202).cast(to: .float32)
            let cot = randomTensor(shape, seed: 203).cast(to: .float32)
            let fused = valueAndPullback(of: { Tensor.groupNorm($0[0], groups: groups, weight: $0[1], bias: $0[2]) }, at: [x, w, b], cotangent: cot)
            let x64 = x.cast(to: .float64), w64 = w.cast(to: .float64), b64 = b.cast(to: .float64)
            let reference = valueAndPullback(of: { Tensor.groupNormComposite($0[0], groups: groups, weight: $0[1], bias: $0[2]) },
                                             at: [x64, w64, b64], cotangent: cot.cast(to: .float64))
            assertClose(fused.value.doubles, reference.value.doubles, tolerance: 2e-5, "GN forward \(shape)")
            for i in 0..<3 { assertClose(fused.pullback[i].doubles, reference.pullback[i].doubles, tolerance: 2e-5, "GN backward input \(i) \(shape)") }
        }
    }

    func testGroupNormSecondOrderUsesDecomposition() {
        // HVP through the fused Float32 op equals the HVP of the composite in Float32
        // (both differentiate the same primitives; 1e-4 for Float32 double-backward rounding).
        let x = randomTensor([2, 4, 3, 3], seed: 210).cast(to: .float32), v = randomTensor([2, 4, 3, 3], seed: 211).cast(to: .float32)
        let w = randomTensor([4], seed: 212).cast(to: .float32), b = randomTensor([4], seed: 213).cast(to: .float32)
        let fused = hessianVectorProduct(of: { Tensor.groupNorm($0, groups: 2, weight: w, bias: b).pow(3).sum() }, at: x, along: v)
        let composite = hessianVectorProduct(of: { Tensor.groupNormComposite($0, groups: 2, weight: w, bias: b).pow(3).sum() }, at: x, along: v)
        assertClose(fused.doubles, composite.doubles, tolerance: 1e-4, "GN HVP")
    }

    func testMaxPoolFusedMatchesGatherDecomposition() {
        // Max-pool selects values: the forward pass is exact; the backward pass is exact up to the
        // Float32 rounding of summing two cotangents where windows overlap (1e-6 relative).
        let geometries: [((Int, Int), (Int, Int)?, (Int, Int))] = [((2, 2), nil, (0, 0)), ((3, 3), (2, 2), (1, 1)), ((2, 3), (1, 2), (1, 0))]
        let x = randomTensor([2, 3, 7, 8], seed: 220).cast(to: .float32)
        let cot0 = randomTensor([2, 3, 9, 9], seed: 221)
        for (k, s, p) in geometries {
            let y32 = x.maxPool2d(kernel: k, stride: s, padding: p)
            let y64 = x.cast(to: .float64).maxPool2d(kernel: k, stride: s, padding: p)
            XCTAssertEqual(y32.doubles, y64.doubles, "forward \(k) \(s as Any) \(p)")
            let cot = cot0.slice(lower: [0, 0, 0, 0], upper: y32.shape).cast(to: .float32)
            let g32 = valueAndPullback(of: { $0[0].maxPool2d(kernel: k, stride: s, padding: p) }, at: [x], cotangent: cot).pullback[0]
            let g64 = valueAndPullback(of: { $0[0].maxPool2d(kernel: k, stride: s, padding: p) }, at: [x.cast(to: .float64)], cotangent: cot.cast(to: .float64)).pullback[0]
            assertClose(g32.doubles, g64.doubles, tolerance: 1e-6, "backward \(k) \(s as Any) \(p)")
        }
    }

    func testMaxPoolTiesGoToFirstMaximum() {
        let x = Tensor(shape: [1, 1, 2, 2], scalars: [Float(1), 1, 1, 1])
        let g = gradient(of: { $0.maxPool2d(kernel: (2, 2)).sum() }, at: x)
        XCTAssertEqual(g.scalars(as: Float.self), [1, 0, 0, 0])
    }

    func testFusedCrossEntropyFloat32MatchesComposite() {
        // Tolerance 1e-6 relative: a dozen Float32 operations per row.
        let logits = randomTensor([9, 7], seed: 230, low: -4, high: 4).cast(to: .float32)
        let labels = Tensor(shape: [9], scalars: (0..<9).map { Int32(($0 * 5) % 7) })
        let fused = valueAndGradient(of: { Tensor.meanCrossEntropy(logits: $0, labels: labels) }, at: logits)
        let composite = valueAndGradient(of: { Tensor.crossEntropyComposite(logits: $0, labels: labels).mean() }, at: logits)
        XCTAssertEqual(fused.value.item, composite.value.item, accuracy: 1e-6 * Swift.abs(composite.value.item))
        assertClose(fused.gradient.doubles, composite.gradient.doubles, tolerance: 1e-6, "CE gradient")
    }
}
