import FoedusData
import XCTest

/// IDX reading. Oracle: the byte formulas of `make_fixtures.py` (repeated in `Fixtures`),
/// compared for exact equality.
final class IDXFileTests: XCTestCase {
    func testReadsRawImagesExactly() throws {
        let file = try IDXFile(contentsOf: Fixtures.path("tiny-images-idx3-ubyte"))
        XCTAssertEqual(file.dimensions, [7, 5, 4])
        XCTAssertEqual(file.count, 7)
        XCTAssertEqual(file.bytes, Fixtures.tinyPixels)
        // Spot values straight from the formula (n·37 + r·11 + c·3 + 5) mod 256.
        XCTAssertEqual(file.bytes[0], 5)
        let last: Int = 6 * 37 + 4 * 11 + 3 * 3 + 5
        XCTAssertEqual(file.bytes[139], UInt8(last % 256))
    }

    func testGzipAndRawGiveTheSameContent() throws {
        let raw = try IDXFile(contentsOf: Fixtures.path("tiny-images-idx3-ubyte"))
        let compressed = try IDXFile(contentsOf: Fixtures.path("tiny-images-idx3-ubyte.gz"))
        XCTAssertEqual(compressed.dimensions, raw.dimensions)
        XCTAssertEqual(compressed.bytes, raw.bytes)
    }

    func testReadsLabelsRawAndGzip() throws {
        for name in ["tiny-labels-idx1-ubyte", "tiny-labels-idx1-ubyte.gz", "tiny-labels-two-members.gz"] {
            let file = try IDXFile(contentsOf: Fixtures.path(name))
            XCTAssertEqual(file.dimensions, [7], name)
            XCTAssertEqual(file.bytes.map(Int32.init), Fixtures.tinyLabels, name)
        }
    }

    func testParsesInMemoryContent() throws {
        let bytes = try Fixtures.bytes("tiny-labels-idx1-ubyte.gz")
        let file = try IDXFile(fileContent: bytes, path: "memory")
        XCTAssertEqual(file.path, "memory")
        XCTAssertEqual(file.bytes.map(Int32.init), Fixtures.tinyLabels)
    }

    func testBadMagic() {
        let path = Fixtures.path("bad-magic-idx")
        assertThrows(.badMagic(path: path, expected: "0x00 0x00 0x08 <rank> (IDX, unsigned bytes)", found: "0x12 0x34 0x08 0x03")) {
            try IDXFile(contentsOf: path)
        }
    }

    func testUnsupportedElementType() {
        let path = Fixtures.path("float-elements-idx")
        assertThrows(.unsupportedElementType(path: path, found: 0x0D)) { try IDXFile(contentsOf: path) }
        XCTAssertTrue(FoedusDataError.unsupportedElementType(path: path, found: 0x0D).description.contains("float32"))
    }

    func testRankZero() {
        let path = Fixtures.path("rank-zero-idx")
        assertThrows(.invalidHeader(path: path, offset: 3, reason: "rank 0 (an IDX file needs at least one dimension)")) {
            try IDXFile(contentsOf: path)
        }
    }

    func testTruncatedHeader() {
        // Rank 3 needs a 16-byte header; the file has 6 bytes.
        let path = Fixtures.path("truncated-header-idx")
        assertThrows(.truncated(path: path, expected: 16, found: 6)) { try IDXFile(contentsOf: path) }
    }

    func testTruncatedPayload() {
        // 16-byte header + 7·5·4 = 156 bytes expected; 3 were cut.
        let path = Fixtures.path("truncated-images-idx3-ubyte")
        assertThrows(.truncated(path: path, expected: 156, found: 153)) { try IDXFile(contentsOf: path) }
    }

    func testTrailingBytes() {
        let path = Fixtures.path("trailing-images-idx3-ubyte")
        assertThrows(.trailingBytes(path: path, expected: 156, found: 158)) { try IDXFile(contentsOf: path) }
    }

    func testMissingFileIsUnreadable() {
        let path = Fixtures.path("no-such-file")
        assertThrows(.unreadableFile(path: path, reason: "no such file")) { try IDXFile(contentsOf: path) }
    }

    func testErrorDescriptionsNameTheFileAndNumbers() {
        let error = FoedusDataError.truncated(path: "/x/train-images-idx3-ubyte", expected: 156, found: 153)
        XCTAssertEqual(error.description, "/x/train-images-idx3-ubyte: truncated: expected 156 bytes, got 153")
    }
}
