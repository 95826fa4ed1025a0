import CZeroMQ
import Glibc

/// A ZeroMQ context (one per process is enough). Owns the libzmq context; terminated on deinit.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() throws {
        guard let h = zmq_ctx_new() else { throw ZMQ.lastError("zmq_ctx_new") }
        handle = h
    }

    deinit { zmq_ctx_term(handle) }
}

enum ZMQ {
    static func lastError(_ call: String) -> TransportError {
        let e = zmq_errno()
        return .zmq(call: call, errno: e, message: message(e))
    }

    static func message(_ errno: Int32) -> String { text(zmq_strerror(errno)) }

    /// A C string as Swift text.
    static func text(_ p: UnsafePointer<CChar>) -> String {
        String(decoding: UnsafeRawBufferPointer(start: p, count: strlen(p)), as: UTF8.self)
    }

    static func text(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { text($0.baseAddress!) }
    }

    static func check(_ rc: Int32, _ call: String) throws {
        if rc != 0 { throw lastError(call) }
    }
}
