extension GradientQuantizer {
    /// Minimum and maximum of `count ≥ 1` values in one pass.
    ///
    /// - Precondition: every value is finite (checked in the same pass: `x − x` is 0 for
    ///   finite `x` and NaN for NaN or ±∞).
    static func rangeOf(_ x: UnsafePointer<Float>, _ count: Int, _ function: String) -> (min: Float, max: Float) {
        precondition(count > 0, "GradientQuantizer.\(function): range of an empty group")
        let (lo, hi, poison) = rangeAndPoison(x, count)
        precondition(poison == 0, "GradientQuantizer.\(function): input contains NaN or infinity")
        return (lo, hi)
    }

    /// Minimum and maximum of `x` when every value is finite, nil otherwise (one pass: the
    /// finiteness check of ``allFinite(_:)`` and the range of ``perTensor(_:rows:cols:bits:key:)``
    /// together). An empty buffer has range `[0, 0]`.
    public static func finiteRange(_ x: UnsafeBufferPointer<Float>) -> (min: Float, max: Float)? {
        guard let base = x.baseAddress, x.count > 0 else { return (0, 0) }
        let (lo, hi, poison) = rangeAndPoison(base, x.count)
        return poison == 0 ? (lo, hi) : nil
    }

    /// Minimum and maximum of each row of a row-major `rows × cols` matrix (`cols ≥ 1`) when
    /// every value is finite, nil otherwise. For NCHW `[N, O, L]` with `cols = L` these are the
    /// per-(sample, channel) ranges from which the tensor's range and, for positive channel
    /// scales, the ranges of `G·diag(s)` follow exactly (rounding is monotonic).
    public static func finiteRowRanges(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int) -> [(min: Float, max: Float)]? {
        precondition(rows >= 0 && cols >= 1 && x.count == rows * cols, "GradientQuantizer.finiteRowRanges: \(x.count) values for \(rows)×\(cols)")
        guard rows > 0, let base = x.baseAddress else { return [] }
        var ranges = [(min: Float, max: Float)]()
        ranges.reserveCapacity(rows)
        var poison: Float = 0
        for r in 0..<rows {
            let (lo, hi, p) = rangeAndPoison(base + r * cols, cols)
            ranges.append((lo, hi))
            poison += p
        }
        return poison == 0 ? ranges : nil
    }

    /// Minimum, maximum and `Σ (x − x)` of `count ≥ 1` values.
    static func rangeAndPoison(_ x: UnsafePointer<Float>, _ count: Int) -> (min: Float, max: Float, poison: Float) {
        typealias Lane = SIMD16<Float>
        var i = 0
        var lo = Float.infinity, hi = -Float.infinity, poison: Float = 0
        if count >= Lane.scalarCount {
            let raw = UnsafeRawPointer(x)
            var vlo = Lane(repeating: .infinity), vhi = Lane(repeating: -.infinity), vpoison = Lane()
            while i + Lane.scalarCount <= count {
                let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: Lane.self)
                vlo = vlo.replacing(with: v, where: v .< vlo)
                vhi = vhi.replacing(with: v, where: v .> vhi)
                vpoison += v - v
                i += Lane.scalarCount
            }
            lo = vlo.min()
            hi = vhi.max()
            poison = vpoison.sum()
        }
        while i < count {
            let v = x[i]
            lo = v < lo ? v : lo
            hi = v > hi ? v : hi
            poison += v - v
            i += 1
        }
        return (lo, hi, poison)
    }

    /// Per-column minimum and maximum of a row-major `rows × cols` matrix (one pass, row by row).
    ///
    /// Columns of an empty matrix (`rows == 0`) get range `[0, 0]`.
    static func columnRanges(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int) -> [(min: Float, max: Float)] {
        guard rows > 0, cols > 0, let base = x.baseAddress else {
            return [(min: Float, max: Float)](repeating: (0, 0), count: cols)
        }
        var lo = [Float](unsafeUninitializedCapacity: cols) { b, n in
            b.baseAddress!.initialize(from: base, count: cols)
            n = cols
        }
        var hi = lo
        var poison: Float = 0
        lo.withUnsafeMutableBufferPointer { loBuffer in
            hi.withUnsafeMutableBufferPointer { hiBuffer in
                let l = loBuffer.baseAddress!, h = hiBuffer.baseAddress!
                for r in 0..<rows {
                    let row = base + r * cols
                    for j in 0..<cols {
                        let v = row[j]
                        l[j] = v < l[j] ? v : l[j]
                        h[j] = v > h[j] ? v : h[j]
                    }
                    poison += poisonOf(row, cols)
                }
            }
        }
        precondition(poison == 0, "GradientQuantizer.perGroup: input contains NaN or infinity")
        return (0..<cols).map { (lo[$0], hi[$0]) }
    }

    /// True when every value is finite (one vectorised pass); the quantizers' precondition.
    public static func allFinite(_ x: UnsafeBufferPointer<Float>) -> Bool {
        guard let base = x.baseAddress else { return true }
        return poisonOf(base, x.count) == 0
    }

    /// Σ (x − x): 0 when every value is finite, NaN otherwise.
    static func poisonOf(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        typealias Lane = SIMD16<Float>
        var i = 0
        var vpoison = Lane()
        let raw = UnsafeRawPointer(x)
        while i + Lane.scalarCount <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: Lane.self)
            vpoison += v - v
            i += Lane.scalarCount
        }
        var poison = vpoison.sum()
        while i < count {
            poison += x[i] - x[i]
            i += 1
        }
        return poison
    }
}
