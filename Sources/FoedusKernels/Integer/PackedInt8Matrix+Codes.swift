import CFoedusKernels

/// Packing of uint8 codes and of bytes already in the packed layout.
extension PackedInt8Matrix {
    /// Packs uint8 codes `c` as the int8 matrix `B[k][n] = c[k·strideK + n·strideN] − 128`
    /// (the byte flip `c ^ 0x80`), with column sums of `c − 128`. `reference: true` runs the
    /// scalar C twin of the vector packer (bit-identical).
    /// - Precondition: `k ≥ 0`, `n ≥ 0`. Complexity: O(k·n).
    public init(codesMinus128 codes: UnsafePointer<UInt8>, k: Int, n: Int, strideK: Int, strideN: Int, reference: Bool = false) {
        precondition(k >= 0 && n >= 0, "PackedInt8Matrix: invalid sizes k \(k), n \(n)")
        let b = UnsafeRawPointer(codes).assumingMemoryBound(to: Int8.self)
        // Both packers write every byte (padding included) and every sum: no zero fill first.
        let size = foedus_i8_packed_size(k, n)
        var sums = [Int32](repeating: 0, count: n)
        let packed = [Int8](unsafeUninitializedCapacity: size) { p, initialized in
            sums.withUnsafeMutableBufferPointer { s in
                if reference {
                    foedus_i8_pack_b_scalar(b, strideK, strideN, k, n, 0x80, p.baseAddress, s.baseAddress)
                } else {
                    foedus_i8_pack_b_flip(b, strideK, strideN, k, n, 0x80, p.baseAddress, s.baseAddress)
                }
            }
            initialized = size
        }
        self.init(packed: packed, k: k, n: n, columnSums: sums)
    }

    /// A matrix whose bytes a kernel wrote in the packed layout directly.
    /// - Precondition: `bytes.count == foedus_i8_packed_size(k, n)` (`⌈k/4⌉·4 · ⌈n/16⌉·16`),
    ///   padding bytes 0, `columnSums.count == n`.
    public init(packed bytes: [Int8], k: Int, n: Int, columnSums: [Int32]) {
        precondition(k >= 0 && n >= 0 && bytes.count == foedus_i8_packed_size(k, n) && columnSums.count == n,
                     "PackedInt8Matrix: \(bytes.count) packed bytes, \(columnSums.count) sums for \(k)×\(n)")
        self.k = k
        self.n = n
        self.bytes = bytes
        self.columnSums = columnSums
    }

    /// The bytes of a packed `k × n` matrix.
    public static func packedSize(k: Int, n: Int) -> Int { foedus_i8_packed_size(k, n) }
}
