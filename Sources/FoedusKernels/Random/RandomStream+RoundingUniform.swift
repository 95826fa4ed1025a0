import CFoedusKernels

extension RandomStream {
    /// Fills `buffer` with the uniforms of stochastic rounding and advances `offset` by
    /// `buffer.count`.
    ///
    /// Element `e` takes 16 random bits, half `e & 1` (low half first) of the 32-bit word
    /// `e >> 1` of its own counter domain, as `u = (k + ½)·2⁻¹⁶ = (2k + 1)·2⁻¹⁷`, `k` in
    /// `0 … 65535`: exact in Float, strictly inside `(0, 1)`, symmetric about ½. One Philox block
    /// gives eight of them (four of the 24-bit ``fillUniform(_:low:high:)``). Rounding `v` up when
    /// `u < f`, `f = v − ⌊v⌋`, then happens with probability `⌈2¹⁶·f − ½⌉ / 2¹⁶`: within 2⁻¹⁷ of
    /// `f`, and exactly `f` when `2¹⁶·f` is an integer (`f = 0`, `f = ½`, …).
    /// Element `i` depends only on `(key, offset + i)`.
    ///
    /// Long buffers run the C kernel (16 Philox blocks per AVX-512 step), bit-identical to
    /// ``fillRoundingUniformsReference(_:)``.
    public mutating func fillRoundingUniforms(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard buffer.count >= 128, let base = buffer.baseAddress else { return fillRoundingUniformsReference(buffer) }
        let k = key.philoxKey
        foedus_philox_rounding_uniforms(k.x, k.y, CounterDomain.roundingUniform.rawValue, offset, buffer.count, base, 1)
        offset &+= UInt64(buffer.count)
    }

    /// The scalar reference twin of ``fillRoundingUniforms(_:)``: one Philox block per eight
    /// values, the mapping of ``roundingUniform(_:)``.
    public mutating func fillRoundingUniformsReference(_ buffer: UnsafeMutableBufferPointer<Float>) {
        let first = offset
        for i in 0..<buffer.count {
            let element = first &+ UInt64(i)
            let word = word32(.roundingUniform, element >> 1)
            buffer[i] = Self.roundingUniform(element & 1 == 0 ? UInt16(truncatingIfNeeded: word) : UInt16(truncatingIfNeeded: word >> 16))
        }
        offset &+= UInt64(buffer.count)
    }

    /// The rounding uniform of a 16-bit value: `(2k + 1)·2⁻¹⁷`, exact in Float.
    @inline(__always)
    static func roundingUniform(_ k: UInt16) -> Float {
        Float(2 * UInt32(k) + 1) * 0x1p-17
    }

    /// The Philox counter domain of ``fillRoundingUniforms(_:)``, for kernels that draw the same
    /// uniforms themselves.
    static var roundingUniformDomain: UInt32 { CounterDomain.roundingUniform.rawValue }
}
