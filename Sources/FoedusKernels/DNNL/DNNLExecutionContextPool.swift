import CDNNL
import Foundation

/// A oneDNN stream plus a growable, 64-byte aligned scratch arena, used by one call at a time.
final class DNNLExecutionContext {
    let stream: dnnl_stream_t
    private(set) var arena: UnsafeMutableRawPointer?
    private(set) var arenaBytes = 0

    init(engine: dnnl_engine_t) {
        var stream: dnnl_stream_t?
        dnnlCheck(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        self.stream = stream!
    }

    /// The arena, grown (contents discarded) to at least `bytes`.
    func arena(atLeast bytes: Int) -> UnsafeMutableRawPointer? {
        if bytes > arenaBytes {
            arena?.deallocate()
            arena = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            arenaBytes = bytes
        }
        return arena
    }

    deinit {
        arena?.deallocate()
        dnnl_stream_destroy(stream)
    }
}

/// Hands out execution contexts so that concurrent calls never share a stream or a scratchpad.
///
/// Contexts are reused rather than created per call: streams are cheap but the arena would
/// otherwise be freshly mapped (and page-faulted) memory on every call.
final class DNNLExecutionContextPool: @unchecked Sendable {
    static let shared = DNNLExecutionContextPool()

    private let lock = NSLock()
    private var idle: [DNNLExecutionContext] = []

    func withContext<R>(_ body: (DNNLExecutionContext) -> R) -> R {
        lock.lock()
        let context = idle.popLast() ?? DNNLExecutionContext(engine: DNNLEnvironment.shared.engine)
        lock.unlock()
        defer {
            lock.lock()
            idle.append(context)
            lock.unlock()
        }
        return body(context)
    }
}
