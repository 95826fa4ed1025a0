import CFoedusKernels

/// An int8 weight matrix `B[K, N]` packed once for ``IntegerGEMM`` (VNNI layout).
///
/// Layout: `K` is padded to `kp = ⌈K/4⌉·4` and `N` to `np = ⌈N/16⌉·16` with zeros; columns form
/// panels of 64 (the last one 16–64 wide); panel `p` starts at byte `64·p·kp`, and inside a
/// panel of width `w` byte `(g·w + j)·4 + (k mod 4)` holds `B[4g + k mod 4][64p + j]`, so one
/// 64-byte load gives 4 consecutive k-values of 16 columns. Column sums `Σ_k B[k][j]` are kept
/// for the zero-point and signed-A corrections.
public struct PackedInt8Matrix: Sendable {
    /// Rows of B (the reduction length).
    public let k: Int
    /// Columns of B (outputs).
    public let n: Int
    /// The packed bytes (`kp·np` of them).
    public let bytes: [Int8]
    /// `colsum[j] = Σ_k B[k][j]`.
    public let columnSums: [Int32]

    /// Packs `B`, whose element `[k][n]` is `b[k·strideK + n·strideN]`: `strideK = n, strideN = 1`
    /// for a row-major `[K, N]` matrix, `strideK = 1, strideN = k` for a row-major `[N, K]`
    /// (PyTorch `Linear` / OIHW conv) weight.
    /// - Precondition: `k ≥ 0`, `n ≥ 0`. Complexity: O(k·n).
    public init(_ b: UnsafePointer<Int8>, k: Int, n: Int, strideK: Int, strideN: Int) {
        precondition(k >= 0 && n >= 0, "PackedInt8Matrix: invalid sizes k \(k), n \(n)")
        self.k = k
        self.n = n
        // The packer writes every byte (padding included) and every sum: no zero fill first.
        let size = foedus_i8_packed_size(k, n)
        var sums = [Int32](repeating: 0, count: n)
        let packed = [Int8](unsafeUninitializedCapacity: size) { p, initialized in
            sums.withUnsafeMutableBufferPointer { s in
                foedus_i8_pack_b(b, strideK, strideN, k, n, p.baseAddress, s.baseAddress)
            }
            initialized = size
        }
        bytes = packed
        columnSums = sums
    }

    /// Packs a row-major `[K, N]` array (`transposed: true` reads it as a row-major `[N, K]`).
    /// - Precondition: `b.count == k·n`.
    public init(_ b: [Int8], k: Int, n: Int, transposed: Bool = false) {
        precondition(b.count == k * n, "PackedInt8Matrix: \(b.count) values for a \(k)×\(n) matrix")
        self = b.withUnsafeBufferPointer { p in
            let base = p.baseAddress ?? UnsafePointer(bitPattern: 1)!
            return transposed ? PackedInt8Matrix(base, k: k, n: n, strideK: 1, strideN: k)
                              : PackedInt8Matrix(base, k: k, n: n, strideK: n, strideN: 1)
        }
    }
}

/// A packed int4 weight matrix: the bytes of a ``PackedInt8Matrix`` stored as int4 nibbles
/// (``Int4Packing`` order), half the memory; ``IntegerGEMM`` unpacks one 64-column panel at a
/// time into scratch memory.
public struct PackedInt4Matrix: Sendable {
    /// Rows of B (the reduction length).
    public let k: Int
    /// Columns of B.
    public let n: Int
    /// The nibble-packed bytes.
    public let bytes: [UInt8]
    /// `colsum[j] = Σ_k B[k][j]`.
    public let columnSums: [Int32]

    /// Packs int4 weights given as int8 values in `[−8, 7]` (see ``PackedInt8Matrix/init(_:k:n:strideK:strideN:)``).
    /// - Precondition: every value is in `[−8, 7]`.
    public init(_ b: UnsafePointer<Int8>, k: Int, n: Int, strideK: Int, strideN: Int) {
        let wide = PackedInt8Matrix(b, k: k, n: n, strideK: strideK, strideN: strideN)
        self.k = k
        self.n = n
        bytes = Int4Packing.pack(wide.bytes)
        columnSums = wide.columnSums
    }

    /// Array form; `transposed: true` reads `b` as a row-major `[N, K]`.
    public init(_ b: [Int8], k: Int, n: Int, transposed: Bool = false) {
        precondition(b.count == k * n, "PackedInt4Matrix: \(b.count) values for a \(k)×\(n) matrix")
        self = b.withUnsafeBufferPointer { p in
            let base = p.baseAddress ?? UnsafePointer(bitPattern: 1)!
            return transposed ? PackedInt4Matrix(base, k: k, n: n, strideK: 1, strideN: k)
                              : PackedInt4Matrix(base, k: k, n: n, strideK: n, strideN: 1)
        }
    }
}
