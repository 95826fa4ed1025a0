import FoedusKernels
import FoedusQuant
import FoedusTensor
import FoedusZMQ
import XCTest

// Tests of the Foedus wire codec (docs/PROTOCOL.md): round trips of every message kind, every
// typed error the decoder reports, and a seeded fuzz test of Message.decode on hostile frames.

/// SplitMix64: a tiny fixed-seed generator so every run sees the same inputs.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in byte() } }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

final class WireCodecTests: XCTestCase {
    // MARK: Helpers

    static let sampleHeader = FrameHeader(kind: .heartbeat, round: 9, sequence: 0x0102_0304_0506_0708, runTag: 0xDEAD_BEEF_0123_4567)

    /// Float32 tensor of `shape` with negative and positive values (deterministic).
    static func floats(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        let n = shape.reduce(1, *)
        let values = (0..<n).map { _ in Float(Int(rng.next() % 20_001) - 10_000) / 1_237 }
        return Tensor(shape: shape, scalars: values)
    }

    static func quantized(_ shape: [Int], bits: QuantizedTensor.Bits, seed: UInt64) -> QuantizedTensor {
        QuantizedTensor.quantize(floats(shape, seed: seed), bits: bits, key: RandomKey(seed: seed).derived("wire"))
    }

    /// Float32 values whose bit patterns a sloppy codec would change: signed zero, NaN payloads,
    /// infinities, subnormals, extremes.
    static let specialFloats: [Float] = [
        -0.0, 0.0, .nan, -.nan, Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFFA0_0001), .infinity, -.infinity,
        .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, -1.5, 3.25e-20,
    ]

    /// Frames of a message made from a raw body (and tensor frame) under a default header of `kind`.
    static func rawFrames(_ kind: MessageKind, _ body: [UInt8], tensors: [UInt8]? = nil) -> [[UInt8]] {
        var frames = [FrameHeader(kind: kind).encoded(), body]
        if let tensors { frames.append(tensors) }
        return frames
    }

    /// A header with arbitrary raw field values.
    static func rawHeader(magic: [UInt8] = FrameHeader.magic, version: UInt16 = 1, kind: UInt16 = 8, flags: UInt32 = 0) -> [UInt8] {
        var w = ByteWriter()
        w.raw(magic); w.u16(version); w.u16(kind); w.u32(3); w.u32(flags); w.u64(1); w.u64(2)
        return w.bytes
    }

    /// One raw tensor entry: name, encoding, rank and extents, then `rest` verbatim.
    static func rawTensor(name: [UInt8] = Array("w".utf8), encoding: UInt8, extents: [UInt64], rest: [UInt8]) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(name.count)); w.raw(name); w.u8(encoding); w.u8(UInt8(extents.count))
        for e in extents { w.u64(e) }
        w.raw(rest)
        return w.bytes
    }

    static func tensorFrame(_ entries: [[UInt8]]) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(entries.count))
        for e in entries { w.raw(e) }
        return w.bytes
    }

    /// Encodes, checks the frame count, decodes, and checks the header, the message and the
    /// re-encoded bytes (bit-exact).
    @discardableResult
    func assertRoundTrip(_ message: Message, header: FrameHeader = WireCodecTests.sampleHeader, file: StaticString = #filePath, line: UInt = #line) -> [[UInt8]] {
        let frames = message.frames(header: header)
        let needsTensors = [MessageKind.fit, .update, .evaluate].contains(message.kind)
        XCTAssertEqual(frames.count, needsTensors ? 3 : 2, "frame count of \(message.kind)", file: file, line: line)
        XCTAssertEqual(frames[0].count, FrameHeader.size, file: file, line: line)
        do {
            let (h, m) = try Message.decode(frames)
            var expected = header
            expected.kind = message.kind
            XCTAssertEqual(h, expected, file: file, line: line)
            XCTAssertEqual(m, message, file: file, line: line)
            XCTAssertEqual(m.frames(header: h), frames, "re-encoding is not bit-exact", file: file, line: line)
        } catch {
            XCTFail("decoding \(message.kind) failed: \(error)", file: file, line: line)
        }
        return frames
    }

    func assertDecodeError(_ frames: [[UInt8]], limits: WireLimits = WireLimits(), _ expected: ProtocolError, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let (_, m) = try Message.decode(frames, limits: limits)
            XCTFail("decoded \(m), expected \(expected)", file: file, line: line)
        } catch let e as ProtocolError {
            XCTAssertEqual(e, expected, file: file, line: line)
        } catch {
            XCTFail("non-protocol error \(error)", file: file, line: line)
        }
    }

    /// Like ``assertDecodeError(_:limits:_:file:line:)`` for errors whose reason text is not pinned.
    func assertDecodeError(_ frames: [[UInt8]], limits: WireLimits = WireLimits(), file: StaticString = #filePath, line: UInt = #line,
                           where match: (ProtocolError) -> Bool) {
        do {
            let (_, m) = try Message.decode(frames, limits: limits)
            XCTFail("decoded \(m), expected an error", file: file, line: line)
        } catch let e as ProtocolError {
            XCTAssertTrue(match(e), "unexpected error \(e)", file: file, line: line)
        } catch {
            XCTFail("non-protocol error \(error)", file: file, line: line)
        }
    }

    /// One valid message of every kind (with float32, int8 and int4 tensors of odd shapes).
    static func corpus() -> [Message] {
        let tensors: [WireTensor] = [
            WireTensor(name: "conv.weight", payload: .float32(floats([3, 1, 3, 5], seed: 1))),
            WireTensor(name: "conv.bias", payload: .float32(floats([3], seed: 2))),
            WireTensor(name: "scalar", payload: .float32(floats([], seed: 3))),
            WireTensor(name: "bn.running_mean", payload: .float32(floats([7], seed: 4))),
        ]
        let q: [WireTensor] = [
            WireTensor(name: "conv.weight", payload: .quantized(quantized([3, 1, 3, 5], bits: .int4, seed: 5))),
            WireTensor(name: "conv.bias", payload: .quantized(quantized([3], bits: .int8, seed: 6))),
            WireTensor(name: "fc", payload: .quantized(quantized([5, 3], bits: .int8, seed: 7))),
            WireTensor(name: "odd4", payload: .quantized(quantized([3, 3], bits: .int4, seed: 8))),
        ]
        return [
            .hello(Hello(name: "client-7", user: 7, software: "foedus 0.4.0", capabilities: .all, examples: 600)),
            .welcome(Welcome(clientID: 3, runID: "run-ä", config: "rounds: 5\nmodel: mlp\n", heartbeatMillis: 2_000)),
            .reject(code: .duplicateUser, reason: "user 7 is already connected"),
            .fit(FitInstruction(user: 7, firstStep: 1_200, taskKey: .max, wireKey: 42, wireBits: 4, deadlineMillis: 60_000, parameterCount: 3, tensors: tensors)),
            .update(UpdateMessage(user: 7, examples: 600, seconds: 1.25, metrics: ["loss": 0.5, "mask_rate": -0.0], isDelta: true, tensors: q)),
            .update(UpdateMessage(user: -1, examples: 0, seconds: 0, metrics: [:], isDelta: false, tensors: tensors)),
            .evaluate(parameterCount: 2, tensors: Array(tensors.prefix(2))),
            .evaluation(EvaluationResult(examples: 100, loss: 0.75, accuracy: 0.875)),
            .heartbeat,
            .bye(reason: "done"),
            .error(code: 6, message: "malformed message"),
        ]
    }

    // MARK: Header

    func testHeaderBytesAndRunTag() {
        // FNV-1a 64 reference vectors.
        XCTAssertEqual(FrameHeader.runTag(""), 0xCBF2_9CE4_8422_2325)
        XCTAssertEqual(FrameHeader.runTag("a"), 0xAF63_DC4C_8601_EC8C)
        let h = FrameHeader(kind: .update, round: 0x0A0B_0C0D, sequence: 0x1122_3344_5566_7788, runTag: 0x99AA_BBCC_DDEE_FF00)
        XCTAssertEqual(h.encoded(), [
            0x46, 0x44, 0x55, 0x53, 0x01, 0x00, 0x05, 0x00, 0x0D, 0x0C, 0x0B, 0x0A, 0x00, 0x00, 0x00, 0x00,
            0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, 0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA, 0x99,
        ])
        XCTAssertEqual(try FrameHeader.decode(h.encoded()), h)
        XCTAssertEqual(MessageKind.allCases.map(\.rawValue), Array(1...10))
    }

    /// The worked heartbeat example of docs/PROTOCOL.md.
    func testHeartbeatHexExample() throws {
        let frames = Message.heartbeat.frames(header: FrameHeader(kind: .heartbeat, round: 3, sequence: 42, runTag: FrameHeader.runTag("demo")))
        XCTAssertEqual(FrameHeader.runTag("demo"), 0xA5E4_1B67_4276_D396)
        XCTAssertEqual(frames.count, 2)
        XCTAssertEqual(hex(frames[0]), "46 44 55 53 01 00 08 00 03 00 00 00 00 00 00 00 2a 00 00 00 00 00 00 00 96 d3 76 42 67 1b e4 a5")
        XCTAssertEqual(frames[1], [])
        let (h, m) = try Message.decode(frames)
        XCTAssertEqual(m, .heartbeat)
        XCTAssertEqual(h.round, 3)
        XCTAssertEqual(h.sequence, 42)
    }

    /// The worked hello example of docs/PROTOCOL.md.
    func testHelloHexExample() throws {
        let hello = Message.hello(Hello(name: "c1", user: 5, software: "fx 1", capabilities: [.wireInt8, .evaluate], examples: 600))
        let frames = hello.frames(header: FrameHeader(kind: .hello))
        XCTAssertEqual(hex(frames[0]), "46 44 55 53 01 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")
        XCTAssertEqual(hex(frames[1]), "02 00 00 00 63 31 05 00 00 00 04 00 00 00 66 78 20 31 0a 00 00 00 58 02 00 00 00 00 00 00")
        XCTAssertEqual(try Message.decode(frames).1, hello)
    }

    /// The worked tensor frame example of docs/PROTOCOL.md: one float32 [2] and one int4 [3].
    func testTensorFrameHexExample() throws {
        let q = try XCTUnwrap(QuantizedTensor(validatingShape: [3], bits: .int4, scales: [0.5], payload: [0x9F, 0x07]))
        XCTAssertEqual(q.integers, [-1, -7, 7], "int4 nibbles: low first, two's complement")
        XCTAssertEqual(q.dequantized().scalars(as: Float.self), [-0.5, -3.5, 3.5])
        let frame = WireTensors.encode([
            WireTensor(name: "b", payload: .float32(Tensor(shape: [2], scalars: [Float(1), -2]))),
            WireTensor(name: "d", payload: .quantized(q)),
        ])
        XCTAssertEqual(hex(frame), [
            "02 00 00 00",
            "01 00 00 00 62 01 01 02 00 00 00 00 00 00 00 00 00 80 3f 00 00 00 c0",
            "01 00 00 00 64 03 01 03 00 00 00 00 00 00 00 01 00 00 00 00 00 00 3f 02 00 00 00 00 00 00 00 9f 07",
        ].joined(separator: " "))
        XCTAssertEqual(try WireTensors.decode(frame).map(\.payload), [.float32(Tensor(shape: [2], scalars: [Float(1), -2])), .quantized(q)])
    }

    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined(separator: " ") }

    // MARK: Round trips

    func testRoundTripEveryKind() {
        let corpus = Self.corpus()
        XCTAssertEqual(Set(corpus.map(\.kind)), Set(MessageKind.allCases), "the corpus covers every kind")
        for message in corpus { assertRoundTrip(message) }
    }

    func testRoundTripExtremeScalars() {
        assertRoundTrip(.hello(Hello(name: "", user: .min, software: String(repeating: "é", count: 128), capabilities: Capabilities(rawValue: .max), examples: .max)))
        assertRoundTrip(.hello(Hello(name: String(repeating: "n", count: 256), user: .max, software: "🦀", capabilities: [], examples: 0)))
        assertRoundTrip(.welcome(Welcome(clientID: .max, runID: String(repeating: "r", count: 1024), config: String(repeating: "k: v\n", count: 50_000), heartbeatMillis: .max)))
        for code in [RejectCode.versionMismatch, .unknownUser, .duplicateUser, .missingCapability, .runFinished, .malformed, .notRegistered] {
            assertRoundTrip(.reject(code: code, reason: "code \(code.rawValue)"))
        }
        for bits: UInt8 in [0, 4, 8] {
            assertRoundTrip(.fit(FitInstruction(user: -1, firstStep: .max, taskKey: 0, wireKey: .max, wireBits: bits, deadlineMillis: .max, parameterCount: 0, tensors: [])))
        }
        var metrics: [String: Double] = [:]
        for i in 0..<256 { metrics["m\(i)"] = Double(i) * -0.25 }
        metrics["nan-free extremes"] = -.greatestFiniteMagnitude
        metrics.removeValue(forKey: "m0")
        XCTAssertEqual(metrics.count, 256)
        assertRoundTrip(.update(UpdateMessage(user: .min, examples: .max, seconds: -.infinity, metrics: metrics, isDelta: false, tensors: [])))
        assertRoundTrip(.evaluate(parameterCount: 0, tensors: []))
        assertRoundTrip(.evaluation(EvaluationResult(examples: .max, loss: .infinity, accuracy: -0.0)))
        assertRoundTrip(.bye(reason: ""))
        assertRoundTrip(.bye(reason: String(repeating: "x", count: 4096)))
        assertRoundTrip(.error(code: .max, message: "ünïcödé ✓"))
        // Header fields at their extremes.
        assertRoundTrip(.heartbeat, header: FrameHeader(kind: .bye, round: .max, sequence: .max, runTag: .max))
    }

    /// A NaN in a Double field: Message equality cannot hold (NaN ≠ NaN), but the bits must.
    func testRoundTripNaNDoubles() throws {
        let payload = Double(bitPattern: 0x7FF8_0000_DEAD_BEEF)
        let m = Message.evaluation(EvaluationResult(examples: 1, loss: payload, accuracy: -.nan))
        let frames = m.frames(header: Self.sampleHeader)
        let (h, decoded) = try Message.decode(frames)
        guard case .evaluation(let r) = decoded else { return XCTFail("decoded \(decoded)") }
        XCTAssertEqual(r.loss.bitPattern, payload.bitPattern)
        XCTAssertEqual(r.accuracy.bitPattern, (-Double.nan).bitPattern)
        XCTAssertEqual(decoded.frames(header: h), frames)
    }

    func testRoundTripFloat32TensorsOfOddShapes() {
        let shapes: [[Int]] = [[], [1], [7], [3, 5], [1, 1, 1], [2, 3, 5, 7], [1, 2, 1, 3, 1, 2, 1, 1], [0], [2, 0, 3]]
        var tensors: [WireTensor] = []
        for (i, shape) in shapes.enumerated() {
            tensors.append(WireTensor(name: "t\(i)/\(shape)", payload: .float32(Self.floats(shape, seed: UInt64(i)))))
        }
        tensors.append(WireTensor(name: "special", payload: .float32(Tensor(shape: [2, 7], scalars: Self.specialFloats))))
        tensors.append(WireTensor(name: "", payload: .float32(Tensor(shape: [1], scalars: [Float(-3)]))))
        let frames = assertRoundTrip(.fit(FitInstruction(user: 1, firstStep: 2, taskKey: 3, wireKey: 4, wireBits: 0, deadlineMillis: 5,
                                                         parameterCount: UInt32(tensors.count - 1), tensors: tensors)))
        // Every value bit-exact, including NaN payloads and signed zeros.
        guard case .fit(let fit)? = try? Message.decode(frames).1 else { return XCTFail("no fit") }
        for (a, b) in zip(fit.tensors, tensors) {
            guard case .float32(let x) = a.payload, case .float32(let y) = b.payload else { return XCTFail("not float32") }
            XCTAssertEqual(x.shape, y.shape)
            XCTAssertEqual(x.dtype, .float32)
            XCTAssertEqual(x.scalars(as: Float.self).map(\.bitPattern), y.scalars(as: Float.self).map(\.bitPattern), a.name)
        }
        assertRoundTrip(.evaluate(parameterCount: 1, tensors: tensors))
    }

    func testRoundTripQuantizedTensors() throws {
        let shapes: [[Int]] = [[], [1], [2], [7], [3, 5], [5, 3], [4, 3, 3], [2, 1, 3, 3], [1, 9], [9, 1]]
        for bits in QuantizedTensor.Bits.allCases {
            var tensors: [WireTensor] = []
            var negatives = 0
            for (i, shape) in shapes.enumerated() {
                let q = Self.quantized(shape, bits: bits, seed: UInt64(100 + i))
                let n = shape.reduce(1, *)
                XCTAssertEqual(q.scales.count, shape.count >= 2 ? shape[0] : 1)
                XCTAssertEqual(q.payload.count, bits == .int8 ? n : (n + 1) / 2)
                negatives += q.integers.filter { $0 < 0 }.count
                tensors.append(WireTensor(name: "q\(i)", payload: .quantized(q)))
            }
            XCTAssertGreaterThan(negatives, 10, "negative quantized values")
            // A zero channel (all-zero values, scale 0) next to a live one.
            let zeroRow = QuantizedTensor.quantize(Tensor(shape: [2, 3], scalars: [Float(0), 0, 0, -1, 2, -3]), bits: bits, key: RandomKey(seed: 9))
            XCTAssertEqual(zeroRow.scales[0], 0)
            tensors.append(WireTensor(name: "zero-row", payload: .quantized(zeroRow)))
            // Mixed with float32 buffers, as an update carries them.
            tensors.append(WireTensor(name: "bn.running_var", payload: .float32(Self.floats([5], seed: 77))))
            let frames = assertRoundTrip(.update(UpdateMessage(user: 4, examples: 32, seconds: 0.125, metrics: ["loss": 2.5], isDelta: true, tensors: tensors)))
            guard case .update(let u) = try Message.decode(frames).1 else { return XCTFail("no update") }
            for (a, b) in zip(u.tensors, tensors) {
                guard case .quantized(let x) = a.payload, case .quantized(let y) = b.payload else { continue }
                XCTAssertEqual(x.bits, bits)
                XCTAssertEqual(x.shape, y.shape)
                XCTAssertEqual(x.scales.map(\.bitPattern), y.scales.map(\.bitPattern))
                XCTAssertEqual(x.payload, y.payload)
                XCTAssertEqual(x.integers, y.integers)
            }
        }
    }

    /// The server's reconstruction of a quantized delta: start + q · scale_c lands within one
    /// quantization step of the client's trained value, and int4 nibbles are low first.
    func testQuantizedDeltaReconstruction() throws {
        let shape = [4, 3, 3]
        let start = Self.floats(shape, seed: 1)
        let trained = Self.floats(shape, seed: 2)
        let s = start.scalars(as: Float.self), t = trained.scalars(as: Float.self)
        let delta = Tensor(shape: shape, scalars: zip(t, s).map { $0 - $1 })
        for bits in QuantizedTensor.Bits.allCases {
            let q = QuantizedTensor.quantize(delta, bits: bits, key: RandomKey(seed: 5).derived("fc"))
            let frames = Message.update(UpdateMessage(user: 0, examples: 1, seconds: 1, metrics: [:], isDelta: true,
                                                      tensors: [WireTensor(name: "fc", payload: .quantized(q))])).frames(header: FrameHeader(kind: .update))
            guard case .update(let u) = try Message.decode(frames).1, case .quantized(let r) = u.tensors[0].payload else { return XCTFail("no update") }
            let ints = r.integers
            XCTAssertTrue(ints.allSatisfy { abs(Int($0)) <= bits.maximum })
            if bits == .int4 {
                for i in 0..<ints.count {
                    let nibble = (r.payload[i / 2] >> (i % 2 == 0 ? 0 : 4)) & 0x0F
                    XCTAssertEqual(Int(nibble), Int(ints[i]) & 0x0F, "element \(i)")
                }
            } else {
                XCTAssertEqual(r.payload, ints.map { UInt8(bitPattern: $0) })
            }
            let per = ints.count / shape[0]
            let deq = r.dequantized().scalars(as: Float.self)
            for i in 0..<ints.count {
                let scale = r.scales[i / per]
                XCTAssertEqual(deq[i].bitPattern, (Float(ints[i]) * scale).bitPattern)
                let rebuilt = s[i] + deq[i]
                XCTAssertLessThanOrEqual(abs(Double(rebuilt) - Double(t[i])), Double(scale) * 1.001 + 1e-5, "element \(i) at \(bits)")
            }
        }
    }

    // MARK: Typed errors

    func testShortAndLongHeader() {
        let header = FrameHeader(kind: .heartbeat).encoded()
        assertDecodeError([], .frameCount(got: 0, expected: "2 or 3"))
        for n in 0..<FrameHeader.size {
            assertDecodeError([Array(header.prefix(n)), []], .truncated(field: "header", offset: 0, needed: 32, available: n))
        }
        assertDecodeError([header + [0], []], .trailingBytes(kind: "header", count: 1))
    }

    func testBadMagicVersionKindFlags() {
        assertDecodeError([Self.rawHeader(magic: Array("FDUT".utf8)), []], .badMagic(found: [0x46, 0x44, 0x55, 0x54]))
        assertDecodeError([Self.rawHeader(magic: [0, 0, 0, 0]), []], .badMagic(found: [0, 0, 0, 0]))
        for v: UInt16 in [0, 2, 0x0100, .max] {
            assertDecodeError([Self.rawHeader(version: v), []], .unsupportedVersion(found: v, supported: 1))
        }
        // The version is checked before the kind, so a future peer with new kinds hears "version".
        assertDecodeError([Self.rawHeader(version: 2, kind: 99), []], .unsupportedVersion(found: 2, supported: 1))
        for k: UInt16 in [0, 11, 0x0800, .max] {
            assertDecodeError([Self.rawHeader(kind: k), []], .unknownKind(k))
        }
        assertDecodeError([Self.rawHeader(flags: 1), []], .invalidField(field: "flags", offset: 12, reason: "reserved bits 1 set"))
        assertDecodeError([Self.rawHeader(flags: 0x8000_0000), []], .invalidField(field: "flags", offset: 12, reason: "reserved bits 2147483648 set"))
        XCTAssertNoThrow(try Message.decode([Self.rawHeader(), []]))
    }

    func testWrongFrameCount() {
        let h = FrameHeader(kind: .heartbeat).encoded()
        assertDecodeError([h], .frameCount(got: 1, expected: "2 for heartbeat"))
        assertDecodeError([h, [], []], .frameCount(got: 3, expected: "2 for heartbeat"))
        let fit = Self.corpus()[3].frames(header: FrameHeader(kind: .fit))
        assertDecodeError(Array(fit.prefix(2)), .frameCount(got: 2, expected: "3 for fit"))
        assertDecodeError(fit + [[]], .frameCount(got: 4, expected: "3 for fit"))
        let ev = Message.evaluate(parameterCount: 0, tensors: []).frames(header: FrameHeader(kind: .evaluate))
        assertDecodeError([ev[0]], .frameCount(got: 1, expected: "3 for evaluate"))
        let bye = Message.bye(reason: "x").frames(header: FrameHeader(kind: .bye))
        assertDecodeError(bye + [WireTensors.encode([])], .frameCount(got: 3, expected: "2 for bye"))
    }

    /// Every strict prefix of every frame of every corpus message throws `truncated`, with an offset
    /// and an available count that add up to the cut.
    func testTruncationAtEveryCut() {
        var cuts = 0
        for message in Self.corpus() {
            let frames = message.frames(header: Self.sampleHeader)
            for f in 0..<frames.count {
                for cut in 0..<frames[f].count {
                    var mutated = frames
                    mutated[f] = Array(frames[f].prefix(cut))
                    cuts += 1
                    do {
                        _ = try Message.decode(mutated)
                        XCTFail("\(message.kind) frame \(f) cut at \(cut) decoded")
                    } catch ProtocolError.truncated(_, let offset, let needed, let available) {
                        XCTAssertEqual(offset + available, cut, "\(message.kind) frame \(f) cut at \(cut)")
                        XCTAssertGreaterThan(needed, available)
                    } catch {
                        XCTFail("\(message.kind) frame \(f) cut at \(cut): \(error)")
                    }
                }
            }
        }
        XCTAssertGreaterThan(cuts, 1_500)
    }

    func testTrailingBytes() {
        for message in Self.corpus() {
            var frames = message.frames(header: Self.sampleHeader)
            frames[1].append(0)
            assertDecodeError(frames, .trailingBytes(kind: message.kind.description, count: 1))
            if frames.count == 3 {
                var t = message.frames(header: Self.sampleHeader)
                t[2] += [1, 2, 3]
                assertDecodeError(t, .trailingBytes(kind: "tensor frame", count: 3))
            }
        }
    }

    func testInvalidUTF8() {
        let bad: [[UInt8]] = [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0x61, 0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]]
        for b in bad {
            var w = ByteWriter()
            w.u32(UInt32(b.count)); w.raw(b); w.i32(0); w.string("sw"); w.u32(0); w.u64(0)
            assertDecodeError(Self.rawFrames(.hello, w.bytes), .invalidField(field: "hello.name", offset: 0, reason: "not valid UTF-8"))
            var s = ByteWriter()
            s.string("ok"); s.i32(0); s.u32(UInt32(b.count)); s.raw(b); s.u32(0); s.u64(0)
            assertDecodeError(Self.rawFrames(.hello, s.bytes), .invalidField(field: "hello.software", offset: 10, reason: "not valid UTF-8"))
            var m = ByteWriter()
            m.i32(0); m.u64(0); m.f64(0); m.u8(0); m.u32(1); m.u32(UInt32(b.count)); m.raw(b); m.f64(1)
            assertDecodeError(Self.rawFrames(.update, m.bytes, tensors: WireTensors.encode([])),
                              .invalidField(field: "update.metric[0].name", offset: 25, reason: "not valid UTF-8"))
            let t = Self.tensorFrame([Self.rawTensor(name: b, encoding: 1, extents: [], rest: [0, 0, 0, 0])])
            var e = ByteWriter()
            e.u32(0)
            assertDecodeError(Self.rawFrames(.evaluate, e.bytes, tensors: t), .invalidField(field: "tensor[0].name", offset: 4, reason: "not valid UTF-8"))
        }
    }

    func testStringLimits() {
        func hello(name: Int, software: Int) -> [UInt8] {
            var w = ByteWriter()
            w.string(String(repeating: "a", count: name)); w.i32(0); w.string(String(repeating: "b", count: software)); w.u32(0); w.u64(0)
            return w.bytes
        }
        XCTAssertNoThrow(try Message.decode(Self.rawFrames(.hello, hello(name: 256, software: 256))))
        assertDecodeError(Self.rawFrames(.hello, hello(name: 257, software: 0)), .limitExceeded(field: "hello.name.length", value: 257, limit: 256))
        assertDecodeError(Self.rawFrames(.hello, hello(name: 0, software: 257)), .limitExceeded(field: "hello.software.length", value: 257, limit: 256))
        var huge = ByteWriter()
        huge.u32(.max)
        assertDecodeError(Self.rawFrames(.bye, huge.bytes), .limitExceeded(field: "bye.reason.length", value: Int(UInt32.max), limit: 4096))
        var w = ByteWriter()
        w.u32(1); w.string(String(repeating: "r", count: 1025)); w.string(""); w.u32(0)
        assertDecodeError(Self.rawFrames(.welcome, w.bytes), .limitExceeded(field: "welcome.run_id.length", value: 1025, limit: 1024))
        var c = ByteWriter()
        c.u32(1); c.string("r"); c.u32((1 << 20) + 1)
        assertDecodeError(Self.rawFrames(.welcome, c.bytes), .limitExceeded(field: "welcome.config.length", value: (1 << 20) + 1, limit: 1 << 20))
        var r = ByteWriter()
        r.u16(1); r.u32(4097)
        assertDecodeError(Self.rawFrames(.reject, r.bytes), .limitExceeded(field: "reject.reason.length", value: 4097, limit: 4096))
        var e = ByteWriter()
        e.u16(1); e.u32(4097)
        assertDecodeError(Self.rawFrames(.error, e.bytes), .limitExceeded(field: "error.message.length", value: 4097, limit: 4096))
        var m = ByteWriter()
        m.i32(0); m.u64(0); m.f64(0); m.u8(0); m.u32(1); m.string(String(repeating: "k", count: 257)); m.f64(0)
        assertDecodeError(Self.rawFrames(.update, m.bytes, tensors: WireTensors.encode([])),
                          .limitExceeded(field: "update.metric[0].name.length", value: 257, limit: 256))
        let t = Self.tensorFrame([Self.rawTensor(name: Array(repeating: 0x61, count: 1025), encoding: 1, extents: [], rest: [0, 0, 0, 0])])
        assertDecodeError(Self.rawFrames(.evaluate, [0, 0, 0, 0], tensors: t), .limitExceeded(field: "tensor[0].name.length", value: 1025, limit: 1024))
    }

    func testInvalidBodyFields() {
        var r = ByteWriter()
        r.u16(8); r.string("?")
        assertDecodeError(Self.rawFrames(.reject, r.bytes), .invalidField(field: "reject.code", offset: 0, reason: "unknown code 8"))
        var r0 = ByteWriter()
        r0.u16(0); r0.string("?")
        assertDecodeError(Self.rawFrames(.reject, r0.bytes), .invalidField(field: "reject.code", offset: 0, reason: "unknown code 0"))

        func fit(bits: UInt8, count: UInt32) -> [UInt8] {
            var w = ByteWriter()
            w.i32(1); w.u64(2); w.u64(3); w.u64(4); w.u8(bits); w.u32(5); w.u32(count)
            return w.bytes
        }
        let two = WireTensors.encode([WireTensor(name: "a", payload: .float32(Self.floats([2], seed: 1))),
                                      WireTensor(name: "b", payload: .float32(Self.floats([1], seed: 2)))])
        XCTAssertEqual(fit(bits: 0, count: 0).count, 37)
        for bits: UInt8 in [0, 4, 8] { XCTAssertNoThrow(try Message.decode(Self.rawFrames(.fit, fit(bits: bits, count: 2), tensors: two))) }
        for bits: UInt8 in [1, 2, 3, 5, 16, 255] {
            assertDecodeError(Self.rawFrames(.fit, fit(bits: bits, count: 0), tensors: two),
                              .invalidField(field: "fit.wire_bits", offset: 28, reason: "\(bits) (expected 0, 4 or 8)"))
        }
        assertDecodeError(Self.rawFrames(.fit, fit(bits: 0, count: 3), tensors: two),
                          .invalidField(field: "fit.parameter_count", offset: 33, reason: "3 parameters but 2 tensors"))
        assertDecodeError(Self.rawFrames(.evaluate, [3, 0, 0, 0], tensors: two),
                          .invalidField(field: "evaluate.parameter_count", offset: 0, reason: "3 parameters but 2 tensors"))
        var u = ByteWriter()
        u.i32(0); u.u64(0); u.f64(0); u.u8(2); u.u32(0)
        assertDecodeError(Self.rawFrames(.update, u.bytes, tensors: two), .invalidField(field: "update.is_delta", offset: 20, reason: "2 (expected 0 or 1)"))
    }

    func testTooManyMetrics() {
        func update(count: UInt32, entries: Int) -> [[UInt8]] {
            var w = ByteWriter()
            w.i32(0); w.u64(0); w.f64(0); w.u8(0); w.u32(count)
            for i in 0..<entries { w.string("m\(i)"); w.f64(Double(i)) }
            return Self.rawFrames(.update, w.bytes, tensors: WireTensors.encode([]))
        }
        XCTAssertNoThrow(try Message.decode(update(count: 256, entries: 256)))
        assertDecodeError(update(count: 257, entries: 257), .limitExceeded(field: "update.metric_count", value: 257, limit: 256))
        assertDecodeError(update(count: .max, entries: 0), .limitExceeded(field: "update.metric_count", value: Int(UInt32.max), limit: 256))
        // The encoder does not enforce the limit: a 257-metric update encodes but does not decode.
        var metrics: [String: Double] = [:]
        for i in 0..<257 { metrics["m\(i)"] = 1 }
        let frames = Message.update(UpdateMessage(user: 0, examples: 0, seconds: 0, metrics: metrics, isDelta: false, tensors: [])).frames(header: FrameHeader(kind: .update))
        assertDecodeError(frames, .limitExceeded(field: "update.metric_count", value: 257, limit: 256))
    }

    func testTensorExtentsOverflowAndLimits() {
        // maxScalars is capped at 2^60 so that byte counts (4 · n) cannot overflow.
        let unlimited = WireLimits(maxBody: 1 << 20, maxTensorFrame: 1 << 30, maxScalars: .max)
        XCTAssertEqual(unlimited.maxScalars, 1 << 60)
        func frames(_ extents: [UInt64], encoding: UInt8 = 1) -> [[UInt8]] {
            Self.rawFrames(.evaluate, [0, 0, 0, 0], tensors: Self.tensorFrame([Self.rawTensor(encoding: encoding, extents: extents, rest: [])]))
        }
        // Products that overflow Int, and extents beyond the cap.
        for encoding: UInt8 in [1, 2, 3] {
            assertDecodeError(frames([1 << 32, 1 << 32], encoding: encoding), limits: unlimited,
                              .limitExceeded(field: "tensor[0].element_count", value: .max, limit: 1 << 60))
            assertDecodeError(frames([1 << 31, 1 << 30], encoding: encoding), limits: unlimited,
                              .limitExceeded(field: "tensor[0].element_count", value: 1 << 61, limit: 1 << 60))
            assertDecodeError(frames([3, 1 << 62, 4], encoding: encoding), limits: unlimited,
                              .limitExceeded(field: "tensor[0].shape[1]", value: 1 << 62, limit: 1 << 60))
            assertDecodeError(frames([UInt64(Int.max), 2], encoding: encoding), limits: unlimited,
                              .limitExceeded(field: "tensor[0].shape[0]", value: .max, limit: 1 << 60))
            assertDecodeError(frames([2, .max], encoding: encoding), limits: unlimited,
                              .limitExceeded(field: "tensor[0].shape[1]", value: .max, limit: 1 << 60))
            assertDecodeError(frames([.max]), .limitExceeded(field: "tensor[0].shape[0]", value: .max, limit: 1 << 28))
            assertDecodeError(frames([1 << 32, 1 << 32], encoding: encoding), .limitExceeded(field: "tensor[0].shape[0]", value: 1 << 32, limit: 1 << 28))
            assertDecodeError(frames([1 << 20, 1 << 20], encoding: encoding), .limitExceeded(field: "tensor[0].element_count", value: 1 << 40, limit: 1 << 28))
            assertDecodeError(frames(Array(repeating: 1 << 14, count: 8), encoding: encoding),
                              .limitExceeded(field: "tensor[0].element_count", value: 1 << 42, limit: 1 << 28))
        }
        // A zero extent stops the product from overflowing: the tensor is empty.
        XCTAssertNoThrow(try Message.decode(frames([0, 1 << 28, 1 << 28, 1 << 28])))
        // maxScalars from the limits.
        let small = WireLimits(maxBody: 1 << 20, maxTensorFrame: 1 << 30, maxScalars: 10)
        assertDecodeError(frames([11]), limits: small, .limitExceeded(field: "tensor[0].shape[0]", value: 11, limit: 10))
        assertDecodeError(frames([4, 3]), limits: small, .limitExceeded(field: "tensor[0].element_count", value: 12, limit: 10))
        // Rank, tensor count, encoding.
        assertDecodeError(frames(Array(repeating: 1, count: 9)), .limitExceeded(field: "tensor[0].rank", value: 9, limit: 8))
        var many = ByteWriter()
        many.u32(65_537)
        assertDecodeError(Self.rawFrames(.evaluate, [0, 0, 0, 0], tensors: many.bytes), .limitExceeded(field: "tensor_count", value: 65_537, limit: 65_536))
        for enc: UInt8 in [0, 4, 255] {
            assertDecodeError(frames([1], encoding: enc), .invalidField(field: "tensor[0].encoding", offset: 9, reason: "unknown encoding \(enc)"))
        }
        // Frame size limits.
        let tiny = WireLimits(maxBody: 3, maxTensorFrame: 8, maxScalars: 1 << 28)
        assertDecodeError(Self.rawFrames(.evaluate, [0, 0, 0, 0], tensors: WireTensors.encode([])), limits: tiny, .limitExceeded(field: "body", value: 4, limit: 3))
        let t = WireTensors.encode([WireTensor(name: "a", payload: .float32(Self.floats([1], seed: 1)))])
        assertDecodeError(Self.rawFrames(.fit, Array(repeating: 0, count: 37), tensors: t), limits: WireLimits(maxTensorFrame: t.count - 1),
                          .limitExceeded(field: "tensor frame", value: t.count, limit: t.count - 1))
        XCTAssertNoThrow(try Message.decode(Self.rawFrames(.fit, Array(repeating: 0, count: 37), tensors: t), limits: WireLimits(maxTensorFrame: t.count)))
    }

    func testFloat32ByteCountMismatch() {
        func frames(_ extents: [UInt64], bytes: Int) -> [[UInt8]] {
            Self.rawFrames(.evaluate, [0, 0, 0, 0], tensors: Self.tensorFrame([Self.rawTensor(encoding: 1, extents: extents, rest: Array(repeating: 0x3F, count: bytes))]))
        }
        XCTAssertNoThrow(try Message.decode(frames([3], bytes: 12)))
        assertDecodeError(frames([3], bytes: 8), .truncated(field: "tensor[0].values", offset: 19, needed: 12, available: 8))
        assertDecodeError(frames([3], bytes: 11), .truncated(field: "tensor[0].values", offset: 19, needed: 12, available: 11))
        assertDecodeError(frames([3], bytes: 13), .trailingBytes(kind: "tensor frame", count: 1))
        assertDecodeError(frames([3], bytes: 16), .trailingBytes(kind: "tensor frame", count: 4))
        assertDecodeError(frames([2, 3], bytes: 20), .truncated(field: "tensor[0].values", offset: 27, needed: 24, available: 20))
        assertDecodeError(frames([], bytes: 0), .truncated(field: "tensor[0].values", offset: 11, needed: 4, available: 0))
        assertDecodeError(frames([0], bytes: 4), .trailingBytes(kind: "tensor frame", count: 4))
    }

    func testQuantizedPayloadErrors() {
        /// A quantized tensor of `extents` with `scales` and a payload of `payload` bytes (declared length `declared`).
        func frames(_ encoding: UInt8, _ extents: [UInt64], scales: [Float], payload: Int, declared: UInt64? = nil) -> [[UInt8]] {
            var w = ByteWriter()
            w.u32(UInt32(scales.count))
            for s in scales { w.f32(s) }
            w.u64(declared ?? UInt64(payload))
            w.raw(Array(repeating: 0x11, count: payload))
            return Self.rawFrames(.evaluate, [0, 0, 0, 0], tensors: Self.tensorFrame([Self.rawTensor(encoding: encoding, extents: extents, rest: w.bytes)]))
        }
        func isInvalidTensor(_ offset: Int) -> (ProtocolError) -> Bool {
            { if case .invalidField("tensor[0]", offset, _) = $0 { return true } else { return false } }
        }
        // int4 [5]: 3 bytes. Payload length field at 4 + 5 + 2 + 8 + 4 + 4 = 27.
        XCTAssertNoThrow(try Message.decode(frames(3, [5], scales: [0.5], payload: 3)))
        for n in [0, 1, 2, 4, 5, 6] {
            assertDecodeError(frames(3, [5], scales: [0.5], payload: n), where: isInvalidTensor(27))
        }
        assertDecodeError(frames(3, [5], scales: [0.5], payload: 7), .limitExceeded(field: "tensor[0].payload.length", value: 7, limit: 6))
        assertDecodeError(frames(3, [5], scales: [0.5], payload: 3, declared: .max), .limitExceeded(field: "tensor[0].payload.length", value: .max, limit: 6))
        assertDecodeError(frames(3, [5], scales: [0.5], payload: 2, declared: 3), .truncated(field: "tensor[0].payload", offset: 35, needed: 3, available: 2))
        // int4 [4]: 2 bytes; int8 [5]: 5 bytes.
        XCTAssertNoThrow(try Message.decode(frames(3, [4], scales: [1], payload: 2)))
        assertDecodeError(frames(3, [4], scales: [1], payload: 3), where: isInvalidTensor(27))
        XCTAssertNoThrow(try Message.decode(frames(2, [5], scales: [1], payload: 5)))
        assertDecodeError(frames(2, [5], scales: [1], payload: 3), where: isInvalidTensor(27))
        assertDecodeError(frames(2, [5], scales: [1], payload: 6), where: isInvalidTensor(27))
        // Scales: one per row of dimension 0 for rank ≥ 2, one for rank < 2; finite and ≥ 0.
        XCTAssertNoThrow(try Message.decode(frames(2, [3, 2], scales: [1, 2, 0], payload: 6)))
        assertDecodeError(frames(2, [3, 2], scales: [1, 2], payload: 6), where: isInvalidTensor(39))
        assertDecodeError(frames(2, [3, 2], scales: [1, 2, 3, 4], payload: 6), .limitExceeded(field: "tensor[0].scale_count", value: 4, limit: 3))
        assertDecodeError(frames(2, [3, 2], scales: Array(repeating: 1, count: 7), payload: 6), .limitExceeded(field: "tensor[0].scale_count", value: 7, limit: 3))
        // An empty rank-2 tensor still has one scale per row.
        XCTAssertNoThrow(try Message.decode(frames(2, [5, 0], scales: [1, 1, 1, 1, 1], payload: 0)))
        assertDecodeError(frames(2, [], scales: [1, 1], payload: 1), .limitExceeded(field: "tensor[0].scale_count", value: 2, limit: 1))
        assertDecodeError(frames(2, [], scales: [], payload: 1), where: isInvalidTensor(15))
        for bad: Float in [-1, -.leastNonzeroMagnitude, .nan, .infinity, -.infinity] {
            assertDecodeError(frames(2, [2], scales: [bad], payload: 2), where: isInvalidTensor(27))
        }
        assertDecodeError(frames(2, [2], scales: [], payload: 0, declared: nil), where: isInvalidTensor(23))
    }

    // MARK: Fuzz

    /// 120,000 hostile messages, from random generation and from mutations of valid ones: decode
    /// must return or throw a ProtocolError, never trap; whatever it accepts must re-encode to a
    /// canonical form that decodes to the same bytes again.
    func testFuzzDecoder() {
        var rng = SplitMix64(seed: 0xF0ED_05F0_ED05)
        let corpus = Self.corpus().map { $0.frames(header: Self.sampleHeader) }
        let limits = [WireLimits(), WireLimits(maxBody: 64, maxTensorFrame: 4096, maxScalars: 64)]
        let interesting32: [UInt32] = [0, 1, 2, 3, 4, 7, 8, 9, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, .max]
        let interesting64: [UInt64] = [0, 1, 2, 4, 8, 0xFFFF_FFFF, 1 << 32, 1 << 28, (1 << 28) + 1, 1 << 62, 1 << 63, UInt64(Int.max), .max - 1, .max]
        var accepted = 0, total = 0
        var rejected: [String: Int] = [:]
        let t0 = Date()

        func mutate(_ input: [[UInt8]], _ rng: inout SplitMix64) -> [[UInt8]] {
            var frames = input
            for _ in 0...rng.below(3) {
                if frames.isEmpty { frames = [[]] }
                let f = rng.chance(15) ? 0 : min(frames.count - 1, 1 + rng.below(max(frames.count - 1, 1)))
                var b = frames[f]
                switch rng.below(11) {
                case 0: // bit flips
                    for _ in 0...rng.below(4) where !b.isEmpty { b[rng.below(b.count)] ^= 1 << UInt8(rng.below(8)) }
                case 1: // byte insertion
                    for _ in 0...rng.below(3) { b.insert(rng.byte(), at: rng.below(b.count + 1)) }
                case 2: // byte deletion
                    for _ in 0...rng.below(3) where !b.isEmpty { b.remove(at: rng.below(b.count)) }
                case 3: // truncation
                    b = Array(b.prefix(rng.below(b.count + 1)))
                case 4: // length or count field corruption: an interesting u32 at a random offset
                    if b.count >= 4 {
                        let at = rng.below(b.count - 3), v = interesting32[rng.below(interesting32.count)]
                        for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
                    }
                case 5: // extent or blob length corruption: an interesting u64
                    if b.count >= 8 {
                        let at = rng.below(b.count - 7), v = interesting64[rng.below(interesting64.count)]
                        for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
                    }
                case 6: // a small length adjusted by ±1 at a random offset
                    if b.count >= 4 {
                        let at = rng.below(b.count - 3)
                        let v = UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
                        let w = rng.chance(50) ? v &+ 1 : v &- 1
                        for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: w >> (8 * UInt32(i))) }
                    }
                case 7: // frame splitting
                    let cut = rng.below(b.count + 1)
                    frames[f] = Array(b[..<cut])
                    frames.insert(Array(b[cut...]), at: f + 1)
                    continue
                case 8: // frame joining
                    if f + 1 < frames.count {
                        frames[f] = b + frames[f + 1]
                        frames.remove(at: f + 1)
                    } else if f > 0 {
                        frames[f - 1] += b
                        frames.remove(at: f)
                    }
                    continue
                case 9: // frame dropped or added
                    if rng.chance(50) { frames.remove(at: f) } else { frames.insert(rng.bytes(rng.below(12)), at: rng.below(frames.count + 1)) }
                    continue
                default: // header kind/version rewritten, or a body from another message
                    if rng.chance(50), frames[0].count >= 8 {
                        frames[0][6] = UInt8(rng.below(12)); frames[0][7] = rng.chance(90) ? 0 : rng.byte()
                        if rng.chance(20) { frames[0][4] = UInt8(rng.below(3)) }
                        continue
                    } else {
                        let other = corpus[rng.below(corpus.count)]
                        b = other[min(f, other.count - 1)]
                    }
                }
                frames[f] = b
            }
            return frames
        }

        func generate(_ rng: inout SplitMix64) -> [[UInt8]] {
            var frames: [[UInt8]] = []
            let count = rng.below(5)
            for i in 0..<count {
                if i == 0 && rng.chance(80) {
                    var h = FrameHeader(kind: MessageKind(rawValue: UInt16(1 + rng.below(10)))!, round: UInt32(truncatingIfNeeded: rng.next()),
                                        sequence: rng.next(), runTag: rng.next()).encoded()
                    if rng.chance(10) { h[rng.below(h.count)] = rng.byte() }
                    frames.append(h)
                } else if i == 2 && rng.chance(70) {
                    // A tensor frame with a plausible skeleton and random contents.
                    var w = ByteWriter()
                    let n = rng.below(3)
                    w.u32(UInt32(n))
                    for _ in 0..<n {
                        w.string(rng.chance(90) ? "t" : String(decoding: rng.bytes(rng.below(4)), as: UTF8.self))
                        w.u8(UInt8(rng.below(5)))
                        let rank = rng.below(4)
                        w.u8(UInt8(rank))
                        for _ in 0..<rank { w.u64(rng.chance(80) ? UInt64(rng.below(4)) : interesting64[rng.below(interesting64.count)]) }
                        w.raw(rng.bytes(rng.below(40)))
                    }
                    frames.append(w.bytes)
                } else {
                    frames.append(rng.bytes(rng.below(i == 0 ? 40 : 80)))
                }
            }
            return frames
        }

        for iteration in 0..<120_000 {
            let frames = iteration % 5 == 0 ? generate(&rng) : mutate(corpus[rng.below(corpus.count)], &rng)
            total += 1
            do {
                let (h, m) = try Message.decode(frames, limits: limits[iteration % 7 == 0 ? 1 : 0])
                accepted += 1
                let canonical = m.frames(header: h)
                let (h2, m2) = try Message.decode(canonical)
                XCTAssertEqual(m2.frames(header: h2), canonical, "iteration \(iteration): re-encoding is not stable")
            } catch let e as ProtocolError {
                let name = "\(e)".split(separator: " ").prefix(2).joined(separator: " ")
                switch e {
                case .frameCount: rejected["frameCount", default: 0] += 1
                case .truncated: rejected["truncated", default: 0] += 1
                case .badMagic: rejected["badMagic", default: 0] += 1
                case .unsupportedVersion: rejected["unsupportedVersion", default: 0] += 1
                case .unknownKind: rejected["unknownKind", default: 0] += 1
                case .limitExceeded: rejected["limitExceeded", default: 0] += 1
                case .invalidField: rejected["invalidField", default: 0] += 1
                case .trailingBytes: rejected["trailingBytes", default: 0] += 1
                default: XCTFail("iteration \(iteration): the decoder reported \(name) (\(e)), which is not a decoding error")
                }
            } catch {
                XCTFail("iteration \(iteration): non-protocol error \(error)")
            }
        }
        let seconds = Date().timeIntervalSince(t0)
        print("fuzz: \(total) messages in \(String(format: "%.2f", seconds)) s, \(accepted) accepted, rejected \(rejected.sorted { $0.key < $1.key })")
        XCTAssertEqual(total, 120_000)
        // The fuzzer must reach both sides of the decoder and every error it can report.
        XCTAssertGreaterThan(accepted, 1_000)
        for kind in ["frameCount", "truncated", "badMagic", "unsupportedVersion", "unknownKind", "limitExceeded", "invalidField", "trailingBytes"] {
            XCTAssertGreaterThan(rejected[kind, default: 0], 50, "the fuzzer rarely produces \(kind)")
        }
        XCTAssertLessThan(seconds, 30, "the fuzz test must stay well under 30 s")
    }
}
