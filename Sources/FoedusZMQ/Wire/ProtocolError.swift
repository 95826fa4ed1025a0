/// A message that breaks the Foedus wire protocol (`docs/PROTOCOL.md`). Every decoder reports
/// what it rejected and where, and never traps on hostile bytes.
public enum ProtocolError: Error, Equatable, CustomStringConvertible {
    /// The message has the wrong number of frames.
    case frameCount(got: Int, expected: String)
    /// A frame or body ended before a field could be read.
    case truncated(field: String, offset: Int, needed: Int, available: Int)
    /// The header does not start with the magic bytes `FDUS`.
    case badMagic(found: [UInt8])
    /// The peer speaks another protocol version.
    case unsupportedVersion(found: UInt16, supported: UInt16)
    /// The kind number is not one this version knows.
    case unknownKind(UInt16)
    /// A length, count or rank field exceeds its limit.
    case limitExceeded(field: String, value: Int, limit: Int)
    /// A field's value is invalid (bad UTF-8, unknown encoding, reserved bits set, …).
    case invalidField(field: String, offset: Int, reason: String)
    /// Bytes left after the last field of a body.
    case trailingBytes(kind: String, count: Int)
    /// Parameters whose names, shapes or dtypes differ from the run's model.
    case modelMismatch(String)
    /// A NaN or infinity in an update.
    case nonFinite(tensor: String)
    /// A message kind the receiver does not accept in its current state.
    case unexpected(kind: String, state: String)

    public var description: String {
        switch self {
        case .frameCount(let got, let expected): return "message has \(got) frames, expected \(expected)"
        case .truncated(let field, let offset, let needed, let available):
            return "truncated at byte \(offset) reading \(field): needs \(needed) bytes, \(available) left"
        case .badMagic(let found): return "bad magic \(found.map { String(format: "%02x", $0) }.joined()) (expected 46445553, \"FDUS\")"
        case .unsupportedVersion(let found, let supported): return "protocol version \(found) not supported (this build speaks \(supported))"
        case .unknownKind(let k): return "unknown message kind \(k)"
        case .limitExceeded(let field, let value, let limit): return "\(field) = \(value) exceeds the limit \(limit)"
        case .invalidField(let field, let offset, let reason): return "invalid \(field) at byte \(offset): \(reason)"
        case .trailingBytes(let kind, let count): return "\(count) unexpected bytes after the \(kind) body"
        case .modelMismatch(let reason): return "parameters do not match the run's model: \(reason)"
        case .nonFinite(let tensor): return "non-finite value in tensor \(tensor)"
        case .unexpected(let kind, let state): return "unexpected \(kind) message while \(state)"
        }
    }
}

/// A failure of the ZeroMQ transport itself: sockets, endpoints, keys, timeouts.
public enum TransportError: Error, Equatable, CustomStringConvertible {
    /// A libzmq call failed (`errno` and its message).
    case zmq(call: String, errno: Int32, message: String)
    /// An endpoint string libzmq cannot use.
    case badEndpoint(String, reason: String)
    /// A CURVE key that is not 40 Z85 characters (or a key file that does not hold one).
    case badKey(source: String, reason: String)
    /// Nothing arrived in time.
    case timeout(waitingFor: String, seconds: Double)
    /// The server refused this client.
    case rejected(code: UInt16, reason: String)
    /// The peer broke the protocol.
    case protocolViolation(ProtocolError)

    public var description: String {
        switch self {
        case .zmq(let call, let errno, let message): return "\(call) failed: \(message) (errno \(errno))"
        case .badEndpoint(let e, let reason): return "bad endpoint \(e): \(reason)"
        case .badKey(let source, let reason): return "bad CURVE key in \(source): \(reason)"
        case .timeout(let what, let seconds): return "timed out after \(seconds) s waiting for \(what)"
        case .rejected(let code, let reason): return "rejected by the server (code \(code)): \(reason)"
        case .protocolViolation(let e): return "protocol violation: \(e)"
        }
    }
}
