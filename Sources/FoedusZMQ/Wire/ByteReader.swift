/// Reads little-endian fields from hostile bytes: every read is bounds-checked and reports the
/// field and byte offset it failed at.
public struct ByteReader {
    public let bytes: [UInt8]
    /// Offset of the next unread byte.
    public private(set) var offset: Int
    /// Added to offsets in errors (the position of this buffer inside a larger frame).
    let base: Int

    public init(_ bytes: [UInt8], base: Int = 0) {
        self.bytes = bytes
        offset = 0
        self.base = base
    }

    public var remaining: Int { bytes.count - offset }

    mutating func take(_ n: Int, _ field: String) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else {
            throw ProtocolError.truncated(field: field, offset: base + offset, needed: n, available: remaining)
        }
        defer { offset += n }
        return bytes[offset ..< offset + n]
    }

    mutating func integer<T: FixedWidthInteger>(_ field: String, as type: T.Type) throws -> T {
        let slice = try take(MemoryLayout<T>.size, field)
        var v: T = 0
        for (i, b) in slice.enumerated() { v |= T(truncatingIfNeeded: b) << (8 * i) }
        return v
    }

    public mutating func u8(_ field: String) throws -> UInt8 { try integer(field, as: UInt8.self) }
    public mutating func u16(_ field: String) throws -> UInt16 { try integer(field, as: UInt16.self) }
    public mutating func u32(_ field: String) throws -> UInt32 { try integer(field, as: UInt32.self) }
    public mutating func u64(_ field: String) throws -> UInt64 { try integer(field, as: UInt64.self) }
    public mutating func i32(_ field: String) throws -> Int32 { Int32(bitPattern: try u32(field)) }
    public mutating func i64(_ field: String) throws -> Int64 { Int64(bitPattern: try u64(field)) }
    public mutating func f64(_ field: String) throws -> Double { Double(bitPattern: try u64(field)) }
    public mutating func f32(_ field: String) throws -> Float { Float(bitPattern: try u32(field)) }

    /// A u32-length-prefixed UTF-8 string of at most `limit` bytes.
    public mutating func string(_ field: String, limit: Int = 1 << 16) throws -> String {
        let at = base + offset
        let n = Int(try u32(field + ".length"))
        guard n <= limit else { throw ProtocolError.limitExceeded(field: field + ".length", value: n, limit: limit) }
        let slice = try take(n, field)
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw ProtocolError.invalidField(field: field, offset: at, reason: "not valid UTF-8")
        }
        return s
    }

    /// A u64-length-prefixed byte blob of at most `limit` bytes.
    public mutating func blob(_ field: String, limit: Int) throws -> [UInt8] {
        let n = try u64(field + ".length")
        guard n <= UInt64(limit) else { throw ProtocolError.limitExceeded(field: field + ".length", value: Int(clamping: n), limit: limit) }
        return Array(try take(Int(n), field))
    }

    /// `n` raw bytes.
    public mutating func raw(_ n: Int, _ field: String) throws -> ArraySlice<UInt8> { try take(n, field) }

    /// Fails unless every byte was read.
    public func expectEnd(_ kind: String) throws {
        if remaining != 0 { throw ProtocolError.trailingBytes(kind: kind, count: remaining) }
    }
}
