import Dispatch
import FoedusKernels
import XCTest

/// Matrix products: oneDNN (Float32) and portable (Double) kernels against the scalar reference.
///
/// Oracle: `ReferenceKernels.matmul` evaluated in Double on the same inputs (which are rounded to
/// Float first, so every kernel sees identical values). Tolerances are relative to the
/// per-element bound `Σ_p |A(i,p)|·|B(p,j)|` (the reference applied to the magnitudes):
/// - oneDNN Float32: 1e-4. Float32 summation of `k` terms errs by at most about `k·2⁻²⁴` of the
///   bound in the worst case and `√k·2⁻²⁴` typically; k ≤ 300 here gives ≤ 1.8e-5, so 1e-4
///   leaves headroom for blocked partial sums without hiding indexing bugs (those are O(1)).
/// - Portable Double: 1e-12 (`k·2⁻⁵³` ≈ 3e-14 at k = 300).
final class DenseMatmulTests: XCTestCase {
    struct Case: CustomStringConvertible {
        var batch, m, n, k: Int
        var transposeA = false, transposeB = false, broadcastB = false
        var description: String {
            "batch \(batch) m \(m) n \(n) k \(k) tA \(transposeA) tB \(transposeB) bcastB \(broadcastB)"
        }
        var aCount: Int { batch * m * k }
        var bCount: Int { (broadcastB ? 1 : batch) * k * n }
        var cCount: Int { batch * m * n }
    }

    static let cases: [Case] = [
        Case(batch: 1, m: 7, n: 5, k: 3),
        Case(batch: 3, m: 13, n: 11, k: 17, transposeA: true),
        Case(batch: 2, m: 9, n: 31, k: 6, transposeB: true),
        Case(batch: 4, m: 5, n: 7, k: 129, transposeA: true, transposeB: true),
        Case(batch: 3, m: 17, n: 19, k: 23, broadcastB: true),
        Case(batch: 2, m: 11, n: 3, k: 37, transposeA: true, transposeB: true, broadcastB: true),
        Case(batch: 5, m: 6, n: 13, k: 10, transposeB: true, broadcastB: true),
        Case(batch: 1, m: 33, n: 130, k: 300, transposeB: true),
        Case(batch: 1, m: 1, n: 1, k: 1),
        Case(batch: 2, m: 1, n: 9, k: 5, transposeA: true),
    ]

    /// Reference product in Double and its per-element error bound.
    private func reference(_ c: Case, _ a: [Double], _ b: [Double]) -> (value: [Double], bound: [Double]) {
        var value = [Double](repeating: .nan, count: c.cCount)
        var bound = value
        let absA = DenseKernelTest.magnitudes(a), absB = DenseKernelTest.magnitudes(b)
        ReferenceKernels.matmul(a: a, b: b, c: &value, batch: c.batch, m: c.m, n: c.n, k: c.k,
                                transposeA: c.transposeA, transposeB: c.transposeB, broadcastB: c.broadcastB)
        ReferenceKernels.matmul(a: absA, b: absB, c: &bound, batch: c.batch, m: c.m, n: c.n, k: c.k,
                                transposeA: c.transposeA, transposeB: c.transposeB, broadcastB: c.broadcastB)
        return (value, bound)
    }

    private func inputs(_ c: Case, seed: UInt64) -> ([Double], [Double]) {
        var rng = DenseKernelTestRNG(seed: seed)
        return (rng.floatExactValues(c.aCount), rng.floatExactValues(c.bCount))
    }

    private static func dnnlProduct(_ c: Case, _ a: [Double], _ b: [Double]) -> [Double] {
        let a32 = DenseKernelTest.floats(a), b32 = DenseKernelTest.floats(b)
        var c32 = [Float](repeating: .nan, count: c.cCount)
        DNNLKernels.matmul(a: a32, b: b32, c: &c32, batch: c.batch, m: c.m, n: c.n, k: c.k,
                           transposeA: c.transposeA, transposeB: c.transposeB, broadcastB: c.broadcastB)
        return DenseKernelTest.doubles(c32)
    }

