extension RandomStream {
    /// Fills `buffer` with independent signs, −1 or +1 with probability ½ each, and advances
    /// `offset` by `buffer.count`.
    ///
    /// One random bit per element (128 elements per Philox block). Element `i` depends only
    /// on `(key, offset + i)`, and the Float and Double fills give the same signs.
    public mutating func fillRademacher(_ buffer: UnsafeMutableBufferPointer<Float>) {
        forEachSign(from: offset, count: buffer.count) { index, positive in
            buffer[index] = positive ? 1 : -1
        }
        offset &+= UInt64(buffer.count)
    }

    /// Fills `buffer` with independent signs, −1 or +1 with probability ½ each, and advances
    /// `offset` by `buffer.count`.
    ///
    /// One random bit per element (128 elements per Philox block). Element `i` depends only
    /// on `(key, offset + i)`, and the Float and Double fills give the same signs.
    public mutating func fillRademacher(_ buffer: UnsafeMutableBufferPointer<Double>) {
        forEachSign(from: offset, count: buffer.count) { index, positive in
            buffer[index] = positive ? 1 : -1
        }
        offset &+= UInt64(buffer.count)
    }

    /// Fills `buffer` with independent Bernoulli(`p`) values, 1 with probability `p` and 0
    /// otherwise, and advances `offset` by `buffer.count`.
    ///
    /// Element `i` is 1 when its 32-bit word is below `round(p · 2³²)`, so `p` is honoured to
    /// within 2⁻³³; `p = 0` never gives 1 and `p = 1` always does. Element `i` depends only
    /// on `(key, offset + i)`, and the Float and Double fills agree for the same `p`.
    ///
    /// - Precondition: `0 ≤ p ≤ 1`.
    public mutating func fillBernoulli(_ buffer: UnsafeMutableBufferPointer<Float>, p: Float) {
        precondition(p >= 0 && p <= 1, "fillBernoulli needs 0 <= p <= 1")
        let threshold = Self.bernoulliThreshold(Double(p))
        forEachWord32(.bernoulli, from: offset, count: buffer.count) { index, word in
            buffer[index] = UInt64(word) < threshold ? 1 : 0
        }
        offset &+= UInt64(buffer.count)
    }

    /// Fills `buffer` with independent Bernoulli(`p`) values, 1 with probability `p` and 0
    /// otherwise, and advances `offset` by `buffer.count`.
    ///
    /// Element `i` is 1 when its 32-bit word is below `round(p · 2³²)`, so `p` is honoured to
    /// within 2⁻³³; `p = 0` never gives 1 and `p = 1` always does. Element `i` depends only
    /// on `(key, offset + i)`, and the Float and Double fills agree for the same `p`.
    ///
    /// - Precondition: `0 ≤ p ≤ 1`.
    public mutating func fillBernoulli(_ buffer: UnsafeMutableBufferPointer<Double>, p: Double) {
        precondition(p >= 0 && p <= 1, "fillBernoulli needs 0 <= p <= 1")
        let threshold = Self.bernoulliThreshold(p)
        forEachWord32(.bernoulli, from: offset, count: buffer.count) { index, word in
            buffer[index] = UInt64(word) < threshold ? 1 : 0
        }
        offset &+= UInt64(buffer.count)
    }

    // A 64-bit threshold so that p = 1 (2³², one past every word) is representable.
    static func bernoulliThreshold(_ p: Double) -> UInt64 {
        UInt64((p * 0x1p32).rounded())
    }

    /// Calls `body(i, bit)` for sign elements `first + i`, `i` in `0 ..< count`; bit `b` of a
    /// block is bit `b % 32` of its word `b / 32`.
    @inline(__always)
    func forEachSign(from first: UInt64, count: Int, _ body: (Int, Bool) -> Void) {
        var index = 0
        var element = first
        while index < count {
            let words = block(.sign, element >> 7)
            let lanes = SIMD4(words.0, words.1, words.2, words.3)
            let end = Swift.min(count, index + Int(128 - (element & 127)))
            while index < end {
                let bit = element & 127
                body(index, (lanes[Int(bit >> 5)] >> UInt32(bit & 31)) & 1 != 0)
                index += 1
                element &+= 1
            }
        }
    }
}
