import FoedusData
import FoedusKernels
import XCTest

/// The SSFL partition (reference §1.2) against reference §1.9 case 1. Oracles: exact counts
/// from the recipe's arithmetic (N_s = 1000 → 100 per class; L = ⌊49 000 / 10⌋ = 4900;
/// K = 20, 30 → ⌊4900 / 2⌋, ⌊4900 / 3⌋), and the dominant fraction R + (1 − R)/10 whose
/// spread is hypergeometric: the 2940 leftovers a user receives at R = 0.4 hold 294 ± 15.4 (1 σ)
/// of its class, so [0.45, 0.47] is ±3.2 σ per user.
final class PartitionSSFLTests: XCTestCase {
    let labels = PartitionFixtures.cifarLike
    let key = RandomKey(seed: 2020)

    func testReferenceCaseR04() throws {
        let partition = try Partitioner.ssfl(labeled: 1000, users: 10, nonIID: 0.4).partition(labels: labels, classes: 10, key: key)
        XCTAssertEqual(partition.server.count, 1000)
        XCTAssertEqual(partition.server, partition.server.sorted())
        XCTAssertEqual(partition.serverClassHistogram(labels: labels, classes: 10), Array(repeating: 100, count: 10))
        XCTAssertEqual(partition.users.map(\.count), Array(repeating: 4900, count: 10))
        for fraction in partition.dominantFractions(labels: labels, classes: 10) {
            XCTAssert((0.45...0.47).contains(fraction), "dominant fraction \(fraction)")
        }
        let unassigned = PartitionFixtures.assertDisjoint(partition, count: labels.count)
        XCTAssertLessThanOrEqual(unassigned, 9)
        XCTAssertEqual(unassigned, 0) // 49 000 divides by 10
        // Partition p is dominated by the p-th class in first-appearance order of the pool.
        let order = PartitionFixtures.firstAppearance(labels, excluding: partition.server)
        XCTAssertEqual(partition.dominantClasses(labels: labels, classes: 10), order.map { Optional($0) })
        // Exactly ⌊4900 · 0.4⌋ = 1960 forced examples plus the leftovers' share: at least 1960.
        for (user, histogram) in partition.userClassHistograms(labels: labels, classes: 10).enumerated() {
            XCTAssertGreaterThanOrEqual(histogram[order[user]], 1960)
        }
    }

    func testROneGivesSingleClassUsers() throws {
        let partition = try Partitioner.ssfl(labeled: 1000, users: 10, nonIID: 1.0).partition(labels: labels, classes: 10, key: key)
        XCTAssertEqual(partition.users.map(\.count), Array(repeating: 4900, count: 10))
        XCTAssertEqual(partition.dominantFractions(labels: labels, classes: 10), Array(repeating: 1.0, count: 10))
        XCTAssertEqual(Set(partition.dominantClasses(labels: labels, classes: 10).compactMap { $0 }).count, 10)
        XCTAssertEqual(PartitionFixtures.assertDisjoint(partition, count: labels.count), 0)
    }

    /// Mean over the 10 users of R + (1 − R)/10 ± 0.01 (the mean's σ is under 0.0015).
    func testDominantFractionTracksR() throws {
        for r in [0.2, 0.6, 0.8] {
            let summary = try Partitioner.ssfl(labeled: 1000, users: 10, nonIID: r)
                .partition(labels: labels, classes: 10, key: key).summary(labels: labels, classes: 10)
            XCTAssertEqual(summary.dominantFractionMean, r + (1 - r) / 10, accuracy: 0.01, "R = \(r)")
            XCTAssertEqual(summary.userCounts, Array(repeating: 4900, count: 10))
            XCTAssertEqual(summary.unassignedCount, 0)
        }
    }

    func testTwentyAndThirtyUsersSliceTheBasePartitions() throws {
        for (users, size) in [(20, 2450), (30, 1633)] {
            let partition = try Partitioner.ssfl(labeled: 1000, users: users, nonIID: 0.4).partition(labels: labels, classes: 10, key: key)
            XCTAssertEqual(partition.users.map(\.count), Array(repeating: size, count: users))
            let unassigned = PartitionFixtures.assertDisjoint(partition, count: labels.count)
            XCTAssertEqual(unassigned, 49_000 - users * size) // 0 and 10: slice remainders
            let dominant = partition.dominantClasses(labels: labels, classes: 10)
            for p in 0..<10 {
                for j in 1..<(users / 10) { XCTAssertEqual(dominant[p + 10 * j], dominant[p], "users \(p) and \(p + 10 * j)") }
            }
            // A slice of a 46 %-dominated base: hypergeometric σ ≤ 0.011, so ±0.04 is > 3.5 σ.
            for fraction in partition.dominantFractions(labels: labels, classes: 10) {
                XCTAssertEqual(fraction, 0.46, accuracy: 0.04)
            }
        }
    }

