import FoedusData
import FoedusKernels
import Foundation
import XCTest

/// The SSFL partition of the real Fashion-MNIST training set (60 000, 6000 per class), when
/// installed: N_s = 1000, K = 10, so L = ⌊59 000 / 10⌋ = 5900. Oracle: mean dominant fraction
/// R + (1 − R)/10 ± 0.01; 0.1 + < 0.03 for R = 0.
final class PartitionFashionMNISTTests: XCTestCase {
    func testDominantFractionsOnFashionMNIST() throws {
        let directory = FashionMNISTTests.directory
        guard FileManager.default.fileExists(atPath: directory) else {
            throw XCTSkip("\(directory) absent: apt-get install dataset-fashion-mnist")
        }
        let train = try DatasetCatalog.load("fashion-mnist", split: .train, dataDirectory: directory)
        for r in [0.0, 0.4, 0.8, 1.0] {
            let partition = try Partitioner.ssfl(labeled: 1000, users: 10, nonIID: r).partition(train, key: RandomKey(seed: 1))
            let summary = partition.summary(labels: train.labels, classes: train.classes)
            XCTAssertEqual(summary.userCounts, Array(repeating: 5900, count: 10))
            XCTAssertEqual(summary.unassignedCount, 0)
            if r == 0 {
                XCTAssertLessThan(summary.dominantFractionMax, 0.13)
            } else {
                XCTAssertEqual(summary.dominantFractionMean, r + (1 - r) / 10, accuracy: 0.01, "R = \(r)")
            }
        }
    }
}
