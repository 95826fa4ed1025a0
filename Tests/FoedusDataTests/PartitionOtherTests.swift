import FoedusData
import FoedusKernels
import XCTest

/// iid, Dirichlet and shard partitioners, validation, and the Gamma/Dirichlet sampler.
final class PartitionOtherTests: XCTestCase {
    let labels = PartitionFixtures.cifarLike
    let key = RandomKey(seed: 5)

    func testIIDSizesAndCoverage() throws {
        let partition = try Partitioner.iid(labeled: 500, users: 7).partition(labels: labels, classes: 10, key: key)
        XCTAssertEqual(partition.server.count, 500)
        XCTAssertEqual(partition.users.map(\.count), Array(repeating: 49_500 / 7, count: 7))
        XCTAssertEqual(PartitionFixtures.assertDisjoint(partition, count: labels.count), 49_500 % 7)
    }

    /// Dirichlet assigns every pool index. α = 0.05 gives most of each class to one user
    /// (E[largest share] ≈ 0.9), so users hold one or two main classes: mean dominant
    /// fraction above 0.5, and above that of α = 0.5 (measured 0.65 and 0.32 with this key).
    /// α = 1000 gives proportions within a few percent of 1/10 (share σ ≈ 0.003), so every
    /// dominant fraction stays under 0.15 and every size within 300 of 4900.
    func testDirichletConcentrationFollowsAlpha() throws {
        let concentrated = try Partitioner.dirichlet(labeled: 1000, users: 10, alpha: 0.05).partition(labels: labels, classes: 10, key: key)
        XCTAssertEqual(PartitionFixtures.assertDisjoint(concentrated, count: labels.count), 0)
        let concentratedMean = concentrated.summary(labels: labels, classes: 10).dominantFractionMean
        XCTAssertGreaterThan(concentratedMean, 0.5)
        let moderate = try Partitioner.dirichlet(labeled: 1000, users: 10, alpha: 0.5).partition(labels: labels, classes: 10, key: key)
        XCTAssertGreaterThan(concentratedMean, moderate.summary(labels: labels, classes: 10).dominantFractionMean)

        let spread = try Partitioner.dirichlet(labeled: 1000, users: 10, alpha: 1000).partition(labels: labels, classes: 10, key: key)
        XCTAssertEqual(PartitionFixtures.assertDisjoint(spread, count: labels.count), 0)
        let summary = spread.summary(labels: labels, classes: 10)
        XCTAssertLessThan(summary.dominantFractionMax, 0.15)
        for size in summary.userCounts { XCTAssertEqual(Double(size), 4900, accuracy: 300) }
        XCTAssertEqual(try Partitioner.dirichlet(labeled: 1000, users: 10, alpha: 0.05).partition(labels: labels, classes: 10, key: key),
                       concentrated)
    }

    /// Shard size 2450 (K = 10, s = 2) or 245 (K = 100, s = 2) divides the 4900 pool examples
    /// of every class, so no shard straddles two classes: at most s classes per user.
    func testShardsGiveAtMostShardsPerUserClasses() throws {
        for (users, size) in [(10, 4900), (100, 490)] {
            let partition = try Partitioner.shards(labeled: 1000, users: users, shardsPerUser: 2).partition(labels: labels, classes: 10, key: key)
            XCTAssertEqual(partition.users.map(\.count), Array(repeating: size, count: users))
            XCTAssertEqual(PartitionFixtures.assertDisjoint(partition, count: labels.count), 0)
            for histogram in partition.userClassHistograms(labels: labels, classes: 10) {
                XCTAssertLessThanOrEqual(histogram.filter { $0 > 0 }.count, 2)
            }
        }
    }

