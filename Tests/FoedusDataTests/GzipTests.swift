@testable import FoedusData
import XCTest

/// gzip decoding through zlib. Oracle: the raw fixture bytes (which `make_fixtures.py`
/// compressed with Python's gzip) and zlib's own error messages.
final class GzipTests: XCTestCase {
    func testInflateEqualsRawBytes() throws {
        let raw = try Fixtures.bytes("tiny-images-idx3-ubyte")
        let inflated = try Gzip.inflate(Fixtures.bytes("tiny-images-idx3-ubyte.gz"), path: "t")
        XCTAssertEqual(inflated, raw)
    }

    func testGrowsFromATinyBuffer() throws {
        // A 1-byte start forces the doubling path through every power of two up to 156.
        let raw = try Fixtures.bytes("tiny-images-idx3-ubyte")
        let inflated = try Gzip.inflate(Fixtures.bytes("tiny-images-idx3-ubyte.gz"), path: "t", initialCapacity: 1)
        XCTAssertEqual(inflated, raw)
    }

    func testConcatenatedMembers() throws {
        let inflated = try Gzip.inflate(Fixtures.bytes("tiny-labels-two-members.gz"), path: "t", initialCapacity: 1)
        XCTAssertEqual(inflated, try Fixtures.bytes("tiny-labels-idx1-ubyte"))
    }

    func testCorruptDeflateBlockGivesZlibMessage() {
        // The fixture's byte 10 (the first deflate byte, after the 10-byte gzip header) says
        // block type 3, which does not exist; zlib stops at or just after it.
        let path = Fixtures.path("corrupt-deflate.gz")
        guard case let .corruptGzip(errorPath, offset, message)? = thrownError({ try IDXFile(contentsOf: path) }) else {
            return XCTFail("expected corruptGzip")
        }
        XCTAssertEqual(errorPath, path)
        XCTAssertTrue((10...11).contains(offset), "offset \(offset)")
        XCTAssertEqual(message, "invalid block type")
    }

    func testBadCRCGivesZlibMessage() throws {
        let path = Fixtures.path("bad-crc.gz")
        guard case let .corruptGzip(errorPath, _, message)? = thrownError({ try IDXFile(contentsOf: path) }) else {
            return XCTFail("expected corruptGzip")
        }
        XCTAssertEqual(errorPath, path)
        XCTAssertEqual(message, "incorrect data check")
    }

    func testTruncatedGzip() throws {
        let path = Fixtures.path("truncated.gz")
        let size = try Fixtures.bytes("truncated.gz").count
        assertThrows(.corruptGzip(path: path, offset: size, message: "unexpected end of gzip stream (file truncated?)")) {
            try IDXFile(contentsOf: path)
        }
    }

    func testTrailingGarbageAfterStream() throws {
        let path = Fixtures.path("trailing-garbage.gz")
        let size = try Fixtures.bytes("trailing-garbage.gz").count
        assertThrows(.corruptGzip(path: path, offset: size - 4, message: "4 byte(s) of trailing garbage after the gzip stream")) {
            try IDXFile(contentsOf: path)
        }
    }

    func testCapacityHintIsBoundedByDeflateRatio() throws {
        // A 100-byte "file" whose trailer claims 4 GiB − 1: the hint must not trust it.
        var lying = [UInt8](repeating: 0, count: 100)
        lying[0] = 0x1F; lying[1] = 0x8B
        lying[96] = 0xFF; lying[97] = 0xFF; lying[98] = 0xFF; lying[99] = 0xFF
        XCTAssertEqual(Gzip.initialCapacity(lying), 100 * 1032 + 64 + 1)
        // A truthful small trailer still gets the 64 KiB floor.
        XCTAssertEqual(Gzip.initialCapacity(try Fixtures.bytes("tiny-labels-idx1-ubyte.gz")), 64 * 1024)
    }
}
