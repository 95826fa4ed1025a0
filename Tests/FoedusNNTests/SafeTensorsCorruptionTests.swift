import Foundation
import XCTest
import FoedusNN
import FoedusTensor

/// Every way a file can be corrupt yields its specific ``FoedusNNError``, naming the tensor
/// or the byte offset (oracle: the exact error value, derived by hand from the hand-made
/// bytes), and no input crashes the decoder.
final class SafeTensorsCorruptionTests: XCTestCase {
    /// `{"w": <entry>}` as a hand-made file over `buffer`.
    private func oneTensor(_ entry: String, buffer: [UInt8] = Array(repeating: 0, count: 8)) -> [UInt8] {
        handMadeFile(header: #"{"w":"# + entry + "}", buffer: buffer)
    }

    // MARK: Length prefix

    func testTruncatedInsideTheData() throws {
        let full = try SafeTensors.encode(SafeTensorsRoundTripTests.awkward)
        for cut in [1, 7, 8, 100] {
            assertDecodeThrows(Array(full.dropLast(cut)),
                               .truncated(source: "t", expectedBytes: full.count, actualBytes: full.count - cut))
        }
    }

    func testTruncatedInsideTheLengthPrefix() {
        assertDecodeThrows([], .truncated(source: "t", expectedBytes: 8, actualBytes: 0))
        assertDecodeThrows([2, 0, 0, 0, 0], .truncated(source: "t", expectedBytes: 8, actualBytes: 5))
    }

    func testHeaderLengthBeyondFile() throws {
        // A file cut inside its header: the prefix promises more than there is.
        let full = try SafeTensors.encode(SafeTensorsRoundTripTests.awkward)
        let headerLength = full[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        assertDecodeThrows(Array(full.prefix(20)),
                           .badHeader(source: "t", offset: 0, problem: .lengthBeyondFile(length: headerLength, available: 12)))
    }

    func testHeaderLengthBeyondLimit() {
        let limit = SafeTensors.headerLimit
        for length in [UInt64(limit) + 1, UInt64.max] {
            let prefix = (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) }
            assertDecodeThrows(prefix + Array("{}".utf8),
                               .badHeader(source: "t", offset: 0, problem: .lengthBeyondLimit(length: length, limit: limit)))
        }
    }

    // MARK: JSON

    func testInvalidJSON() {
        let file = handMadeFile(header: #"{"w": }"#, buffer: [])
        do {
            _ = try SafeTensors.decode(file, source: "t")
            XCTFail("decoded invalid JSON")
        } catch let FoedusNNError.badHeader(source, offset, problem) {
            XCTAssertEqual(source, "t")
            guard case .invalidJSON = problem else { return XCTFail("\(problem)") }
            // Byte 8 + 6 is the `}` where a value should be, when the parser says where.
            XCTAssertTrue(offset == nil || offset == 14, "offset \(String(describing: offset))")
        } catch {
            XCTFail("\(error)")
        }
        for header in ["", "{", #"{"w":{"dtype":"F32"}"#, "{} x", "{'w': 1}"] {
            let file = handMadeFile(header: header, buffer: [])
            XCTAssertThrowsError(try SafeTensors.decode(file)) { error in
                guard case .badHeader(_, _, .invalidJSON) = error as? FoedusNNError else { return XCTFail("\(header): \(error)") }
            }
        }
    }

    func testInvalidUTF8() {
        var file = handMadeFile(header: #"{"wx":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#, buffer: [])
        file[8 + 3] = 0xFF  // the `x`
        assertDecodeThrows(file, .badHeader(source: "t", offset: 11, problem: .invalidUTF8))
    }

    func testHeaderNotAnObject() {
        for header in ["[1, 2]", "3", #""w""#, "null"] {
            assertDecodeThrows(handMadeFile(header: header, buffer: []), .badHeader(source: "t", offset: 8, problem: .notAnObject))
        }
    }

    func testEntryNotAnObject() {
        // The key's opening quote is header byte 3, file byte 11.
        assertDecodeThrows(handMadeFile(header: #"{  "w": [0]}"#, buffer: []),
                           .badHeader(source: "t", offset: 11, problem: .entryNotAnObject(tensor: "w")))
    }

    func testMissingFields() {
        let cases = [
            (#"{"shape":[2],"data_offsets":[0,8]}"#, "dtype"),
            (#"{"dtype":"F32","data_offsets":[0,8]}"#, "shape"),
            (#"{"dtype":"F32","shape":[2]}"#, "data_offsets"),
        ]
        for (entry, field) in cases {
            assertDecodeThrows(oneTensor(entry), .badHeader(source: "t", offset: 9, problem: .missingField(tensor: "w", field: field)))
        }
    }

    func testIllTypedFields() {
        let cases = [
            (#"{"dtype":32,"shape":[2],"data_offsets":[0,8]}"#, "dtype", "a string"),
            (#"{"dtype":"F32","shape":"2","data_offsets":[0,8]}"#, "shape", "an array of integers"),
            (#"{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}"#, "shape", "an array of integers"),
            (#"{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}"#, "shape", "an array of integers"),
            (#"{"dtype":"F32","shape":[true],"data_offsets":[0,8]}"#, "shape", "an array of integers"),
            (#"{"dtype":"F32","shape":[null],"data_offsets":[0,8]}"#, "shape", "an array of integers"),
            (#"{"dtype":"F32","shape":[2],"data_offsets":[8]}"#, "data_offsets", "an array of two integers"),
            (#"{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}"#, "data_offsets", "an array of two integers"),
            (#"{"dtype":"F32","shape":[2],"data_offsets":["0","8"]}"#, "data_offsets", "an array of two integers"),
            (#"{"dtype":"F32","shape":[2],"data_offsets":[0,100000000000000000000]}"#, "data_offsets", "an array of two integers"),
        ]
        for (entry, field, expected) in cases {
            assertDecodeThrows(oneTensor(entry), .badHeader(source: "t", offset: 9, problem: .illTypedField(tensor: "w", field: field, expected: expected)))
        }
    }

    func testBadMetadata() {
        assertDecodeThrows(handMadeFile(header: #"{"__metadata__":["a"]}"#, buffer: []),
                           .badHeader(source: "t", offset: 9, problem: .metadataNotAnObject))
        assertDecodeThrows(handMadeFile(header: #"{"__metadata__":{"a":"x","n":1}}"#, buffer: []),
                           .badHeader(source: "t", offset: 9, problem: .metadataValueNotString(key: "n")))
    }

    func testUnsupportedDTypes() {
        for dtype in ["F16", "BF16", "I64", "U8", "BOOL", "F8_E4M3", "f32", "X99", ""] {
            assertDecodeThrows(oneTensor(#"{"dtype":"\#(dtype)","shape":[2],"data_offsets":[0,8]}"#),
                               .unsupportedDType(source: "t", tensor: "w", dtype: dtype))
        }
    }

    // MARK: Tensor entries

    func testNegativeExtent() {
        assertDecodeThrows(oneTensor(#"{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}"#),
                           .badTensor(source: "t", tensor: "w", problem: .negativeExtent(shape: [2, -1])))
    }

    func testShapeWhoseCountOverflows() {
        // Zero elements, but 2^40 · 2^40 would trap when the tensor computes its strides.
        let shape = [1 << 40, 1 << 40, 0]
        assertDecodeThrows(oneTensor(#"{"dtype":"F32","shape":[1099511627776,1099511627776,0],"data_offsets":[0,0]}"#),
                           .badTensor(source: "t", tensor: "w", problem: .shapeTooLarge(shape: shape)))
        // 2^62 elements fit in Int; their 2^64 bytes do not.
        assertDecodeThrows(oneTensor(#"{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,8]}"#),
                           .badTensor(source: "t", tensor: "w", problem: .shapeTooLarge(shape: [1 << 62])))
    }

    func testWrongSizeForShape() {
        assertDecodeThrows(oneTensor(#"{"dtype":"F64","shape":[2],"data_offsets":[0,8]}"#),
                           .badTensor(source: "t", tensor: "w", problem: .sizeMismatch(shape: [2], dtype: "F64", expectedBytes: 16, actualBytes: 8)))
        assertDecodeThrows(oneTensor(#"{"dtype":"I32","shape":[],"data_offsets":[0,8]}"#),
                           .badTensor(source: "t", tensor: "w", problem: .sizeMismatch(shape: [], dtype: "I32", expectedBytes: 4, actualBytes: 8)))
    }

    func testReversedOffsets() {
        assertDecodeThrows(oneTensor(#"{"dtype":"F32","shape":[2],"data_offsets":[8,0]}"#),
                           .badTensor(source: "t", tensor: "w", problem: .reversedOffsets(begin: 8, end: 0)))
    }

    func testOffsetsOutOfRange() {
        // An 8-byte buffer; the tensor claims bytes 8..<16.
        assertDecodeThrows(oneTensor(#"{"dtype":"F32","shape":[2],"data_offsets":[8,16]}"#),
                           .badTensor(source: "t", tensor: "w", problem: .offsetsOutOfRange(begin: 8, end: 16, bufferLength: 8)))
        assertDecodeThrows(oneTensor(#"{"dtype":"F32","shape":[2],"data_offsets":[-4,4]}"#),
                           .badTensor(source: "t", tensor: "w", problem: .offsetsOutOfRange(begin: -4, end: 4, bufferLength: 8)))
        // The out-of-range tensor is named even when another tensor is fine.
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#
        assertDecodeThrows(handMadeFile(header: header, buffer: Array(repeating: 0, count: 8)),
                           .badTensor(source: "t", tensor: "b", problem: .offsetsOutOfRange(begin: 12, end: 16, bufferLength: 8)))
    }

    func testOffsetsNearIntMaxDoNotOverflow() {
        let header = #"{"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2305843009213693950],"data_offsets":[4,9223372036854775804]}}"#
        assertDecodeThrows(handMadeFile(header: header, buffer: Array(repeating: 0, count: 8)),
                           .badTensor(source: "t", tensor: "b", problem: .offsetsOutOfRange(begin: 4, end: 9_223_372_036_854_775_804, bufferLength: 8)))
    }

    func testOverlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertDecodeThrows(handMadeFile(header: header, buffer: Array(repeating: 0, count: 12)),
                           .badTensor(source: "t", tensor: "b", problem: .overlap(other: "a", begin: 4, otherEnd: 8)))
        // Identical ranges overlap too (two names for one tensor's bytes).
        let twins = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}"#
        assertDecodeThrows(handMadeFile(header: twins, buffer: Array(repeating: 0, count: 8)),
                           .badTensor(source: "t", tensor: "b", problem: .overlap(other: "a", begin: 0, otherEnd: 8)))
    }

    func testGapBetweenTensors() {
        let header = #"{"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        assertDecodeThrows(handMadeFile(header: header, buffer: Array(repeating: 0, count: 12)),
                           .badTensor(source: "t", tensor: "b", problem: .gapBefore(from: 4, to: 8)))
        assertDecodeThrows(oneTensor(#"{"dtype":"F32","shape":[1],"data_offsets":[4,8]}"#),
                           .badTensor(source: "t", tensor: "w", problem: .gapBefore(from: 0, to: 4)))
    }

    func testGapAfterTheLastTensor() {
        assertDecodeThrows(oneTensor(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#),
                           .badTensor(source: "t", tensor: "w", problem: .gapAfter(from: 4, to: 8)))
        assertDecodeThrows(handMadeFile(header: "{}", buffer: [1, 2, 3]),
                           .badHeader(source: "t", offset: 10, problem: .unusedBytes(count: 3)))
    }

    // MARK: Duplicate names

    func testDuplicateNamesInHeaderText() {
        let entry = #"{"dtype":"F32","shape":[0],"data_offsets":[0,0]}"#
        assertDecodeThrows(handMadeFile(header: #"{"a":\#(entry),"b":\#(entry),"a":\#(entry)}"#, buffer: []),
                           .duplicateName(source: "t", name: "a"))
        // Different bytes, same Swift string (precomposed é vs e + combining acute).
        assertDecodeThrows(handMadeFile(header: #"{"\u00e9":\#(entry),"e\u0301":\#(entry)}"#, buffer: []),
                           .duplicateName(source: "t", name: "\u{E9}"))
        assertDecodeThrows(handMadeFile(header: #"{"__metadata__":{},"__metadata__":{}}"#, buffer: []),
                           .duplicateName(source: "t", name: "__metadata__"))
    }

    func testTensorNamedLikeTheMetadataKeyIsRejectedWhenEncoding() {
        let set = ParameterSet([("__metadata__", Tensor(shape: [1], scalars: [Float(1)]))])
        assertThrows(.duplicateName(source: "<memory>", name: "__metadata__")) { try SafeTensors.encode(set) }
    }

    // MARK: Hostile bytes

    func testEveryPrefixAndEveryByteFlipFailsCleanly() throws {
        let set = ParameterSet([
            ("a", Tensor(shape: [2, 1], scalars: [Float(1), 2])),
            ("b", Tensor(shape: [], scalars: [Int32(3)])),
        ])
        let full = try SafeTensors.encode(set, metadata: ["k": "v"])
        for length in 0..<full.count {
            XCTAssertThrowsError(try SafeTensors.decode(Array(full.prefix(length)))) { error in
                XCTAssertTrue(error is FoedusNNError, "\(error)")
            }
        }
        // Flipping a header byte may still give a valid file (a renamed tensor); otherwise
        // it must be a typed error, never a trap.
        for index in 0..<full.count {
            for mask: UInt8 in [0x01, 0x20, 0x80] {
                var bytes = full
                bytes[index] ^= mask
                do { _ = try SafeTensors.decode(bytes) } catch { XCTAssertTrue(error is FoedusNNError, "\(error)") }
            }
        }
    }

    func testDescriptionsNameTheTensorAndOffsets() {
        let error = FoedusNNError.badTensor(source: "m.safetensors", tensor: "fc.weight", problem: .overlap(other: "fc.bias", begin: 40, otherEnd: 48))
        XCTAssertEqual(error.description, "m.safetensors: tensor 'fc.weight': begins at byte 40, inside tensor 'fc.bias' which ends at byte 48")
        let header = FoedusNNError.badHeader(source: "m.safetensors", offset: 0, problem: .lengthBeyondFile(length: 900, available: 12))
        XCTAssertEqual(header.description, "m.safetensors: bad safetensors header at byte 0: header length 900 exceeds the 12 bytes after the length prefix")
        XCTAssertEqual(FoedusNNError.truncated(source: "m", expectedBytes: 100, actualBytes: 60).description,
                       "m: truncated: 60 bytes, header requires 100")
    }
}
