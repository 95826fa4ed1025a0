import FoedusKernels
import XCTest

/// Philox4x32-10 against the Random123 known-answer vectors (`tests/kat_vectors`, the three
/// `philox4x32 10` lines: counter, key, expected output). They were also reproduced by an
/// independent Python transcription of the published round function while writing this file.
final class RandomPhiloxTests: XCTestCase {
    func testZeroCounterZeroKey() {
        XCTAssertEqual(
            Philox4x32.block(counter: SIMD4(0, 0, 0, 0), key: SIMD2(0, 0)),
            SIMD4(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8))
    }

    func testAllOnesCounterAllOnesKey() {
        let ones: UInt32 = 0xFFFF_FFFF
        XCTAssertEqual(
            Philox4x32.block(counter: SIMD4(ones, ones, ones, ones), key: SIMD2(ones, ones)),
            SIMD4(0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD))
    }

    func testPiDigitsCounterAndKey() {
        XCTAssertEqual(
            Philox4x32.block(
                counter: SIMD4(0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344),
                key: SIMD2(0xA409_3822, 0x299F_31D0)),
            SIMD4(0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1))
    }

    func testPublishedConstants() {
        XCTAssertEqual(Philox4x32.multiplier0, 0xD251_1F53)
        XCTAssertEqual(Philox4x32.multiplier1, 0xCD9E_8D57)
        XCTAssertEqual(Philox4x32.weyl0, 0x9E37_79B9)
        XCTAssertEqual(Philox4x32.weyl1, 0xBB67_AE85)
        XCTAssertEqual(Philox4x32.rounds, 10)
    }
}
