import XCTest
import FoedusTensor

final class SGDStepTests: XCTestCase {
    func testFusedKernelEqualsTensorFormulaBitForBit() {
        // Oracle: the same formula in tensor operations. The C shim is compiled without FMA
        // contraction and evaluates in the same order, so equality is exact.
        let shape = [7, 143]
        let p = randomTensor(shape, seed: 400, low: -3, high: 3).cast(to: .float32)
        let g = randomTensor(shape, seed: 401).cast(to: .float32)
        let b = randomTensor(shape, seed: 402).cast(to: .float32)
        for momentum in [0.0, 0.9] {
            for nesterov in [false, true] where !(nesterov && momentum == 0) {
                for buffer in [nil, b] {
                    for wd in [0.0, 1e-4] {
                        let fused = Tensor.sgdStep(parameter: p, gradient: g, buffer: buffer, learningRate: 0.05, momentum: momentum, weightDecay: wd, nesterov: nesterov)
                        let reference = Tensor.sgdStepReference(p, g, buffer, 0.05, momentum, wd, nesterov)
                        XCTAssertTrue(fused.parameter.bitwiseEqual(reference.parameter), "μ \(momentum) nesterov \(nesterov) buffer \(buffer != nil) wd \(wd)")
                        XCTAssertEqual(fused.buffer == nil, reference.buffer == nil)
                        if let fb = fused.buffer, let rb = reference.buffer { XCTAssertTrue(fb.bitwiseEqual(rb)) }
                    }
                }
            }
        }
    }
}
