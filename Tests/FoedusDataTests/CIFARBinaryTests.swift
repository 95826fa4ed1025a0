import FoedusData
import XCTest

/// CIFAR-10 binary reading. Oracle: `make_fixtures.py`'s formulas (label list and
/// `(k·101 + i) mod 251`), exact equality.
final class CIFARBinaryTests: XCTestCase {
    func testReadsRecordsExactly() throws {
        let file = try CIFARBinary(contentsOf: Fixtures.path("cifar-tiny.bin"))
        XCTAssertEqual(file.count, 3)
        XCTAssertEqual(file.labels, Fixtures.cifarLabels)
        XCTAssertEqual(file.images.count, 3 * 3072)
        let expected = (0..<3).flatMap { k in (0..<3072).map { Fixtures.cifarPixel(k, $0) } }
        XCTAssertEqual(file.images, expected)
    }

    func testPartialRecord() {
        // Two whole records (6146 bytes) then 100 bytes of a third.
        let path = Fixtures.path("cifar-partial.bin")
        assertThrows(.badCIFARRecord(path: path, offset: 6146, expected: 3073, found: 100)) { try CIFARBinary(contentsOf: path) }
    }

    func testEmptyFile() {
        let path = Fixtures.path("empty.bin")
        assertThrows(.badCIFARRecord(path: path, offset: 0, expected: 3073, found: 0)) { try CIFARBinary(contentsOf: path) }
    }

    func testLabelOutOfRange() {
        // Record 1 (offset 3073) has label 10.
        let path = Fixtures.path("cifar-bad-label.bin")
        assertThrows(.labelOutOfRange(path: path, offset: 3073, label: 10, valid: 0...9)) { try CIFARBinary(contentsOf: path) }
    }
}
