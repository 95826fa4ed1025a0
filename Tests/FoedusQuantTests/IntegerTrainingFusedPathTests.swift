import XCTest
import FoedusKernels
import FoedusNN
import FoedusQuant
import FoedusTensor

/// The integer FQT path where its fused kernels apply (output channels a multiple of 8) against
/// the float fake-quant oracle, as `IntegerTrainingTests` does for shapes that take the unfused path.
final class IntegerTrainingFusedPathTests: XCTestCase {
    let x = Tensor.random(.normal(mean: 0.3, std: 1.2), shape: [3, 2, 7, 5], key: RandomKey(seed: 11))
    let w = Tensor.random(.normal(mean: 0, std: 0.4), shape: [8, 2, 3, 3], key: RandomKey(seed: 12))
    let b = Tensor.random(.normal(mean: 0, std: 0.3), shape: [8], key: RandomKey(seed: 13))
    let xl = Tensor.random(.normal(mean: -0.2, std: 1), shape: [6, 11], key: RandomKey(seed: 14))
    let wl = Tensor.random(.normal(mean: 0, std: 0.5), shape: [4, 11], key: RandomKey(seed: 15))
    let bl = Tensor.random(.normal(mean: 0, std: 0.3), shape: [4], key: RandomKey(seed: 16))
    let geometries = [ConvolutionGeometry(padding: (1, 1)), ConvolutionGeometry(stride: (2, 2), padding: (1, 0))]

    func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
        let av = a.doubles, bv = b.doubles
        let scale = bv.map(abs).max() ?? 1
        return zip(av, bv).map { abs($0 - $1) }.max()! / max(scale, 1e-30)
    }

    func testFusedIntegerPathEqualsFakeQuantOracle() {
        // Oracle: the float simulation with the same quantizers and keys; 1e-4 relative, the
        // bound IntegerTrainingTests uses (float accumulation of ≤ 288-term sums).
        for kind in GradientQuantizerKind.allCases {
            for bits in [8, 5] {
                let config = QuantizedTraining(precision: .fqt, gradientQuantizer: kind, gradientBits: bits, weightGradientBits: bits == 8 ? 8 : 6)
                for (gi, geometry) in geometries.enumerated() {
                    let key = RandomKey(seed: 78).derived(UInt64(gi))
                    func gradients(_ a: any LayerArithmetic) -> (Tensor, [Tensor]) {
                        let probe = a.conv2d(x, weight: w, bias: b, geometry: geometry, mode: .eval, key: nil)
                        let r = Tensor.random(.normal(mean: 0, std: 1), shape: probe.shape, key: RandomKey(seed: 19))
                        return valueAndGradient(of: { t in
                            (a.conv2d(t[0], weight: t[1], bias: t[2], geometry: geometry, mode: .train, key: key) * r).sum()
                        }, at: [x, w, b])
                    }
                    let (vi, gInt) = gradients(IntegerTrainingArithmetic(config))
                    let (vf, gSim) = gradients(FakeQuantizedArithmetic(config, quantizeGradients: true))
                    XCTAssertEqual(vi.item, vf.item, accuracy: 1e-4 * max(1, abs(vf.item)), "\(kind) \(bits) value")
                    for (name, pair) in zip(["x", "w", "b"], zip(gInt, gSim)) {
                        XCTAssertLessThan(relativeError(pair.0, pair.1), 1e-4, "conv \(kind) \(bits) bits ∇\(name) geometry \(gi)")
                    }
                }
                func linearGradients(_ a: any LayerArithmetic) -> [Tensor] {
                    let r = Tensor.random(.normal(mean: 0, std: 1), shape: [6, 4], key: RandomKey(seed: 20))
                    return valueAndGradient(of: { t in (a.linear(t[0], weight: t[1], bias: t[2], mode: .train, key: RandomKey(seed: 6)) * r).sum() },
                                            at: [xl, wl, bl]).1
                }
                for (name, pair) in zip(["x", "w", "b"], zip(linearGradients(IntegerTrainingArithmetic(config)),
                                                             linearGradients(FakeQuantizedArithmetic(config, quantizeGradients: true)))) {
                    XCTAssertLessThan(relativeError(pair.0, pair.1), 1e-4, "linear \(kind) \(bits) bits ∇\(name)")
                }
            }
        }
    }
}
