import XCTest
import FoedusTensor

final class TensorBasicsTests: XCTestCase {
    func testBroadcastingValues() {
        // Oracle: values worked out by hand.
        let a = Tensor(shape: [2, 1, 3], scalars: [1.0, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [2, 1], scalars: [10.0, -20])
        XCTAssertEqual((a + b).shape, [2, 2, 3])
        XCTAssertEqual((a + b).scalars(as: Double.self), [11, 12, 13, -19, -18, -17, 14, 15, 16, -16, -15, -14])
        XCTAssertEqual((a * 2 - 1).scalars(as: Double.self), [1, 3, 5, 7, 9, 11])
    }

    func testReductionsAndShapes() {
        let x = Tensor(shape: [2, 3], scalars: [1.0, -2, 3, 4, 5, -6])
        XCTAssertEqual(x.sum(axes: [0]).scalars(as: Double.self), [5, 3, -3])
        XCTAssertEqual(x.sum(axes: [1], keepDims: true).shape, [2, 1])
        XCTAssertEqual(x.max(axes: [1]).scalars(as: Double.self), [3, 5])
        XCTAssertEqual(x.transposed().scalars(as: Double.self), [1, 4, -2, 5, 3, -6])
        XCTAssertEqual(x.slice(axis: 1, 1..<3).scalars(as: Double.self), [-2, 3, 5, -6])
        XCTAssertEqual(x.padded(before: [0, 1], after: [1, 0]).scalars(as: Double.self), [0, 1, -2, 3, 0, 4, 5, -6, 0, 0, 0, 0])
        XCTAssertEqual(Tensor.concat([x, x * 10], axis: 0).shape, [4, 3])
        XCTAssertEqual(x.reshaped([3, -1]).shape, [3, 2])
    }

    func testLongSumsAreAccurateAndDeterministic() {
        // Oracle: Σ_{i<n} (i mod 7 − 3) computed exactly in integers. The vectorised sum uses 16
        // partial sums, so 100,003 Float32 terms stay exact (all partial sums < 2^24).
        let n = 100_003
        let values = (0..<n).map { Float($0 % 7 - 3) }
        let exact = (0..<n).reduce(0) { $0 + ($1 % 7 - 3) }
        let t = Tensor(values)
        XCTAssertEqual(t.sum().item, Double(exact))
        XCTAssertTrue(t.sum().bitwiseEqual(t.sum()))
    }

    func testCopyOnWrite() {
        let a = Tensor([1.0, 2, 3] as [Double])
        var b = a
        b.withUnsafeMutableBufferPointer(as: Double.self) { $0[0] = 99 }
        XCTAssertEqual(a.scalars(as: Double.self), [1, 2, 3])
        XCTAssertEqual(b.scalars(as: Double.self), [99, 2, 3])
    }

    func testStorageIsAligned() {
        for n in [1, 7, 1000, 50_000] {
            let t = Tensor.zeros([n])
            t.withUnsafeBufferPointer(as: Float.self) { XCTAssertEqual(Int(bitPattern: $0.baseAddress!) % 64, 0) }
        }
    }

    func testRandomTensorsAreReproducibleAndKeyed() {
        let k = RandomKey(seed: 5).derived("round").derived(3)
        let a = Tensor.random(.normal(mean: 0, std: 1), shape: [4, 5], key: k)
        XCTAssertTrue(a.bitwiseEqual(Tensor.random(.normal(mean: 0, std: 1), shape: [4, 5], key: k)))
        XCTAssertFalse(a.bitwiseEqual(Tensor.random(.normal(mean: 0, std: 1), shape: [4, 5], key: k.derived(1))))
        let r = Tensor.random(.rademacher, shape: [1000], key: k, dtype: .float64).doubles
        XCTAssertTrue(r.allSatisfy { $0 == 1 || $0 == -1 })
        let p = Tensor.randomPermutation(10, key: k).scalars(as: Int32.self)
        XCTAssertEqual(p.sorted(), (0..<10).map(Int32.init))
    }

    func testNaNPropagatesThroughMaxAndMaximum() {
        let x = Tensor([1, Float.nan, 3])
        XCTAssertTrue(x.max().item.isNaN)
        XCTAssertTrue(Tensor.maximum(x, Tensor(0)).doubles[1].isNaN)
    }
}
