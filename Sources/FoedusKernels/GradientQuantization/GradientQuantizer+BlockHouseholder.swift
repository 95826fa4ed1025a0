extension GradientQuantizer {
    /// BHQ: `λ_i = range(row i) + 1e-8` (Float64), `T` = ``BlockHouseholder/init(rowRanges:)``,
    /// then per-row PSQ (``perGroup(_:rows:cols:bits:grouping:key:)`` with `.rows`) on `T·x`.
    ///
    /// The estimate of `x` is `T⁻¹ · codes.dequantized()` (``BlockHouseholder/applyInverse(_:cols:into:)``);
    /// it is unbiased because `T` is linear and PSQ is unbiased.
    ///
    /// - Parameters:
    ///   - x: `rows * cols` finite values, row-major (rows = samples).
    ///   - bits: 2 … 8.
    ///   - key: names the rounding noise (the same stream layout as PSQ on `T·x`).
    /// - Returns: the transform and the row-grouped codes of `T·x`.
    /// - Precondition: `x.count == rows * cols`, `bits` in 2…8, every value finite.
    /// - Complexity: O(rows · cols + rows log rows); one `rows * cols` Float scratch array.
    public static func blockHouseholder(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, bits: Int,
                                        key: RandomKey) -> (transform: BlockHouseholder, codes: AffineCodes) {
        checkShape("blockHouseholder", x, rows: rows, cols: cols, bits: bits)
        guard cols > 0 else {
            let transform = BlockHouseholder(rowRanges: [Double](repeating: Double(rangeEpsilon), count: rows))
            return (transform, perGroup(x, rows: rows, cols: cols, bits: bits, grouping: .rows, key: key))
        }
        let ranges = (0..<rows).map { r -> Double in
            let range = rangeOf(x.baseAddress! + r * cols, cols, "blockHouseholder")
            return Double(range.max) - Double(range.min) + Double(rangeEpsilon)
        }
        let transform = BlockHouseholder(rowRanges: ranges)
        let transformed = [Float](unsafeUninitializedCapacity: rows * cols) { y, initialized in
            transform.apply(x, cols: cols, into: y)
            initialized = rows * cols
        }
        let codes = transformed.withUnsafeBufferPointer {
            perGroup($0, rows: rows, cols: cols, bits: bits, grouping: .rows, key: key)
        }
        return (transform, codes)
    }

    /// Quantize then dequantize with the given kind: the fake-quant oracle of FQT.
    ///
    /// `.ptq` → ``perTensor(_:rows:cols:bits:key:)`` (grouping ignored); `.psq` →
    /// ``perGroup(_:rows:cols:bits:grouping:key:)``; `.bhq` →
    /// ``blockHouseholder(_:rows:cols:bits:key:)`` then `T⁻¹`.
    ///
    /// - Precondition: `x.count == rows * cols`, `bits` in 2…8, finite values; for `.bhq`,
    ///   `grouping == .rows`.
    /// - Complexity: O(rows · cols).
    public static func quantizeDequantize(_ x: [Float], rows: Int, cols: Int, kind: GradientQuantizerKind,
                                          grouping: AffineCodes.Grouping, bits: Int, key: RandomKey) -> [Float] {
        x.withUnsafeBufferPointer { input in
            switch kind {
            case .ptq:
                return perTensor(input, rows: rows, cols: cols, bits: bits, key: key).dequantized()
            case .psq:
                return perGroup(input, rows: rows, cols: cols, bits: bits, grouping: grouping, key: key).dequantized()
            case .bhq:
                precondition(grouping == .rows, "GradientQuantizer.quantizeDequantize: bhq needs grouping .rows, got \(grouping)")
                let (transform, codes) = blockHouseholder(input, rows: rows, cols: cols, bits: bits, key: key)
                var estimate = codes.dequantized()
                estimate.withUnsafeMutableBufferPointer { buffer in
                    transform.applyInverse(UnsafeBufferPointer(buffer), cols: cols, into: buffer)
                }
                return estimate
            }
        }
    }
}
