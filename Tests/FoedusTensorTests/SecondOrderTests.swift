import XCTest
import FoedusTensor

/// Derivatives of derivatives: the backward pass is itself a differentiable graph.
final class SecondOrderTests: XCTestCase {
    func testSecondDerivativeOfCubeIsSixX() {
        // Oracle: d²/dx² x³ = 6x, exact: the recorded graph computes 3·x²·1 then 6·x with exact
        // integer-valued factors, so equality is exact in Float64 for these inputs.
        let x = Tensor([-2.5, -1, 0, 0.75, 3] as [Double])
        let second = gradient(of: { x in gradient(of: { $0.pow(3).sum() }, at: x).sum() }, at: x)
        XCTAssertEqual(second.scalars(as: Double.self), [-15, -6, 0, 4.5, 18])
        // Third order: d³/dx³ x³ = 6.
        let third = gradient(of: { x in
            gradient(of: { x in gradient(of: { $0.pow(3).sum() }, at: x).sum() }, at: x).sum()
        }, at: x)
        XCTAssertEqual(third.scalars(as: Double.self), [6, 6, 6, 6, 6])
    }

    func testQuadraticFormHessianVectorProductIsAv() {
        // Oracle: for f(x) = ½ xᵀAx with symmetric A, H = A, so H·v = A·v up to rounding
        // (a handful of Float64 ops on 7 terms: 1e-14 relative).
        let n = 7
        let m = randomTensor([n, n], seed: 50)
        let a = (m + m.transposed()) * 0.5
        let x = randomTensor([n, 1], seed: 51), v = randomTensor([n, 1], seed: 52)
        let hv = hessianVectorProduct(of: { x in Tensor.matmul(x, Tensor.matmul(a, x), transposeA: true, transposeB: false).sum() * 0.5 }, at: x, along: v)
        assertClose(hv.doubles, Tensor.matmul(a, v).doubles, tolerance: 1e-14, "A·v")
    }

    /// Oracle for H·v: central differences of the exact gradient along v,
    /// `(∇f(x + h·v) − ∇f(x − h·v)) / 2h`, h = 1e-5 (truncation ~1e-10, rounding ~1e-11).
    private func checkHVP(_ name: String, _ f: @escaping (ParameterSet) -> Tensor, _ p: ParameterSet, _ v: ParameterSet, _ w: ParameterSet) {
        let hv = hessianVectorProduct(of: f, at: p, along: v)
        let h = 1e-5
        let gUp = gradient(of: f, at: p + v * h), gDown = gradient(of: f, at: p - v * h)
        let numeric = (gUp - gDown) * (1 / (2 * h))
        for name2 in p.names {
            assertClose(hv[name2]!.doubles, numeric[name2]!.doubles, tolerance: 1e-5, "\(name) HVP \(name2)")
        }
        // Symmetry: wᵀHv = vᵀHw, to rounding of the two double-backward passes.
        let hw = hessianVectorProduct(of: f, at: p, along: w)
        let wHv = w.dot(hv).item, vHw = v.dot(hw).item
        XCTAssertEqual(wHv, vHw, accuracy: 1e-10 * max(1, Swift.abs(wHv)), "\(name) symmetry")
    }

    func testMLPHessianVectorProduct() {
        let x = randomTensor([6, 5], seed: 60)
        let labels = Tensor(shape: [6], scalars: [Int32(0), 2, 1, 2, 0, 1])
        let p = ParameterSet([("fc1.weight", randomTensor([4, 5], seed: 61)), ("fc1.bias", randomTensor([4], seed: 62)),
                              ("fc2.weight", randomTensor([3, 4], seed: 63)), ("fc2.bias", randomTensor([3], seed: 64))])
        let f: (ParameterSet) -> Tensor = { p in
            let h = Tensor.linear(x, weight: p["fc1.weight"]!, bias: p["fc1.bias"]!).tanh()
            return Tensor.meanCrossEntropy(logits: Tensor.linear(h, weight: p["fc2.weight"]!, bias: p["fc2.bias"]!), labels: labels)
        }
        checkHVP("mlp", f, p, p.map { randomTensor($0.shape, seed: UInt64($0.scalarCount) + 70) },
                 p.map { randomTensor($0.shape, seed: UInt64($0.scalarCount) + 90) })
    }

    func testConvNetHessianVectorProduct() {
        let x = randomTensor([3, 2, 7, 6], seed: 80)
        let labels = Tensor(shape: [3], scalars: [Int32(1), 3, 0])
        let p = ParameterSet([("conv.weight", randomTensor([4, 2, 3, 3], seed: 81)), ("conv.bias", randomTensor([4], seed: 82)),
                              ("fc.weight", randomTensor([4, 24], seed: 83))])
        let f: (ParameterSet) -> Tensor = { p in
            let h = Tensor.conv2d(x, weight: p["conv.weight"]!, bias: p["conv.bias"]!, stride: (1, 1), padding: (1, 0))
            // gelu keeps the loss smooth so central differences are valid; max-pool and
            // variance exercise gather and reductions in the double-backward graph.
            let pooled = h.gelu().maxPool2d(kernel: (2, 2))
            let normalized = pooled / (pooled.variance(axes: [1, 2, 3], keepDims: true) + 1e-3).sqrt()
            return Tensor.meanCrossEntropy(logits: Tensor.linear(normalized.flattened(from: 1), weight: p["fc.weight"]!), labels: labels)
        }
        checkHVP("convnet", f, p, p.map { randomTensor($0.shape, seed: UInt64($0.scalarCount) + 7) },
                 p.map { randomTensor($0.shape, seed: UInt64($0.scalarCount) + 9) })
    }

    func testFusedCrossEntropyHigherOrderUsesDecomposition() {
        // The fused kernel's HVP must equal the composite's (both exact; 1e-12 relative).
        let logits = randomTensor([5, 4], seed: 95, low: -2, high: 2), v = randomTensor([5, 4], seed: 96)
        let labels = Tensor(shape: [5], scalars: [Int32(3), 0, 1, 1, 2])
        let fused = hessianVectorProduct(of: { Tensor.meanCrossEntropy(logits: $0, labels: labels) }, at: logits, along: v)
        let composite = hessianVectorProduct(of: { Tensor.crossEntropyComposite(logits: $0, labels: labels).mean() }, at: logits, along: v)
        assertClose(fused.doubles, composite.doubles, tolerance: 1e-12, "fused vs composite HVP")
        let gFused = gradient(of: { Tensor.meanCrossEntropy(logits: $0, labels: labels) }, at: logits)
        let gComposite = gradient(of: { Tensor.crossEntropyComposite(logits: $0, labels: labels).mean() }, at: logits)
        assertClose(gFused.doubles, gComposite.doubles, tolerance: 1e-12, "fused vs composite gradient")
    }

    func testGradientOfUnusedInputIsZeroAndNestedClosuresWork() {
        let x = randomTensor([3], seed: 97), y = randomTensor([3], seed: 98)
        let (gx, gy) = gradient(of: { x, _ in (x * x).sum() }, at: x, y)
        XCTAssertEqual(gy.doubles, [0, 0, 0])
        assertClose(gx.doubles, (x * 2).doubles, tolerance: 0)
        // A gradient taken inside a function of an outer variable (mixed partial): 
        // ∂/∂y [∂/∂x Σ x²y] = ∂/∂y Σ 2xy = 2x.
        let mixed = gradient(of: { y in gradient(of: { x in (x * x * y).sum() }, at: x).sum() }, at: y)
        assertClose(mixed.doubles, (x * 2).doubles, tolerance: 1e-15)
    }
}
