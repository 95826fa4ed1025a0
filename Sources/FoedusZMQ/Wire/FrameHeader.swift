/// What a message is (the header's `kind` field).
public enum MessageKind: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case hello = 1, welcome = 2, reject = 3, fit = 4, update = 5, evaluate = 6, evaluation = 7, heartbeat = 8, bye = 9, error = 10

    public var description: String { Self.names[Int(rawValue) - 1] }
    static let names = ["hello", "welcome", "reject", "fit", "update", "evaluate", "evaluation", "heartbeat", "bye", "error"]
}

/// The fixed 32-byte first frame of every Foedus message (little-endian):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `FDUS` (46 44 55 53) |
/// | 4 | 2 | protocol version (1) |
/// | 6 | 2 | message kind |
/// | 8 | 4 | round (0 outside rounds) |
/// | 12 | 4 | flags (reserved, 0) |
/// | 16 | 8 | sequence number (per sender, increasing) |
/// | 24 | 8 | run tag (FNV-1a 64 of the run id; 0 before a client is welcomed) |
public struct FrameHeader: Sendable, Equatable {
    public static let magic: [UInt8] = [0x46, 0x44, 0x55, 0x53]
    public static let size = 32
    /// The protocol version this build speaks.
    public static let currentVersion: UInt16 = 1

    public var version: UInt16
    public var kind: MessageKind
    public var round: UInt32
    public var sequence: UInt64
    public var runTag: UInt64

    public init(kind: MessageKind, round: UInt32 = 0, sequence: UInt64 = 0, runTag: UInt64 = 0, version: UInt16 = FrameHeader.currentVersion) {
        self.version = version
        self.kind = kind
        self.round = round
        self.sequence = sequence
        self.runTag = runTag
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.raw(Self.magic)
        w.u16(version)
        w.u16(kind.rawValue)
        w.u32(round)
        w.u32(0)
        w.u64(sequence)
        w.u64(runTag)
        return w.bytes
    }

    /// Decodes a header frame. The version is checked before the kind, so a peer of another
    /// version gets ``ProtocolError/unsupportedVersion(found:supported:)`` (and can be told so).
    public static func decode(_ frame: [UInt8]) throws -> FrameHeader {
        guard frame.count == size else {
            if frame.count < size { throw ProtocolError.truncated(field: "header", offset: 0, needed: size, available: frame.count) }
            throw ProtocolError.trailingBytes(kind: "header", count: frame.count - size)
        }
        var r = ByteReader(frame)
        let magic = Array(try r.raw(4, "magic"))
        guard magic == Self.magic else { throw ProtocolError.badMagic(found: magic) }
        let version = try r.u16("version")
        guard version == currentVersion else { throw ProtocolError.unsupportedVersion(found: version, supported: currentVersion) }
        let rawKind = try r.u16("kind")
        guard let kind = MessageKind(rawValue: rawKind) else { throw ProtocolError.unknownKind(rawKind) }
        let round = try r.u32("round")
        let flags = try r.u32("flags")
        guard flags == 0 else { throw ProtocolError.invalidField(field: "flags", offset: 12, reason: "reserved bits \(flags) set") }
        let sequence = try r.u64("sequence")
        let runTag = try r.u64("run_tag")
        return FrameHeader(kind: kind, round: round, sequence: sequence, runTag: runTag, version: version)
    }

    /// The run tag of a run id: FNV-1a 64 of its UTF-8 bytes.
    public static func runTag(_ runID: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in runID.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }
}
