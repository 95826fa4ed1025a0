import XCTest
import FoedusQuant
import FoedusTensor

final class QuantizedTensorTests: XCTestCase {
    let x = Tensor.random(.normal(mean: 0, std: 1), shape: [5, 13], key: RandomKey(seed: 11), dtype: .float32)

    func testStochasticRoundingIsUnbiased() {
        // Oracle: E[q·s] = x. Over n = 4000 independent draws each element's mean lies within
        // 6σ/√n of x, where σ ≤ s/2 (the rounding error is a Bernoulli on an interval of width s).
        for bits in QuantizedTensor.Bits.allCases {
            let n = 4000
            var sum = [Double](repeating: 0, count: x.scalarCount)
            var scales: [Float] = []
            for i in 0..<n {
                let q = QuantizedTensor.quantize(x, bits: bits, key: RandomKey(seed: 5).derived(UInt64(i)))
                scales = q.scales
                for (j, v) in q.dequantized().doubles.enumerated() { sum[j] += v }
            }
            let values = x.doubles
            let perChannel = x.scalarCount / x.shape[0]
            for j in 0..<values.count {
                let bound = 6 * Double(scales[j / perChannel]) / 2 / Double(n).squareRoot()
                XCTAssertEqual(sum[j] / Double(n), values[j], accuracy: bound, "\(bits) element \(j)")
            }
        }
    }

    func testRangeErrorAndPacking() {
        for bits in QuantizedTensor.Bits.allCases {
            let q = QuantizedTensor.quantize(x, bits: bits, key: RandomKey(seed: 1))
            XCTAssertTrue(q.integers.allSatisfy { abs(Int($0)) <= bits.maximum })
            // Each element is within one step of the original.
            let perChannel = x.scalarCount / x.shape[0]
            for (j, (a, b)) in zip(q.dequantized().doubles, x.doubles).enumerated() {
                XCTAssertLessThanOrEqual(abs(a - b), Double(q.scales[j / perChannel]) * (1 + 1e-6))
            }
            XCTAssertEqual(q, QuantizedTensor.quantize(x, bits: bits, key: RandomKey(seed: 1)), "deterministic in the key")
        }
        // int4 edge values −7 and 7 survive packing, odd element counts included.
        let edge = Tensor(shape: [1, 3], scalars: [Float(-7), 7, 0])
        let q4 = QuantizedTensor.quantize(edge, bits: .int4, key: RandomKey(seed: 2))
        XCTAssertEqual(q4.integers, [-7, 7, 0])
        XCTAssertEqual(q4.payload.count, 2)
        XCTAssertEqual(QuantizedTensor.quantize(Tensor.zeros([3, 4]), bits: .int8, key: RandomKey(seed: 3)).dequantized().doubles, [Double](repeating: 0, count: 12))
    }

    func testWireSizesForTheReferenceModel() {
        // cnn-gn's shapes: int8 ≤ 26 % and int4 ≤ 13.5 % of Float32 bytes (issue 6 targets).
        let shapes = [[32, 1, 3, 3], [32], [32], [32], [64, 32, 3, 3], [64], [64], [64], [128, 3136], [128], [10, 128], [10]]
        let fp32 = shapes.map { $0.reduce(1, *) * 4 }.reduce(0, +)
        for (bits, limit) in [(QuantizedTensor.Bits.int8, 0.26), (.int4, 0.135)] {
            let bytes = shapes.enumerated().map { i, s in
                QuantizedTensor.quantize(Tensor.random(.normal(mean: 0, std: 0.1), shape: s, key: RandomKey(seed: UInt64(i))), bits: bits, key: RandomKey(seed: 9)).byteCount
            }.reduce(0, +)
            XCTAssertLessThanOrEqual(Double(bytes) / Double(fp32), limit, "\(bits)")
        }
    }
}
