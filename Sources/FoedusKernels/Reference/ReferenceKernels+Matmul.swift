extension ReferenceKernels {
    /// Batched row-major matrix product `C[i] = op(A[i]) · op(B[i])` for `i` in `0..<batch`.
    ///
    /// - Layouts (each contiguous, batches back to back):
    ///   - `a`: `[batch, m, k]`, or `[batch, k, m]` when `transposeA`;
    ///   - `b`: `[batch, k, n]`, or `[batch, n, k]` when `transposeB`; with `broadcastB` a single
    ///     matrix (`[k, n]` or `[n, k]`) is used for every batch item;
    ///   - `c`: `[batch, m, n]`, overwritten.
    /// - Preconditions: `batch ≥ 1`; `m, n, k ≥ 0`; `c` does not overlap `a` or `b`.
    /// - Complexity: `batch·m·n·k` multiply-adds.
    public static func matmul<T: BinaryFloatingPoint>(
        a: UnsafePointer<T>, b: UnsafePointer<T>, c: UnsafeMutablePointer<T>,
        batch: Int, m: Int, n: Int, k: Int,
        transposeA: Bool = false, transposeB: Bool = false, broadcastB: Bool = false
    ) {
        precondition(batch >= 1 && m >= 0 && n >= 0 && k >= 0,
                     "ReferenceKernels.matmul: invalid sizes batch \(batch), m \(m), n \(n), k \(k)")
        for item in 0..<batch {
            let aItem = a + item * m * k
            let bItem = broadcastB ? b : b + item * k * n
            let cItem = c + item * m * n
            for i in 0..<m {
                for j in 0..<n {
                    var sum: T = 0
                    for p in 0..<k {
                        let aValue = transposeA ? aItem[p * m + i] : aItem[i * k + p]
                        let bValue = transposeB ? bItem[j * k + p] : bItem[p * n + j]
                        sum += aValue * bValue
                    }
                    cItem[i * n + j] = sum
                }
            }
        }
    }
}
