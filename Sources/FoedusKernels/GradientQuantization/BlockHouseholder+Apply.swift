extension BlockHouseholder {
    /// Columns processed at a time, so a block's rows stay in cache between passes.
    static let columnChunk = 1024

    /// `y = T·x` for a row-major `rows × cols` matrix, in Float.
    ///
    /// Uses the reflection's structure instead of a dense product: with `w = s ⊙ x` over a
    /// block and `a = 1/√n`, `(H w)₀ = a·Σw` and `(H w)_j = w_j − a·(a·Σw − w₀)/(1 − a)`.
    /// `x` and `y` may be the same buffer (every row is read before it is written).
    ///
    /// - Precondition: `x.count == rows * cols` and `y.count == rows * cols`.
    /// - Complexity: O(rows · cols) time, O(1) extra memory (stack scratch).
    public func apply(_ x: UnsafeBufferPointer<Float>, cols: Int, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(cols >= 0 && x.count == rows * cols && y.count == rows * cols,
                     "BlockHouseholder.apply: \(x.count) inputs and \(y.count) outputs for \(rows)x\(cols)")
        scalesFloat.withUnsafeBufferPointer { pre in
            transform(x, cols: cols, into: y, preScale: pre.baseAddress!, postScale: nil)
        }
    }

    /// `x = T⁻¹·y = diag(1/s)·H·y` (block by block) for a row-major `rows × cols` matrix, in Float.
    /// `y` and `x` may be the same buffer.
    ///
    /// - Precondition: `y.count == rows * cols` and `x.count == rows * cols`.
    /// - Complexity: O(rows · cols) time, O(1) extra memory (stack scratch).
    public func applyInverse(_ y: UnsafeBufferPointer<Float>, cols: Int, into x: UnsafeMutableBufferPointer<Float>) {
        precondition(cols >= 0 && y.count == rows * cols && x.count == rows * cols,
                     "BlockHouseholder.applyInverse: \(y.count) inputs and \(x.count) outputs for \(rows)x\(cols)")
        inverseScalesFloat.withUnsafeBufferPointer { post in
            transform(y, cols: cols, into: x, preScale: nil, postScale: post.baseAddress!)
        }
    }

    /// `out = diag(post)·blockdiag(H)·diag(pre)·in` in the permuted row order; a nil scale is 1.
    private func transform(_ input: UnsafeBufferPointer<Float>, cols: Int, into output: UnsafeMutableBufferPointer<Float>,
                           preScale: UnsafePointer<Float>?, postScale: UnsafePointer<Float>?) {
        guard rows > 0, cols > 0, let src = input.baseAddress, let dst = output.baseAddress else { return }
        let chunk = Self.columnChunk
        members.withUnsafeBufferPointer { memberBuffer in
            let m = memberBuffer.baseAddress!
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * chunk) { scratch in
                let sum = scratch.baseAddress!, shift = sum + chunk
                for block in 0..<(blockStarts.count - 1) {
                    let first = blockStarts[block], size = blockStarts[block + 1] - first
                    let leader = m[first]
                    let leaderPre = preScale?[leader] ?? 1, leaderPost = postScale?[leader] ?? 1
                    if size == 1 {
                        let from = src + leader * cols, to = dst + leader * cols
                        let factor = leaderPre * leaderPost
                        for j in 0..<cols { to[j] = from[j] * factor }
                        continue
                    }
                    let root = Double(size).squareRoot()
                    let a = Float(1 / root)
                    let b = Float((1 / root) / (1 - 1 / root))
                    var c0 = 0
                    while c0 < cols {
                        let width = Swift.min(chunk, cols - c0)
                        let leaderRow = src + leader * cols + c0
                        for j in 0..<width { sum[j] = leaderRow[j] * leaderPre }
                        for position in (first + 1)..<(first + size) {
                            let row = m[position]
                            let from = src + row * cols + c0
                            let pre = preScale?[row] ?? 1
                            for j in 0..<width { sum[j] += from[j] * pre }
                        }
                        for j in 0..<width { shift[j] = b * (a * sum[j] - leaderRow[j] * leaderPre) }
                        for position in (first + 1)..<(first + size) {
                            let row = m[position]
                            let from = src + row * cols + c0, to = dst + row * cols + c0
                            let pre = preScale?[row] ?? 1, post = postScale?[row] ?? 1
                            for j in 0..<width { to[j] = (from[j] * pre - shift[j]) * post }
                        }
                        // The leader row is written last: in-place callers still need it above.
                        let leaderOut = dst + leader * cols + c0
                        for j in 0..<width { leaderOut[j] = a * sum[j] * leaderPost }
                        c0 += width
                    }
                }
            }
        }
    }

    /// The dense `T` in Float64, row-major `rows × rows` (for tests and small checks).
    ///
    /// Complexity: O(rows²) memory.
    public func denseMatrix() -> [Double] {
        dense { h, rowIndex, columnIndex in h * scales[columnIndex] }
    }

    /// The dense `T⁻¹ = diag(1/s)·H` in Float64, row-major `rows × rows`.
    ///
    /// Complexity: O(rows²) memory.
    public func denseInverse() -> [Double] {
        dense { h, rowIndex, columnIndex in h / scales[rowIndex] }
    }

    /// Fills the block entries `entry(H_n[i][j], row m_i, column m_j)`.
    private func dense(_ entry: (Double, Int, Int) -> Double) -> [Double] {
        var matrix = [Double](repeating: 0, count: rows * rows)
        for block in 0..<(blockStarts.count - 1) {
            let first = blockStarts[block], size = blockStarts[block + 1] - first
            let n = Double(size), root = n.squareRoot()
            for i in 0..<size {
                for j in 0..<size {
                    let h: Double
                    if size == 1 {
                        h = 1
                    } else if i == 0 || j == 0 {
                        h = 1 / root
                    } else {
                        h = (i == j ? 1 : 0) - 1 / (n - root)
                    }
                    let r = members[first + i], c = members[first + j]
                    matrix[r * rows + c] = entry(h, r, c)
                }
            }
        }
        return matrix
    }
}
