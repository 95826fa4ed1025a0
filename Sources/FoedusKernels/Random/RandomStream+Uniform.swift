import CFoedusKernels

extension RandomStream {
    /// Fills `buffer` with values uniform on `[low, high)` and advances `offset` by
    /// `buffer.count`.
    ///
    /// Each value takes 24 random bits (`u = k · 2⁻²⁴`) and is `low + u · (high − low)`; a
    /// result that rounding would carry up to `high` is replaced by `high.nextDown`, so
    /// `high` is never returned. Element `i` depends only on `(key, offset + i)`.
    ///
    /// - Precondition: `low < high` and `high − low` is finite.
    ///
    /// Long buffers run the C kernel (16 Philox blocks per AVX-512 step), bit-identical to
    /// ``fillUniformReference(_:low:high:)``.
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, low: Float = 0, high: Float = 1) {
        precondition(low < high && (high - low).isFinite, "fillUniform needs finite low < high")
        guard buffer.count >= 64, let base = buffer.baseAddress else { return fillUniformReference(buffer, low: low, high: high) }
        let k = key.philoxKey
        foedus_philox_uniform_f32(k.x, k.y, CounterDomain.uniformFloat.rawValue, offset, buffer.count, low, high - low, high.nextDown, base, 1)
        offset &+= UInt64(buffer.count)
    }

    /// The scalar reference twin of ``fillUniform(_:low:high:)`` (Float), one Philox block per
    /// four values.
    public mutating func fillUniformReference(_ buffer: UnsafeMutableBufferPointer<Float>, low: Float = 0, high: Float = 1) {
        precondition(low < high && (high - low).isFinite, "fillUniform needs finite low < high")
        let width = high - low
        let top = high.nextDown
        forEachWord32(.uniformFloat, from: offset, count: buffer.count) { index, word in
            buffer[index] = Swift.min(low + Self.unitFloat(word) * width, top)
        }
        offset &+= UInt64(buffer.count)
    }

    /// Fills `buffer` with values uniform on `[low, high)` and advances `offset` by
    /// `buffer.count`.
    ///
    /// Each value takes 53 random bits (`u = k · 2⁻⁵³`) and is `low + u · (high − low)`; a
    /// result that rounding would carry up to `high` is replaced by `high.nextDown`, so
    /// `high` is never returned. Element `i` depends only on `(key, offset + i)`.
    ///
    /// - Precondition: `low < high` and `high − low` is finite.
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Double>, low: Double = 0, high: Double = 1) {
        precondition(low < high && (high - low).isFinite, "fillUniform needs finite low < high")
        let width = high - low
        let top = high.nextDown
        forEachWord64(.uniformDouble, from: offset, count: buffer.count) { index, word in
            buffer[index] = Swift.min(low + Self.unitDouble(word) * width, top)
        }
        offset &+= UInt64(buffer.count)
    }

    /// The top 24 bits as a multiple of 2⁻²⁴ in `[0, 1)`; exact in Float.
    @inline(__always)
    static func unitFloat(_ word: UInt32) -> Float {
        Float(word >> 8) * 0x1p-24
    }

    /// The top 53 bits as a multiple of 2⁻⁵³ in `[0, 1)`; exact in Double.
    @inline(__always)
    static func unitDouble(_ word: UInt64) -> Double {
        Double(word >> 11) * 0x1p-53
    }
}
