import FoedusQuant
import FoedusTensor

/// A named tensor as it travels: float32 values, or an int8/int4 per-channel quantized tensor.
public struct WireTensor: Sendable, Equatable {
    public enum Payload: Sendable, Equatable {
        case float32(Tensor)
        case quantized(QuantizedTensor)

        /// Bitwise equality (NaN payloads compare by bit pattern).
        public static func == (a: Payload, b: Payload) -> Bool {
            switch (a, b) {
            case (.float32(let x), .float32(let y)):
                return x.shape == y.shape && x.dtype == y.dtype && x.scalars(as: Float.self).map(\.bitPattern) == y.scalars(as: Float.self).map(\.bitPattern)
            case (.quantized(let x), .quantized(let y)): return x == y
            default: return false
            }
        }
    }

    public var name: String
    public var payload: Payload

    public init(name: String, payload: Payload) {
        self.name = name
        self.payload = payload
    }

    public var shape: [Int] {
        switch payload {
        case .float32(let t): return t.shape
        case .quantized(let q): return q.shape
        }
    }
}

/// Encodes and decodes the tensor frame (`docs/PROTOCOL.md`, "Tensor frame"):
/// u32 count, then per tensor: string name, u8 encoding (1 float32, 2 int8, 3 int4), u8 rank,
/// rank × u64 extents, then the values (float32: 4·n bytes; quantized: u32 scale count,
/// scales as float32, u64 payload length, payload).
public enum WireTensors {
    public static let maxTensors = 65_536
    public static let maxRank = 8
    public static let maxNameBytes = 1024

    enum Encoding: UInt8 { case float32 = 1, int8 = 2, int4 = 3 }

    /// Float32 tensors of a parameter set (other dtypes are converted to float32).
    public static func from(_ set: ParameterSet) -> [WireTensor] {
        set.pairs.map { WireTensor(name: $0.0, payload: .float32($0.1.dtype == .float32 ? $0.1 : $0.1.cast(to: .float32))) }
    }

    public static func encode(_ tensors: [WireTensor]) -> [UInt8] {
        var size = 4
        for t in tensors {
            size += 16 + t.name.utf8.count + 8 * t.shape.count
            switch t.payload {
            case .float32(let x): size += 4 * x.scalarCount
            case .quantized(let q): size += 12 + q.byteCount
            }
        }
        var w = ByteWriter(capacity: size)
        w.u32(UInt32(tensors.count))
        for t in tensors {
            w.string(t.name)
            switch t.payload {
            case .float32(let x):
                w.u8(Encoding.float32.rawValue)
                w.u8(UInt8(x.rank))
                for d in x.shape { w.u64(UInt64(d)) }
                x.withUnsafeBufferPointer(as: Float.self) { p in
                    // Little-endian hosts only (x86-64, arm64): the bytes are the float32 values.
                    w.raw(UnsafeRawBufferPointer(p))
                }
            case .quantized(let q):
                w.u8(q.bits == .int8 ? Encoding.int8.rawValue : Encoding.int4.rawValue)
                w.u8(UInt8(q.shape.count))
                for d in q.shape { w.u64(UInt64(d)) }
                w.u32(UInt32(q.scales.count))
                for s in q.scales { w.f32(s) }
                w.blob(q.payload)
            }
        }
        return w.bytes
    }

