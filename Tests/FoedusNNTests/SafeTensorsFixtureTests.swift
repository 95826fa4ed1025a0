import Foundation
import XCTest
import FoedusNN
import FoedusTensor

/// Reads `Fixtures/independent.safetensors`, written by `Fixtures/make_safetensors_fixture.py`
/// (Python `struct` + `json`, no Foedus code), and checks the exact values of the script's
/// formulas, hard-coded here. The file's layout differs from ours: alphabetical keys, Python's
/// JSON spacing and `\u` escapes, `"__metadata__"` in the middle, data in non-key order, and
/// an F64 tensor at an unaligned offset.
final class SafeTensorsFixtureTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/independent.safetensors").path

    func testReadsExactlyWhatTheIndependentWriterWrote() throws {
        let (tensors, metadata) = try SafeTensors.read(path: Self.fixture)

        // Ordered by data offset, as the script lays them out.
        XCTAssertEqual(tensors.names, ["Count.i32", "weight.f32", "\u{FC}n\u{EF}code/\u{540D}\u{524D}", "empty.f32",
                                       "bias.f64", "scalar.f64", "special.f32"])

        // i·7 − 20 for i in 0..<8.
        let count = tensors["Count.i32"]!
        XCTAssertEqual(count.dtype, .int32)
        XCTAssertEqual(count.shape, [2, 2, 2])
        XCTAssertEqual(count.scalars(as: Int32.self), [-20, -13, -6, 1, 8, 15, 22, 29])

        // i·0.5 − 3 for i in 0..<6, exact in binary32.
        let weight = tensors["weight.f32"]!
        XCTAssertEqual(weight.dtype, .float32)
        XCTAssertEqual(weight.shape, [2, 3])
        XCTAssertEqual(weight.scalars(as: Float.self), [-3, -2.5, -2, -1.5, -1, -0.5])

        let unicode = tensors["ünïcode/名前"]!
        XCTAssertEqual(unicode.shape, [1])
        XCTAssertEqual(unicode.scalars(as: Float.self), [42])

        let empty = tensors["empty.f32"]!
        XCTAssertEqual(empty.dtype, .float32)
        XCTAssertEqual(empty.shape, [0, 4])
        XCTAssertEqual(empty.scalarCount, 0)

        // i·0.25 + 1 for i in 0..<3, stored at buffer offset 60.
        let bias = tensors["bias.f64"]!
        XCTAssertEqual(bias.dtype, .float64)
        XCTAssertEqual(bias.shape, [3])
        XCTAssertEqual(bias.scalars(as: Double.self), [1, 1.25, 1.5])

        // −1/3 correctly rounded to binary64.
        let scalar = tensors["scalar.f64"]!
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(float64Bits(scalar), [0xBFD5_5555_5555_5555])

        // −0.0, +∞, −∞, smallest denormal, quiet NaN, as raw bit patterns.
        let special = tensors["special.f32"]!
        XCTAssertEqual(special.shape, [5])
        XCTAssertEqual(float32Bits(special), [0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x0000_0001, 0x7FC0_0000])

        XCTAssertEqual(metadata, [
            "format": "pt",
            "producer": "make_safetensors_fixture.py",
            "note": "quote \" backslash \\ newline \n tab \t e-acute \u{E9}",
        ])
    }

    func testFixtureReencodesToTheSameTensors() throws {
        let (tensors, metadata) = try SafeTensors.read(path: Self.fixture)
        let again = try SafeTensors.decode(try SafeTensors.encode(tensors, metadata: metadata))
        XCTAssertEqual(again.tensors, tensors)
        XCTAssertEqual(again.metadata, metadata)
    }
}
