import CZeroMQ
import Foundation
import Glibc

/// A ZeroMQ socket. Not thread-safe (libzmq sockets never are): one thread uses it at a time.
public final class ZMQSocket: @unchecked Sendable {
    public enum Kind { case router, dealer, rep, req, pair
        var raw: Int32 {
            switch self {
            case .router: return ZMQ_ROUTER
            case .dealer: return ZMQ_DEALER
            case .rep: return ZMQ_REP
            case .req: return ZMQ_REQ
            case .pair: return ZMQ_PAIR
            }
        }
    }

    let handle: UnsafeMutableRawPointer
    let context: ZMQContext
    private var closed = false

    public init(_ context: ZMQContext, _ kind: Kind) throws {
        guard let h = zmq_socket(context.handle, kind.raw) else { throw ZMQ.lastError("zmq_socket") }
        handle = h
        self.context = context
        try setInt(ZMQ_LINGER, 0)
    }

    deinit { close() }

    public func close() {
        if !closed { zmq_close(handle); closed = true }
    }

    public func setInt(_ option: Int32, _ value: Int32) throws {
        var v = value
        try ZMQ.check(zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size), "zmq_setsockopt(\(option))")
    }

    public func setInt64(_ option: Int32, _ value: Int64) throws {
        var v = value
        try ZMQ.check(zmq_setsockopt(handle, option, &v, MemoryLayout<Int64>.size), "zmq_setsockopt(\(option))")
    }

    public func setBytes(_ option: Int32, _ value: [UInt8]) throws {
        try value.withUnsafeBytes { try ZMQ.check(zmq_setsockopt(handle, option, $0.baseAddress, $0.count), "zmq_setsockopt(\(option))") }
    }

    public func setString(_ option: Int32, _ value: String) throws { try setBytes(option, Array(value.utf8)) }

    public func bind(_ endpoint: String) throws {
        if zmq_bind(handle, endpoint) != 0 {
            let e = zmq_errno()
            throw TransportError.badEndpoint(endpoint, reason: ZMQ.message(e))
        }
    }

    public func connect(_ endpoint: String) throws {
        if zmq_connect(handle, endpoint) != 0 {
            let e = zmq_errno()
            throw TransportError.badEndpoint(endpoint, reason: ZMQ.message(e))
        }
    }

    /// The endpoint actually bound (resolves `tcp://127.0.0.1:*` to its port).
    public var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        _ = zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size)
        return ZMQ.text(buffer)
    }

    /// Sends a multipart message. Returns false if it would block with `dontWait`, or when the
    /// peer is unreachable.
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws -> Bool {
        try send(frames, more: false, dontWait: dontWait)
    }

    /// Sends a multipart message whose last frame is `shared`, without copying it: libzmq keeps a
    /// reference until the bytes are on the wire, so one model can go to a thousand clients from
    /// one buffer. Returns false when the peer is unreachable.
    @discardableResult
    public func send(_ frames: [[UInt8]], shared: SharedFrame) throws -> Bool {
        guard try send(frames, more: true, dontWait: false) else { return false }
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        let hint = Unmanaged.passRetained(shared).toOpaque()
        let rc = zmq_msg_init_data(message, shared.pointer, shared.count, { _, hint in
            Unmanaged<SharedFrame>.fromOpaque(hint!).release()
        }, hint)
        guard rc == 0 else {
            Unmanaged<SharedFrame>.fromOpaque(hint).release()
            throw ZMQ.lastError("zmq_msg_init_data")
        }
        if zmq_msg_send(message, handle, 0) < 0 {
            zmq_msg_close(message)
            throw ZMQ.lastError("zmq_msg_send")
        }
        return true
    }

    /// Sends frames, the last one with SNDMORE when `more` is set (more parts follow).
    private func send(_ frames: [[UInt8]], more: Bool, dontWait: Bool) throws -> Bool {
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = (i + 1 < frames.count || more) ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if rc < 0 {
                let e = zmq_errno()
                // Once the first part is queued the rest of a multipart message cannot block.
                if e == EAGAIN && dontWait && i == 0 { return false }
                if e == EHOSTUNREACH { return false }
                throw ZMQ.lastError("zmq_send")
            }
        }
        return true
    }

    /// Receives one multipart message, waiting at most `timeout` seconds (nil: forever).
    /// Returns nil on timeout. At most `maxFrames` frames are kept; the rest are drained and
    /// counted so a hostile peer cannot make the receiver allocate without bound.
    public func receive(timeout: Double?, maxFrames: Int = 8) throws -> (frames: [[UInt8]], extraFrames: Int)? {
        guard try poll(timeout: timeout) else { return nil }
        var frames: [[UInt8]] = []
        var extra = 0
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        while true {
            zmq_msg_init(message)
            let rc = zmq_msg_recv(message, handle, 0)
            if rc < 0 {
                zmq_msg_close(message)
                throw ZMQ.lastError("zmq_msg_recv")
            }
            let size = zmq_msg_size(message)
            if frames.count < maxFrames {
                let data = zmq_msg_data(message)!
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                extra += 1
            }
            let more = zmq_msg_more(message)
            zmq_msg_close(message)
            if more == 0 { break }
        }
        return (frames, extra)
    }

    /// Waits until a message can be read (true) or the timeout passes (false).
    public func poll(timeout: Double?) throws -> Bool {
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let ms = timeout.map { Int($0 * 1000) } ?? -1
        let rc = zmq_poll(&item, 1, ms)
        if rc < 0 {
            if zmq_errno() == EINTR { return false }
            throw ZMQ.lastError("zmq_poll")
        }
        return rc > 0
    }
}

/// Bytes shared by many outgoing messages (see ``ZMQSocket/send(_:shared:)``); freed when the
/// last message holding them has been sent.
public final class SharedFrame: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    public let count: Int

    public init(_ bytes: [UInt8]) {
        count = bytes.count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        bytes.withUnsafeBytes { if count > 0 { pointer.copyMemory(from: $0.baseAddress!, byteCount: count) } }
    }

    deinit { pointer.deallocate() }
}
