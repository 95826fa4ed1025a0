import Foundation
import XCTest
import FoedusNN
import FoedusTensor

/// Three steps of each optimizer on the quadratic `f(p) = Σ ½·h·p² + c·p` (two named tensors,
/// so per-parameter state is exercised; the gradient `h·p + c` changes every step) with a
/// learning rate that changes between steps, against PyTorch's update rules written out in
/// plain Double arithmetic in the test.
///
/// Tolerance: 1e-14 abs + 1e-12 rel. Every step is a few Float64 operations; the library and the
/// oracle may associate them differently (Adam's `√(v/c₂)` vs PyTorch's `√v/√c₂`), which moves
/// the result by a few ulps.
final class OptimizerTrajectoryTests: XCTestCase {
    let names = ["a", "b"]
    let shapes = [[3], [2, 2]]
    let initial: [[Double]] = [[0.5, -1.25, 2.0], [1.5, -0.75, 0.25, -2.5]]
    let curvature: [[Double]] = [[1.0, 2.5, 0.3], [4.0, 0.8, 1.7, 0.6]]
    let shift: [[Double]] = [[0.1, -0.4, 0.25], [-0.3, 0.2, 0.05, 0.7]]
    let learningRates = [0.1, 0.05, 0.2]

    var parameters: ParameterSet { ParameterSet(names.indices.map { (names[$0], tensor(initial[$0], shapes[$0])) }) }

    func loss(_ p: ParameterSet) -> Tensor {
        names.indices.map { i in
            let x = p.tensors[i]
            return (x.squared() * tensor(curvature[i], shapes[i]) * 0.5 + x * tensor(shift[i], shapes[i])).sum()
        }.reduce(Tensor(0, dtype: .float64), +)
    }

    func expectedGradient(_ p: [[Double]]) -> [[Double]] {
        p.indices.map { i in p[i].indices.map { j in curvature[i][j] * p[i][j] + shift[i][j] } }
    }

    /// Runs `optimizer` for the three steps and returns the parameters after each.
    func trajectory<O: Optimizer>(_ optimizer: O) -> [[[Double]]] {
        var optimizer = optimizer, p = parameters, out: [[[Double]]] = []
        for lr in learningRates {
            optimizer.learningRate = lr
            let g = gradient(of: loss, at: p)
            optimizer.step(&p, gradients: g)
            out.append(p.tensors.map(\.doubles))
        }
        return out
    }

    func assertTrajectory(_ actual: [[[Double]]], _ expected: [[[Double]]], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for (step, (a, e)) in zip(actual, expected).enumerated() {
            for (i, name) in names.enumerated() {
                assertClose(a[i], e[i], absolute: 1e-14, relative: 1e-12, "\(what) step \(step + 1) \(name)", file: file, line: line)
            }
        }
    }

    // MARK: SGD

    /// PyTorch: `g += wd·p; buf = μ·buf + g` (first `buf = g`); `g = g + μ·buf` if Nesterov else
    /// `buf`; `p −= lr·g`.
    func sgdOracle(momentum μ: Double, nesterov: Bool, weightDecay wd: Double) -> [[[Double]]] {
        var p = initial, buffer: [[Double]]? = nil, out: [[[Double]]] = []
        for lr in learningRates {
            let raw = expectedGradient(p)
            var g = p.indices.map { i in p[i].indices.map { j in raw[i][j] + wd * p[i][j] } }
            if μ > 0 {
                let b = buffer.map { b in b.indices.map { i in b[i].indices.map { j in μ * b[i][j] + g[i][j] } } } ?? g
                buffer = b
                g = nesterov ? g.indices.map { i in g[i].indices.map { j in g[i][j] + μ * b[i][j] } } : b
            }
            p = p.indices.map { i in p[i].indices.map { j in p[i][j] - lr * g[i][j] } }
            out.append(p)
        }
        return out
    }