    /// K not a multiple of the class count: K base partitions, partition p dominated by class
    /// p mod 10 of the first-appearance order, each of ⌊49 000 / 15⌋ = 3266 examples and at
    /// least ⌊3266 · 0.4⌋ = 1306 of its class.
    func testUserCountNotAMultipleOfClasses() throws {
        let partition = try Partitioner.ssfl(labeled: 1000, users: 15, nonIID: 0.4).partition(labels: labels, classes: 10, key: key)
        XCTAssertEqual(partition.users.map(\.count), Array(repeating: 3266, count: 15))
        XCTAssertEqual(PartitionFixtures.assertDisjoint(partition, count: labels.count), 49_000 - 15 * 3266)
        let order = PartitionFixtures.firstAppearance(labels, excluding: partition.server)
        let histograms = partition.userClassHistograms(labels: labels, classes: 10)
        for user in 0..<15 {
            XCTAssertGreaterThanOrEqual(histograms[user][order[user % 10]], 1306, "user \(user)")
        }
    }

    /// R = 0 is the iid split: equal sizes and the same partition as `.iid` with the same key.
    func testRZeroIsIID() throws {
        let ssfl = try Partitioner.ssfl(labeled: 1000, users: 10, nonIID: 0).partition(labels: labels, classes: 10, key: key)
        let iid = try Partitioner.iid(labeled: 1000, users: 10).partition(labels: labels, classes: 10, key: key)
        XCTAssertEqual(ssfl, iid)
        XCTAssertEqual(ssfl.users.map(\.count), Array(repeating: 4900, count: 10))
        XCTAssertEqual(PartitionFixtures.assertDisjoint(ssfl, count: labels.count), 0)
        // iid: each class ≈ 490 ± 21 (1 σ), so the largest stays well under 0.13.
        for fraction in ssfl.dominantFractions(labels: labels, classes: 10) { XCTAssertLessThan(fraction, 0.13) }
    }

    func testDeterministicInTheKeyAndDifferentAcrossKeys() throws {
        let partitioner = Partitioner.ssfl(labeled: 1000, users: 20, nonIID: 0.4)
        let first = try partitioner.partition(labels: labels, classes: 10, key: key)
        XCTAssertEqual(try partitioner.partition(labels: labels, classes: 10, key: RandomKey(seed: 2020)), first)
        let other = try partitioner.partition(labels: labels, classes: 10, key: RandomKey(seed: 2021))
        XCTAssertNotEqual(other.server, first.server)
        for user in 0..<20 { XCTAssertNotEqual(other.users[user], first.users[user]) }
    }

    func testServerSetIsSharedByEveryPartitioner() throws {
        let reference = try Partitioner.ssfl(labeled: 1000, users: 10, nonIID: 0.4).partition(labels: labels, classes: 10, key: key).server
        let others: [Partitioner] = [.iid(labeled: 1000, users: 7), .dirichlet(labeled: 1000, users: 10, alpha: 0.5),
                                     .shards(labeled: 1000, users: 10, shardsPerUser: 2), .ssfl(labeled: 1000, users: 30, nonIID: 1)]
        for partitioner in others {
            XCTAssertEqual(try partitioner.partition(labels: labels, classes: 10, key: key).server, reference, "\(partitioner)")
        }
    }

    /// N_s not a multiple of the class count: ⌊N_s / classes⌋ per class; N_s = 0: no server.
    func testServerSizeRoundsDownPerClass() throws {
        let partition = try Partitioner.ssfl(labeled: 1009, users: 10, nonIID: 0.4).partition(labels: labels, classes: 10, key: key)
        XCTAssertEqual(partition.serverClassHistogram(labels: labels, classes: 10), Array(repeating: 100, count: 10))
        let none = try Partitioner.ssfl(labeled: 0, users: 10, nonIID: 0.4).partition(labels: labels, classes: 10, key: key)
        XCTAssertEqual(none.server, [])
        XCTAssertEqual(none.users.map(\.count), Array(repeating: 5000, count: 10))
    }
}
