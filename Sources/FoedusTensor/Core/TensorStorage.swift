/// A 64-byte-aligned buffer holding a tensor's elements.
///
/// Storage is shared between tensor values and copied only when a uniquely-owned mutation is
/// not possible (copy-on-write, see ``Tensor/withUnsafeMutableBufferPointer(as:_:)``).
public final class TensorStorage: @unchecked Sendable {
    /// Alignment of every allocation: one cache line, the widest vector load (zmm).
    public static let alignment = 64

    @usableFromInline let raw: UnsafeMutableRawPointer
    /// Allocated size in bytes.
    public let byteCount: Int

    /// Allocates `byteCount` bytes; zero-fills them when `zeroed`.
    @usableFromInline init(byteCount: Int, zeroed: Bool) {
        self.byteCount = byteCount
        raw = StoragePool.shared.allocate(byteCount: byteCount)
        if zeroed { raw.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount) }
    }

    /// A copy of `other`'s bytes.
    @usableFromInline convenience init(copying other: TensorStorage) {
        self.init(byteCount: other.byteCount, zeroed: false)
        raw.copyMemory(from: other.raw, byteCount: byteCount)
    }

    deinit { StoragePool.shared.release(raw, byteCount: byteCount) }
}
