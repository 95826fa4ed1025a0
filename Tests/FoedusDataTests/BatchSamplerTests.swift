import FoedusData
import FoedusKernels
import XCTest

/// Seeded batching. Oracle: the definition — epoch e's order is
/// `RandomStream(key: key.derived(e)).permutation(count)` — plus set properties (each index
/// once per epoch) and exact batch sizes.
final class BatchSamplerTests: XCTestCase {
    let key = RandomKey(seed: 2024)

    func testSameSeedAndEpochGiveTheSameOrder() {
        let a = BatchSampler(count: 103, batchSize: 10, key: key)
        let b = BatchSampler(count: 103, batchSize: 10, key: RandomKey(seed: 2024))
        XCTAssertEqual(a.batches(epoch: 3), b.batches(epoch: 3))
        var stream = RandomStream(key: key.derived(UInt64(3)))
        XCTAssertEqual(a.order(epoch: 3), stream.permutation(103))
    }

    func testEpochsAndSeedsDiffer() {
        let sampler = BatchSampler(count: 103, batchSize: 10, key: key)
        XCTAssertNotEqual(sampler.order(epoch: 0), sampler.order(epoch: 1))
        XCTAssertNotEqual(sampler.order(epoch: 0), BatchSampler(count: 103, batchSize: 10, key: RandomKey(seed: 2025)).order(epoch: 0))
        // Computing epoch 5 first does not change epoch 0 (no hidden state).
        _ = sampler.order(epoch: 5)
        XCTAssertEqual(sampler.order(epoch: 0), BatchSampler(count: 103, batchSize: 10, key: key).order(epoch: 0))
    }

    func testEveryIndexOncePerEpoch() {
        let sampler = BatchSampler(count: 103, batchSize: 10, key: key)
        for epoch in 0..<4 {
            let batches = sampler.batches(epoch: epoch)
            XCTAssertEqual(batches.count, 11)
            XCTAssertEqual(batches.map(\.count), Array(repeating: 10, count: 10) + [3])
            XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(0..<103))
        }
    }

    func testDropLast() {
        let sampler = BatchSampler(count: 103, batchSize: 10, dropLast: true, key: key)
        let batches = sampler.batches(epoch: 2)
        XCTAssertEqual(sampler.batchesPerEpoch, 10)
        XCTAssertEqual(batches.map(\.count), Array(repeating: 10, count: 10))
        // The kept batches are the first 100 of the same epoch's order.
        XCTAssertEqual(batches.flatMap { $0 }, Array(sampler.order(epoch: 2).prefix(100)))
        // An exact multiple loses nothing; fewer examples than a batch give no batch at all.
        XCTAssertEqual(BatchSampler(count: 100, batchSize: 10, dropLast: true, key: key).batches(epoch: 0).count, 10)
        XCTAssertEqual(BatchSampler(count: 7, batchSize: 10, dropLast: true, key: key).batches(epoch: 0).count, 0)
        XCTAssertEqual(BatchSampler(count: 7, batchSize: 10, key: key).batches(epoch: 0).map(\.count), [7])
    }

    func testWithoutShuffleOrderIsSequential() {
        let sampler = BatchSampler(count: 5, batchSize: 2, shuffle: false, key: key)
        XCTAssertEqual(sampler.batches(epoch: 9), [[0, 1], [2, 3], [4]])
        XCTAssertEqual(BatchSampler(count: 0, batchSize: 4, key: key).batches(epoch: 0), [])
    }
}