    /// Decodes a tensor frame; every count, extent and length is checked against what is left.
    /// - Parameter maxScalars: the largest element count accepted for one tensor.
    public static func decode(_ frame: [UInt8], frameOffset: Int = 0, maxScalars: Int = 1 << 28) throws -> [WireTensor] {
        var r = ByteReader(frame)
        let count = Int(try r.u32("tensor_count"))
        guard count <= maxTensors else { throw ProtocolError.limitExceeded(field: "tensor_count", value: count, limit: maxTensors) }
        var out: [WireTensor] = []
        out.reserveCapacity(min(count, 1024))
        for i in 0..<count {
            let field = "tensor[\(i)]"
            let name = try r.string(field + ".name", limit: maxNameBytes)
            let encodingAt = r.offset
            let rawEncoding = try r.u8(field + ".encoding")
            guard let encoding = Encoding(rawValue: rawEncoding) else {
                throw ProtocolError.invalidField(field: field + ".encoding", offset: encodingAt, reason: "unknown encoding \(rawEncoding)")
            }
            let rank = Int(try r.u8(field + ".rank"))
            guard rank <= maxRank else { throw ProtocolError.limitExceeded(field: field + ".rank", value: rank, limit: maxRank) }
            var shape: [Int] = []
            var n = 1
            for d in 0..<rank {
                let extent = try r.u64(field + ".shape[\(d)]")
                guard extent <= UInt64(maxScalars) else {
                    throw ProtocolError.limitExceeded(field: field + ".shape[\(d)]", value: Int(clamping: extent), limit: maxScalars)
                }
                let (product, overflow) = n.multipliedReportingOverflow(by: Int(extent))
                guard !overflow, product <= maxScalars else {
                    throw ProtocolError.limitExceeded(field: field + ".element_count", value: overflow ? Int.max : product, limit: maxScalars)
                }
                n = product
                shape.append(Int(extent))
            }
            switch encoding {
            case .float32:
                guard n <= r.remaining / 4 else {
                    throw ProtocolError.truncated(field: field + ".values", offset: frameOffset + r.offset, needed: n > Int.max / 4 ? Int.max : 4 * n, available: r.remaining)
                }
                let bytes = try r.raw(4 * n, field + ".values")
                var values = [Float](repeating: 0, count: n)
                values.withUnsafeMutableBytes { dst in bytes.withUnsafeBytes { dst.copyMemory(from: $0) } }
                out.append(WireTensor(name: name, payload: .float32(Tensor(shape: shape, scalars: values))))
            case .int8, .int4:
                let scaleCount = Int(try r.u32(field + ".scale_count"))
                let channels = rank >= 2 ? shape[0] : 1
                guard scaleCount <= channels else { throw ProtocolError.limitExceeded(field: field + ".scale_count", value: scaleCount, limit: channels) }
                let scaleBytes = try r.raw(4 * scaleCount, field + ".scales")
                var scales = [Float](repeating: 0, count: scaleCount)
                scales.withUnsafeMutableBytes { dst in scaleBytes.withUnsafeBytes { dst.copyMemory(from: $0) } }
                let payloadAt = r.offset
                let payload = try r.blob(field + ".payload", limit: n + 1)
                let bits: QuantizedTensor.Bits = encoding == .int8 ? .int8 : .int4
                guard let q = QuantizedTensor(validatingShape: shape, bits: bits, scales: scales, payload: payload) else {
                    throw ProtocolError.invalidField(field: field, offset: frameOffset + payloadAt,
                                                     reason: "scales (\(scaleCount)) or payload (\(payload.count) bytes) do not fit shape \(shape) at \(bits.rawValue) bits, or a scale is negative or not finite")
                }
                out.append(WireTensor(name: name, payload: .quantized(q)))
            }
        }
        try r.expectEnd("tensor frame")
        return out
    }

    /// Converts wire tensors into a parameter set checked against `template` (same names in the same
    /// order, same shapes), rejecting NaN and infinity.
    /// - Parameter allowQuantized: accept int8/int4 tensors (a quantized downlink) and dequantize them.
    public static func parameterSet(_ tensors: [WireTensor], matching template: ParameterSet, what: String, allowQuantized: Bool = false) throws -> ParameterSet {
        guard tensors.count == template.count else {
            throw ProtocolError.modelMismatch("\(what): \(tensors.count) tensors, the model has \(template.count)")
        }
        var values: [Tensor] = []
        for (t, (name, expected)) in zip(tensors, template.pairs) {
            guard t.name == name else { throw ProtocolError.modelMismatch("\(what): tensor \(t.name) where the model has \(name)") }
            guard t.shape == expected.shape else {
                throw ProtocolError.modelMismatch("\(what): \(name) has shape \(t.shape), the model's is \(expected.shape)")
            }
            let x: Tensor
            switch t.payload {
            case .float32(let value): x = value
            case .quantized(let q):
                // A quantized downlink: the receiver trains from the dequantized values.
                guard allowQuantized else { throw ProtocolError.modelMismatch("\(what): \(name) is quantized where float32 is required") }
                x = q.dequantized()
            }
            let finite = x.withUnsafeBufferPointer(as: Float.self) { $0.allSatisfy(\.isFinite) }
            guard finite else { throw ProtocolError.nonFinite(tensor: name) }
            values.append(x.dtype == expected.dtype ? x : x.cast(to: expected.dtype))
        }
        return template.replacingTensors(values)
    }
}
