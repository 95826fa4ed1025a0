import FoedusData
import XCTest

/// The `Dataset` value: accessors, subsets and the class histogram. Oracle: hand-built
/// datasets whose bytes encode their index.
final class DatasetTests: XCTestCase {
    /// 6 images of 2 channels × 1 × 2; image i's bytes are 10i, 10i+1, 10i+2, 10i+3; labels i mod 3.
    let dataset = Dataset(name: "toy", images: (0..<6).flatMap { i in (0..<4).map { UInt8(10 * i + $0) } },
                          labels: (0..<6).map { Int32($0 % 3) }, channels: 2, height: 1, width: 2, classes: 4)

    func testAccessors() {
        XCTAssertEqual(dataset.count, 6)
        XCTAssertEqual(dataset.imageByteCount, 4)
        XCTAssertEqual(dataset.imageShape, [2, 1, 2])
        XCTAssertEqual(Array(dataset.image(at: 3)), [30, 31, 32, 33])
        XCTAssertEqual(dataset.label(at: 4), 1)
    }

    func testSubsetKeepsOrderAndRepeats() {
        let subset = dataset.subset([5, 0, 5])
        XCTAssertEqual(subset.name, "toy")
        XCTAssertEqual(subset.count, 3)
        XCTAssertEqual(subset.images, [50, 51, 52, 53, 0, 1, 2, 3, 50, 51, 52, 53])
        XCTAssertEqual(subset.labels, [2, 0, 2])
        XCTAssertEqual([subset.channels, subset.height, subset.width, subset.classes], [2, 1, 2, 4])
        XCTAssertEqual(dataset.subset([]).count, 0)
    }

    func testClassHistogramCountsEveryClassIncludingEmptyOnes() {
        XCTAssertEqual(dataset.classHistogram(), [2, 2, 2, 0])
        XCTAssertEqual(dataset.subset([1, 4, 2]).classHistogram(), [0, 2, 1, 0])
        XCTAssertEqual(dataset.indices(ofClass: 2), [2, 5])
    }
}
