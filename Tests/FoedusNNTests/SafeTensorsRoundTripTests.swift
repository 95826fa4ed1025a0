import Foundation
import XCTest
import FoedusNN
import FoedusTensor

/// Encoding then decoding must return the same names, order, shapes, dtypes and bits (oracle:
/// bitwise equality, ``ParameterSet``'s `==`); the encoder's bytes are checked against a file
/// written by hand from the format description.
final class SafeTensorsRoundTripTests: XCTestCase {
    /// Every dtype, rank 0, zero-element tensors, and the float values most likely to be
    /// mangled by a conversion: NaN payloads, signalling NaN, −0.0, denormals, infinities.
    static let awkward: ParameterSet = {
        let floats: [Float] = [
            Float(bitPattern: 0x7FC1_2345), Float(bitPattern: 0x7F80_0001), -0.0, .leastNonzeroMagnitude,
            -.leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity, -.infinity, 1.5, -3.25, .ulpOfOne, 0,
        ]
        let doubles: [Double] = [
            Double(bitPattern: 0x7FF8_0000_DEAD_BEEF), -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude,
            -.infinity, .pi,
        ]
        return ParameterSet([
            ("zeta.f32", Tensor(shape: [3, 4], scalars: floats)),
            ("empty.first", Tensor(shape: [0, 3], scalars: [Float]())),
            ("alpha.f64", Tensor(shape: [3, 1, 2], scalars: doubles)),
            ("ints", Tensor(shape: [5], scalars: [Int32.min, -1, 0, 1, Int32.max])),
            // Two empty tensors at the same data offset: their order must survive too.
            ("empty.b", Tensor(shape: [2, 0], scalars: [Int32]())),
            ("empty.a", Tensor(shape: [0], scalars: [Double]())),
            ("scalar.f64", Tensor(shape: [], scalars: [-1.0 / 3.0])),
            ("scalar.i32", Tensor(shape: [], scalars: [Int32(-7)])),
            ("empty.last", Tensor(shape: [1, 0, 2], scalars: [Float]())),
        ])
    }()

    func testRoundTripIsBitExactAndKeepsOrder() throws {
        let bytes = try SafeTensors.encode(Self.awkward)
        let (decoded, metadata) = try SafeTensors.decode(bytes)
        XCTAssertEqual(decoded, Self.awkward)
        XCTAssertEqual(decoded.names, Self.awkward.names)
        XCTAssertEqual(decoded.tensors.map(\.shape), Self.awkward.tensors.map(\.shape))
        XCTAssertEqual(decoded.tensors.map(\.dtype), Self.awkward.tensors.map(\.dtype))
        XCTAssertEqual(float32Bits(decoded["zeta.f32"]!), float32Bits(Self.awkward["zeta.f32"]!))
        XCTAssertEqual(float64Bits(decoded["alpha.f64"]!), float64Bits(Self.awkward["alpha.f64"]!))
        XCTAssertEqual(metadata, [:])
    }

    func testEncodingMatchesHandWrittenFile() throws {
        let set = ParameterSet([
            ("b", Tensor(shape: [2], scalars: [Float(1.5), -2])),
            ("a", Tensor(shape: [], scalars: [Int32(7)])),
        ])
        // The header as the format description prescribes it, with our documented choices:
        // "__metadata__" first with sorted keys, tensors in set order, no whitespace, padded
        // with spaces to a multiple of 8 including the length prefix.
        let json = #"{"__metadata__":{"a":"x\"y","z":"1"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"I32","shape":[],"data_offsets":[8,12]}}"#
        let padding = String(repeating: " ", count: (8 - (8 + json.utf8.count) % 8) % 8)
        // 1.5f = 0x3FC00000, -2f = 0xC0000000, 7 = 0x00000007, little-endian.
        let buffer: [UInt8] = [0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x07, 0x00, 0x00, 0x00]
        let expected = handMadeFile(header: json + padding, buffer: buffer)

        XCTAssertEqual(try SafeTensors.encode(set, metadata: ["z": "1", "a": "x\"y"]), expected)
    }

