import Foundation
import XCTest
import FoedusNN
import FoedusTensor

/// A safetensors file assembled by hand, byte by byte, independently of the encoder: an
/// 8-byte little-endian length, `header` verbatim (no padding) and `buffer`.
func handMadeFile(header: String, buffer: [UInt8]) -> [UInt8] {
    let text = Array(header.utf8)
    var length = UInt64(text.count)
    var bytes: [UInt8] = []
    for _ in 0..<8 {
        bytes.append(UInt8(length & 0xFF))
        length >>= 8
    }
    return bytes + text + buffer
}

/// Little-endian bytes of Float32 bit patterns, written without the tensor library.
func littleEndianBytes(float32Bits: [UInt32]) -> [UInt8] {
    float32Bits.flatMap { bits in (0..<4).map { UInt8((bits >> (8 * $0)) & 0xFF) } }
}

/// Asserts that `body` throws exactly `expected`.
func assertThrows<T>(_ expected: FoedusNNError, file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected \(expected), nothing thrown", file: file, line: line)
    } catch let error as FoedusNNError {
        XCTAssertEqual(error, expected, file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error)", file: file, line: line)
    }
}

/// Asserts that decoding `bytes` throws exactly `expected`.
func assertDecodeThrows(_ bytes: [UInt8], _ expected: FoedusNNError, file: StaticString = #filePath, line: UInt = #line) {
    assertThrows(expected, file: file, line: line) { try SafeTensors.decode(bytes, source: "t") }
}

/// The Float32 bit patterns of a tensor, so NaN payloads and −0.0 compare exactly.
func float32Bits(_ tensor: Tensor) -> [UInt32] { tensor.scalars(as: Float.self).map(\.bitPattern) }
func float64Bits(_ tensor: Tensor) -> [UInt64] { tensor.scalars(as: Double.self).map(\.bitPattern) }

/// A fresh empty directory under the system temporary directory.
func makeTemporaryDirectory(_ label: String) throws -> String {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("foedus-\(label)-\(UInt64.random(in: 0 ... .max))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}
