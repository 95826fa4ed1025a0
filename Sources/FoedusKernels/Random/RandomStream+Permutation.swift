extension RandomStream {
    /// Returns an integer uniform on `0 ..< n`, exactly, with no modulo bias.
    ///
    /// Lemire's multiply-shift method on 64-bit words of its own counter domain, rejecting
    /// the few words that would bias the result. Consumes one element per attempt (almost
    /// always exactly one; on average at most two) and advances `offset` by that many, so
    /// the result is a pure function of `(key, offset, n)`.
    ///
    /// - Precondition: `n > 0`.
    public mutating func uniformInt(below n: Int) -> Int {
        precondition(n > 0, "uniformInt(below:) needs n > 0")
        let bound = UInt64(n)
        var product = word64(.boundedInteger, offset).multipliedFullWidth(by: bound)
        offset &+= 1
        if product.low < bound {
            // 2⁶⁴ mod n: the low halves below it would make some results more likely.
            let rejectBelow = (0 &- bound) % bound
            while product.low < rejectBelow {
                product = word64(.boundedInteger, offset).multipliedFullWidth(by: bound)
                offset &+= 1
            }
        }
        return Int(product.high)
    }

    /// Returns a uniformly random permutation of `0 ..< n`.
    ///
    /// Fisher–Yates driven by ``uniformInt(below:)`` (index `n − 1` down to 1), so the result
    /// is a pure function of `(key, offset, n)`; `offset` advances by the elements consumed.
    ///
    /// - Precondition: `n ≥ 0`.
    public mutating func permutation(_ n: Int) -> [Int] {
        precondition(n >= 0, "permutation needs n >= 0")
        var result = Array(0..<n)
        shuffle(&result)
        return result
    }

    /// Shuffles `array` in place into a uniformly random order.
    ///
    /// Fisher–Yates driven by ``uniformInt(below:)`` (index `count − 1` down to 1), so the
    /// order is a pure function of `(key, offset, array.count)` and the input order; `offset`
    /// advances by the elements consumed.
    public mutating func shuffle<T>(_ array: inout [T]) {
        var last = array.count - 1
        while last > 0 {
            let other = uniformInt(below: last + 1)
            array.swapAt(last, other)
            last -= 1
        }
    }
}
