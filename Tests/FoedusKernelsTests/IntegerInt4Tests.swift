import FoedusKernels
import XCTest

// Oracle: Int4Packing.packReference / unpackReference (per-nibble Swift), exact.
final class IntegerInt4Tests: XCTestCase {
    func testRoundTripAndReferenceAgreeOnOddCounts() {
        var data = IntegerTestData(seed: 10)
        for count in [0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 1001] {
            let values = data.int8s(count, in: -8...7)
            let packed = Int4Packing.pack(values)
            XCTAssertEqual(packed, Int4Packing.packReference(values), "pack \(count)")
            XCTAssertEqual(Int4Packing.unpack(packed, count: count), values, "round trip \(count)")
            XCTAssertEqual(Int4Packing.unpackReference(packed, count: count), values, "reference \(count)")
        }
    }

    func testExtremesAndLowNibbleFirst() {
        XCTAssertEqual(Int4Packing.pack([-8, 7]), [0x78])
        XCTAssertEqual(Int4Packing.pack([7, -8]), [0x87])
        XCTAssertEqual(Int4Packing.pack([-1, 0, -8]), [0x0F, 0x08])
        XCTAssertEqual(Int4Packing.unpack([0x78, 0xF0], count: 4), [-8, 7, 0, -1])
        let all = (0..<256).map { UInt8($0) }
        XCTAssertEqual(Int4Packing.unpack(all, count: 512), Int4Packing.unpackReference(all, count: 512))
    }
}
