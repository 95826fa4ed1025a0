import Foundation

/// A process-wide cache of large freed tensor buffers, keyed by exact size.
///
/// Training allocates the same activation and gradient sizes every step; without reuse each
/// multi-megabyte buffer comes back from the kernel as fresh zero pages, and page faults cost
/// more than the arithmetic done on them. Buffers handed out are uninitialised. The cache is
/// bounded, so it never holds more than ``limitBytes``.
final class StoragePool: @unchecked Sendable {
    static let shared = StoragePool()

    /// Buffers smaller than this go straight to the allocator.
    static let minimumBytes = 32 << 10
    /// Upper bound on the bytes kept for reuse.
    let limitBytes = 512 << 20

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var cachedBytes = 0

    /// A buffer of exactly `byteCount` bytes, aligned to ``TensorStorage/alignment``.
    func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        if byteCount >= Self.minimumBytes {
            lock.lock()
            if var list = free[byteCount], let p = list.popLast() {
                free[byteCount] = list
                cachedBytes -= byteCount
                lock.unlock()
                return p
            }
            lock.unlock()
        }
        return UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: TensorStorage.alignment)
    }

    /// Returns a buffer obtained from ``allocate(byteCount:)``.
    func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        if byteCount >= Self.minimumBytes {
            lock.lock()
            if cachedBytes + byteCount <= limitBytes {
                free[byteCount, default: []].append(pointer)
                cachedBytes += byteCount
                lock.unlock()
                return
            }
            lock.unlock()
        }
        pointer.deallocate()
    }
}
