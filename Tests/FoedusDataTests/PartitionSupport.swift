import FoedusData
import FoedusKernels
import XCTest

/// Synthetic label sets and checks shared by the partition tests.
enum PartitionFixtures {
    /// A CIFAR-10-like training set: 10 classes × 5000 labels in a seeded random order (so the
    /// classes' first-appearance order is not 0, 1, 2, …).
    static let cifarLike: [Int32] = {
        var labels = (0..<50_000).map { Int32($0 % 10) }
        var stream = RandomStream(key: RandomKey(seed: 99))
        stream.shuffle(&labels)
        return labels
    }()

    /// The field of an `.invalidPartition` error, or `nil` for anything else.
    static func field(_ error: FoedusDataError?) -> String? {
        if case let .invalidPartition(field, _)? = error { return field }
        return nil
    }

    /// The classes in order of first appearance among the non-server indices (the oracle of
    /// the SSFL dominant-class mapping, computed independently of the partitioner).
    static func firstAppearance(_ labels: [Int32], excluding server: [Int]) -> [Int] {
        let excluded = Set(server)
        var order: [Int] = []
        for (index, label) in labels.enumerated() where !excluded.contains(index) && !order.contains(Int(label)) {
            order.append(Int(label))
        }
        return order
    }

    /// Asserts that server and users are pairwise disjoint and in range; returns the number
    /// of training indices in no set.
    @discardableResult
    static func assertDisjoint(_ partition: Partition, count: Int, file: StaticString = #filePath, line: UInt = #line) -> Int {
        var seen = [Bool](repeating: false, count: count)
        var duplicates = 0
        for index in partition.server + partition.users.flatMap({ $0 }) {
            XCTAssert(index >= 0 && index < count, "index \(index) out of range", file: file, line: line)
            if seen[index] { duplicates += 1 }
            seen[index] = true
        }
        XCTAssertEqual(duplicates, 0, "indices placed twice", file: file, line: line)
        return seen.filter { !$0 }.count
    }
}
