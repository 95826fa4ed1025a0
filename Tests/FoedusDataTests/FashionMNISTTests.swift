import FoedusData
import Foundation
import XCTest

/// The real Fashion-MNIST from the Debian package `dataset-fashion-mnist`, when installed.
/// Oracle: the published sizes (60,000 / 10,000 images of 28×28, 10 balanced classes:
/// 6,000 and 1,000 per class).
final class FashionMNISTTests: XCTestCase {
    static let directory = "/usr/share/datasets/fashion-mnist"

    func testLoadsTheDebianPackage() throws {
        guard FileManager.default.fileExists(atPath: Self.directory) else {
            throw XCTSkip("\(Self.directory) absent: apt-get install dataset-fashion-mnist")
        }
        let train = try DatasetCatalog.load("fashion-mnist", split: .train, dataDirectory: Self.directory)
        XCTAssertEqual(train.count, 60_000)
        XCTAssertEqual([train.channels, train.height, train.width, train.classes], [1, 28, 28, 10])
        XCTAssertEqual(train.images.count, 60_000 * 784)
        XCTAssertEqual(train.classHistogram(), Array(repeating: 6_000, count: 10))
        XCTAssertGreaterThan(train.images.max() ?? 0, 0)

        let test = try DatasetCatalog.load("fashion-mnist", split: .test, dataDirectory: Self.directory)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual([test.channels, test.height, test.width, test.classes], [1, 28, 28, 10])
        XCTAssertEqual(test.classHistogram(), Array(repeating: 1_000, count: 10))

        // The preset's mean/std are the training set's statistics to the 4 decimals published.
        let fitted = Normalization(fitting: train)
        XCTAssertEqual(Double(fitted.mean[0]), 0.2860, accuracy: 5e-5)
        XCTAssertEqual(Double(fitted.std[0]), 0.3530, accuracy: 5e-5)
    }
}