    func testSGDWithNesterovMomentumAndWeightDecay() {
        assertTrajectory(trajectory(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01)),
                         sgdOracle(momentum: 0.9, nesterov: true, weightDecay: 0.01), "SGD nesterov")
    }

    func testSGDWithHeavyBallMomentum() {
        assertTrajectory(trajectory(SGD(learningRate: 0.1, momentum: 0.5)), sgdOracle(momentum: 0.5, nesterov: false, weightDecay: 0), "SGD momentum")
    }

    func testPlainSGD() {
        assertTrajectory(trajectory(SGD(learningRate: 0.1, weightDecay: 0.05)), sgdOracle(momentum: 0, nesterov: false, weightDecay: 0.05), "SGD")
    }

    /// One hand-computed number, independent of the oracle's loop: first Nesterov step on `a[0]`.
    func testFirstNesterovStepByHand() {
        // g = 1·0.5 + 0.1 + 0.01·0.5 = 0.605; buf = g; g + 0.9·buf = 1.1495; p = 0.5 − 0.1·1.1495.
        let step = trajectory(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01))[0][0][0]
        XCTAssertEqual(step, 0.38505, accuracy: 1e-15)
    }

    // MARK: Adam and AdamW

    /// PyTorch: Adam adds `wd·p` to the gradient; AdamW first scales `p ← p·(1 − lr·wd)`; then
    /// `m = β₁m + (1−β₁)g`, `v = β₂v + (1−β₂)g²`, `p −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)`.
    func adamOracle(beta1 b1: Double, beta2 b2: Double, epsilon: Double, weightDecay wd: Double, decoupled: Bool) -> [[[Double]]] {
        var p = initial
        var m = initial.map { $0.map { _ in 0.0 } }, v = m
        var out: [[[Double]]] = []
        for (t, lr) in learningRates.enumerated() {
            let raw = expectedGradient(p)
            let step = Double(t + 1)
            let c1 = 1 - Foundation.pow(b1, step), c2 = 1 - Foundation.pow(b2, step)
            for i in p.indices {
                for j in p[i].indices {
                    var g = raw[i][j]
                    if decoupled { p[i][j] *= 1 - lr * wd } else { g += wd * p[i][j] }
                    m[i][j] = b1 * m[i][j] + (1 - b1) * g
                    v[i][j] = b2 * v[i][j] + (1 - b2) * g * g
                    p[i][j] -= lr / c1 * m[i][j] / (v[i][j].squareRoot() / c2.squareRoot() + epsilon)
                }
            }
            out.append(p)
        }
        return out
    }

    func testAdamWithoutWeightDecay() {
        assertTrajectory(trajectory(Adam(learningRate: 0.1)),
                         adamOracle(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false), "Adam")
    }

    func testAdamWithL2WeightDecayAndOtherBetas() {
        // ε = 0.1 so that a misplaced ε (inside the square root, or before bias correction) shows.
        assertTrajectory(trajectory(Adam(learningRate: 0.1, beta1: 0.8, beta2: 0.95, epsilon: 0.1, weightDecay: 0.1)),
                         adamOracle(beta1: 0.8, beta2: 0.95, epsilon: 0.1, weightDecay: 0.1, decoupled: false), "Adam L2")
    }

    func testAdamWDecoupledWeightDecay() {
        assertTrajectory(trajectory(Adam.adamW(learningRate: 0.1, weightDecay: 0.1)),
                         adamOracle(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decoupled: true), "AdamW")
    }

    /// AdamW and Adam with the same weight decay follow different trajectories (the test inputs
    /// can tell the two rules apart).
    func testAdamAndAdamWDiffer() {
        let l2 = trajectory(Adam(learningRate: 0.1, weightDecay: 0.1)), decoupled = trajectory(Adam.adamW(learningRate: 0.1, weightDecay: 0.1))
        XCTAssertGreaterThan(abs(l2[2][0][2] - decoupled[2][0][2]), 1e-4)
    }
}