    func testEncodingIsDeterministic() throws {
        var forward: [String: String] = [:]
        var backward: [String: String] = [:]
        let keys = (0..<50).map { "key\($0)" }
        for k in keys { forward[k] = "v" + k }
        for k in keys.reversed() { backward[k] = "v" + k }
        let first = try SafeTensors.encode(Self.awkward, metadata: forward)
        let second = try SafeTensors.encode(Self.awkward, metadata: backward)
        XCTAssertEqual(first, second)
        XCTAssertEqual(first, try SafeTensors.encode(Self.awkward, metadata: forward))
    }

    func testMetadataRoundTrips() throws {
        let metadata = [
            "format": "pt",
            "": "empty key",
            "empty value": "",
            "escapes": "quote \" backslash \\ slash / newline \n tab \t bell \u{07} nul \u{00}",
            "unicode": "ünïcödé 名前 🧪",
        ]
        let (tensors, decoded) = try SafeTensors.decode(try SafeTensors.encode(Self.awkward, metadata: metadata))
        XCTAssertEqual(decoded, metadata)
        XCTAssertEqual(tensors, Self.awkward)
    }

    func testNamesNeedingEscapesRoundTrip() throws {
        let names = ["", "a\"b", "back\\slash", "new\nline", "ctl\u{01}", "ünï/名前", "emoji 🧪", "__metadata__x"]
        let set = ParameterSet(names.enumerated().map { ($1, Tensor(shape: [1], scalars: [Float($0)])) })
        XCTAssertEqual(try SafeTensors.decode(try SafeTensors.encode(set)).tensors, set)
    }

    func testBufferStartsEightByteAligned() throws {
        // Name lengths 0...16 move the header end through every residue mod 8.
        for length in 0...16 {
            for metadata in [[:], ["k": String(repeating: "m", count: length)]] {
                let set = ParameterSet([(String(repeating: "n", count: length), Tensor(shape: [1], scalars: [1.0]))])
                let bytes = try SafeTensors.encode(set, metadata: metadata)
                let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
                XCTAssertEqual((8 + headerLength) % 8, 0, "name length \(length)")
                XCTAssertEqual(bytes.count, 8 + headerLength + 8, "one F64 after the header")
                // Padding is spaces after the closing brace.
                let header = Array(bytes[8..<(8 + headerLength)])
                let close = header.lastIndex(of: UInt8(ascii: "}"))!
                XCTAssertTrue(header[(close + 1)...].allSatisfy { $0 == UInt8(ascii: " ") })
                XCTAssertLessThan(header.count - close - 1, 8)
            }
        }
    }

    func testEmptySetRoundTrips() throws {
        let bytes = try SafeTensors.encode(ParameterSet())
        XCTAssertEqual(bytes, handMadeFile(header: "{}      ", buffer: []))
        let (tensors, metadata) = try SafeTensors.decode(bytes)
        XCTAssertTrue(tensors.isEmpty)
        XCTAssertEqual(metadata, [:])
    }

    func testDecodedOrderFollowsDataOffsetsThenHeaderOrder() throws {
        // Header order c, b, a, e; data order a, b (empty), e (empty), c. Empty b and e share an
        // offset, so header order breaks the tie.
        let header = #"{"c":{"dtype":"I32","shape":[1],"data_offsets":[4,8]},"# +
            #""b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"# +
            #""a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},"# +
            #""e":{"dtype":"F64","shape":[0,2],"data_offsets":[4,4]}}"#
        let file = handMadeFile(header: header, buffer: [1, 0, 0, 0, 2, 0, 0, 0])
        let (tensors, _) = try SafeTensors.decode(file)
        XCTAssertEqual(tensors.names, ["a", "b", "e", "c"])
        XCTAssertEqual(tensors["a"]!.scalars(as: Int32.self), [1])
        XCTAssertEqual(tensors["c"]!.scalars(as: Int32.self), [2])
        XCTAssertEqual(tensors["e"]!.shape, [0, 2])
    }

    func testTrackedTensorsEncodeTheirValues() throws {
        let x = Tensor(shape: [2], scalars: [Float(0.25), 4])
        _ = try gradient(of: { x in
            let set = ParameterSet([("x", x * 2)])
            let decoded = try SafeTensors.decode(try SafeTensors.encode(set)).tensors
            XCTAssertEqual(decoded["x"]!.scalars(as: Float.self), [0.5, 8])
            XCTAssertFalse(decoded["x"]!.isTracked)
            return x.sum()
        }, at: x)
    }
}