    func testInvalidParametersNameTheirField() {
        func field(_ partitioner: Partitioner, labels: [Int32]? = nil, classes: Int = 10) -> String? {
            PartitionFixtures.field(thrownError { try partitioner.partition(labels: labels ?? self.labels, classes: classes, key: self.key) })
        }
        XCTAssertEqual(field(.ssfl(labeled: 1000, users: 0, nonIID: 0.4)), "K")
        XCTAssertEqual(field(.iid(labeled: 0, users: -3)), "K")
        XCTAssertEqual(field(.iid(labeled: 1000, users: 49_001)), "K")
        XCTAssertEqual(field(.ssfl(labeled: 1000, users: 100_000, nonIID: 0.4)), "K")
        XCTAssertEqual(field(.ssfl(labeled: 1000, users: 10, nonIID: -0.1)), "R")
        XCTAssertEqual(field(.ssfl(labeled: 1000, users: 10, nonIID: 1.5)), "R")
        XCTAssertEqual(field(.ssfl(labeled: 1000, users: 10, nonIID: .nan)), "R")
        XCTAssertEqual(field(.ssfl(labeled: 50_010, users: 10, nonIID: 0.4)), "Ns")
        XCTAssertEqual(field(.iid(labeled: -1, users: 10)), "Ns")
        XCTAssertEqual(field(.dirichlet(labeled: 0, users: 10, alpha: 0)), "alpha")
        XCTAssertEqual(field(.dirichlet(labeled: 0, users: 10, alpha: -1)), "alpha")
        XCTAssertEqual(field(.dirichlet(labeled: 0, users: 10, alpha: .infinity)), "alpha")
        XCTAssertEqual(field(.shards(labeled: 0, users: 10, shardsPerUser: 0)), "shardsPerUser")
        XCTAssertEqual(field(.shards(labeled: 0, users: 10, shardsPerUser: 5001)), "shardsPerUser")
        XCTAssertEqual(field(.iid(labeled: 0, users: 2), labels: [0, 1, 10]), "labels")
        XCTAssertEqual(field(.iid(labeled: 0, users: 2), classes: 0), "classes")
        // Ns needs 100 of each class; class 1 has only one example here.
        XCTAssertEqual(field(.iid(labeled: 200, users: 1), labels: [Int32](repeating: 0, count: 300) + [1], classes: 2), "Ns")
    }

    func testSummaryDescribesThePartition() throws {
        let partition = try Partitioner.ssfl(labeled: 1000, users: 10, nonIID: 1).partition(labels: labels, classes: 10, key: key)
        let summary = partition.summary(labels: labels, classes: 10)
        XCTAssertEqual(summary.trainingCount, 50_000)
        XCTAssertEqual(summary.serverCount, 1000)
        XCTAssertEqual(summary.description, "server 1000, 10 users of 4900...4900, 0 unassigned, dominant class 1.000 (1.000...1.000)")
        XCTAssertEqual(Partitioner.ssfl(labeled: 1000, users: 10, nonIID: 0.4).description, "ssfl(Ns: 1000, K: 10, R: 0.4)")
    }

    /// Gamma(a): sample mean within 5 standard errors √(a/n) of a, sample variance within 5
    /// standard errors √((2a² + 6a)/n) of a (Gamma's fourth central moment is 3a² + 6a).
    func testGammaMomentsMatch() {
        let n = 20_000
        for shape in [0.1, 0.5, 1.0, 3.7] {
            var stream = RandomStream(key: RandomKey(seed: 11).derived(String(shape)))
            let samples = (0..<n).map { _ in stream.nextGamma(shape: shape) }
            let mean = samples.reduce(0, +) / Double(n)
            let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
            XCTAssertEqual(mean, shape, accuracy: 5 * (shape / Double(n)).squareRoot(), "shape \(shape)")
            XCTAssertEqual(variance, shape, accuracy: 5 * ((2 * shape * shape + 6 * shape) / Double(n)).squareRoot(), "shape \(shape)")
            XCTAssert(samples.allSatisfy { $0 >= 0 && $0.isFinite })
        }
    }

    /// Dirichlet vectors sum to 1 (to 1e-12) even for α = 0.001, whose Gamma variates
    /// underflow in Double, and are deterministic in the stream.
    func testDirichletSumsToOne() {
        for alpha in [0.001, 0.3, 50.0] {
            var stream = RandomStream(key: RandomKey(seed: 3))
            let q = stream.nextDirichlet([Double](repeating: alpha, count: 10))
            XCTAssertEqual(q.reduce(0, +), 1, accuracy: 1e-12)
            XCTAssert(q.allSatisfy { $0 >= 0 && $0 <= 1 })
            var again = RandomStream(key: RandomKey(seed: 3))
            XCTAssertEqual(again.nextDirichlet([Double](repeating: alpha, count: 10)), q)
        }
    }
}