    func testDNNLMatmulMatchesReference() {
        for (index, c) in Self.cases.enumerated() {
            let (a, b) = inputs(c, seed: 100 + UInt64(index))
            let expected = reference(c, a, b)
            DenseKernelTest.assertWithinBound(Self.dnnlProduct(c, a, b), expected.value, bound: expected.bound,
                                              relative: 1e-4, "DNNL matmul \(c)")
        }
    }

    func testPortableMatmulMatchesReference() {
        for (index, c) in Self.cases.enumerated() {
            let (a, b) = inputs(c, seed: 200 + UInt64(index))
            let expected = reference(c, a, b)
            var actual = [Double](repeating: .nan, count: c.cCount)
            PortableKernels.matmul(a: a, b: b, c: &actual, batch: c.batch, m: c.m, n: c.n, k: c.k,
                                   transposeA: c.transposeA, transposeB: c.transposeB, broadcastB: c.broadcastB)
            DenseKernelTest.assertWithinBound(actual, expected.value, bound: expected.bound,
                                              relative: 1e-12, "portable matmul \(c)")
        }
    }

    /// Float and Double instantiations of the generic reference agree (guards the oracle itself
    /// against type-dependent mistakes); Float accumulation over k = 129 stays within 1e-5.
    func testReferenceMatmulFloatAgreesWithDouble() {
        let c = Self.cases[3]
        let (a, b) = inputs(c, seed: 7)
        let expected = reference(c, a, b)
        var c32 = [Float](repeating: .nan, count: c.cCount)
        ReferenceKernels.matmul(a: DenseKernelTest.floats(a), b: DenseKernelTest.floats(b), c: &c32,
                                batch: c.batch, m: c.m, n: c.n, k: c.k,
                                transposeA: c.transposeA, transposeB: c.transposeB)
        DenseKernelTest.assertWithinBound(DenseKernelTest.doubles(c32), expected.value, bound: expected.bound,
                                          relative: 1e-5, "Float reference matmul \(c)")
    }

    func testEmptyReductionGivesZeros() {
        var c32 = [Float](repeating: .nan, count: 6)
        DNNLKernels.matmul(a: [], b: [], c: &c32, batch: 2, m: 1, n: 3, k: 0)
        XCTAssertEqual(c32, [0, 0, 0, 0, 0, 0])
        var c64 = [Double](repeating: .nan, count: 6)
        PortableKernels.matmul(a: [], b: [], c: &c64, batch: 1, m: 2, n: 3, k: 0, transposeB: true)
        XCTAssertEqual(c64, [0, 0, 0, 0, 0, 0])
    }

    /// Repeated calls reuse the cached primitive and give bit-identical results.
    func testRepeatedCallsAreDeterministic() {
        let c = Self.cases[7]
        let (a, b) = inputs(c, seed: 9)
        XCTAssertEqual(Self.dnnlProduct(c, a, b), Self.dnnlProduct(c, a, b))
    }

    /// Several threads running the same cached primitives at once (each with one OpenMP thread,
    /// as workers will) all get correct results.
    func testConcurrentCallsShareCachedPrimitives() {
        let c = Self.cases[4]
        let (a, b) = inputs(c, seed: 11)
        let expected = reference(c, a, b)
        let threads = 4
        let results = DenseKernelResultBox(count: threads)
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            DNNLKernels.setIntraOpThreads(1)
            var last: [Double] = []
            for _ in 0..<20 { last = Self.dnnlProduct(c, a, b) }
            results.set(worker, last)
        }
        for worker in 0..<threads {
            DenseKernelTest.assertWithinBound(results.get(worker), expected.value, bound: expected.bound,
                                              relative: 1e-4, "concurrent DNNL matmul, worker \(worker)")
        }
    }
}

/// Per-worker result slots for the concurrency tests.
final class DenseKernelResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [[Double]]
    init(count: Int) { values = Array(repeating: [], count: count) }
    func set(_ index: Int, _ value: [Double]) { lock.lock(); values[index] = value; lock.unlock() }
    func get(_ index: Int) -> [Double] { lock.lock(); defer { lock.unlock() }; return values[index] }
}
