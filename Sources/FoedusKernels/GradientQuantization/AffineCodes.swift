/// Integer codes of a row-major `rows × cols` Float matrix and the affine map back to reals:
/// `value ≈ Float(code) * step[g] + offset[g]`, with group `g` = 0 (``Grouping/tensor``), the
/// row index (``Grouping/rows``) or the column index (``Grouping/columns``).
///
/// A group whose values were all equal has every code 0, `offset` equal to that value and
/// `step` 1, so it dequantizes exactly.
public struct AffineCodes: Sendable {
    /// How the matrix is split into groups that share one `step` and `offset`.
    public enum Grouping: Sendable, Equatable {
        /// One group: the whole matrix.
        case tensor
        /// One group per row (per sample).
        case rows
        /// One group per column (per feature, over the batch).
        case columns
    }

    /// Number of rows of the quantized matrix.
    public let rows: Int
    /// Number of columns of the quantized matrix.
    public let cols: Int
    /// Bits per code; codes lie in `0 ... (1 << bits) - 1`.
    public let bits: Int
    /// How `step` and `offset` are indexed.
    public let grouping: Grouping
    /// Row-major codes, `rows * cols` of them, each in `0 ... (1 << bits) - 1`.
    public var codes: [UInt8]
    /// The real value of one code unit per group (`1/s`).
    public var step: [Float]
    /// The real value of code 0 per group (`z`).
    public var offset: [Float]

    /// Makes codes from their parts.
    ///
    /// - Precondition: `codes.count == rows * cols`; `step` and `offset` have one entry per
    ///   group (1, `rows` or `cols`); `bits` in `1 ... 8`.
    public init(rows: Int, cols: Int, bits: Int, grouping: Grouping, codes: [UInt8], step: [Float], offset: [Float]) {
        let groups = AffineCodes.groupCount(rows: rows, cols: cols, grouping: grouping)
        precondition(rows >= 0 && cols >= 0 && codes.count == rows * cols,
                     "AffineCodes.init: \(codes.count) codes for \(rows)x\(cols)")
        precondition(step.count == groups && offset.count == groups,
                     "AffineCodes.init: \(step.count) steps, \(offset.count) offsets for \(groups) groups (\(grouping))")
        precondition((1...8).contains(bits), "AffineCodes.init: bits \(bits) not in 1...8")
        self.rows = rows
        self.cols = cols
        self.bits = bits
        self.grouping = grouping
        self.codes = codes
        self.step = step
        self.offset = offset
    }

    /// The number of groups a grouping gives for a `rows × cols` matrix.
    public static func groupCount(rows: Int, cols: Int, grouping: Grouping) -> Int {
        switch grouping {
        case .tensor: return 1
        case .rows: return rows
        case .columns: return cols
        }
    }

    /// The largest code, `B = 2^bits − 1`.
    public var maxCode: Int { (1 << bits) - 1 }

    /// The dequantized matrix, row-major `rows * cols`: `Float(code) * step[g] + offset[g]`
    /// (a product rounded to Float, then a sum: never fused, so a code that stands for an
    /// exact 0 gives exactly 0).
    ///
    /// Complexity: O(rows · cols).
    public func dequantized() -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * cols) { out, initialized in
            dequantize(into: out)
            initialized = rows * cols
        }
    }

    /// Writes the dequantized matrix into `out` (row-major, `rows * cols` elements).
    ///
    /// - Precondition: `out.count == rows * cols`.
    public func dequantize(into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count == rows * cols, "AffineCodes.dequantize: output has \(out.count) elements for \(rows)x\(cols)")
        guard rows > 0 && cols > 0, let o = out.baseAddress else { return }
        let cols = self.cols
        codes.withUnsafeBufferPointer { codeBuffer in
            step.withUnsafeBufferPointer { stepBuffer in
                offset.withUnsafeBufferPointer { offsetBuffer in
                    let c = codeBuffer.baseAddress!, st = stepBuffer.baseAddress!, of = offsetBuffer.baseAddress!
                    switch grouping {
                    case .tensor:
                        Self.dequantizeRun(c, o, rows * cols, st[0], of[0])
                    case .rows:
                        for r in 0..<rows {
                            Self.dequantizeRun(c + r * cols, o + r * cols, cols, st[r], of[r])
                        }
                    case .columns:
                        for r in 0..<rows {
                            let cr = c + r * cols, orow = o + r * cols
                            for j in 0..<cols {
                                let scaled = Float(cr[j]) * st[j]
                                orow[j] = scaled + of[j]
                            }
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func dequantizeRun(_ c: UnsafePointer<UInt8>, _ o: UnsafeMutablePointer<Float>, _ count: Int,
                                      _ step: Float, _ offset: Float) {
        for i in 0..<count {
            let scaled = Float(c[i]) * step
            o[i] = scaled + offset
        }
    }
}
