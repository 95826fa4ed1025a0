/// A seekable random stream: a ``RandomKey`` plus an element cursor, `offset`.
///
/// Every value is a pure function of `(key, kind of draw, element index)`, computed with
/// ``Philox4x32`` from a counter, never from hidden state. A call that produces `n` values
/// reads element indices `offset ..< offset + n` and then advances `offset` by `n`, so:
///
/// - the same key and offset give the same values, in every process and on every platform
///   (normal draws also go through the C library's `log`, `sin` and `cos`, so two different
///   libms may disagree in the last bit; on one platform they are bit-identical);
/// - element `i` of a fill equals element 0 of the same fill started at `offset + i`, so a
///   tensor may be filled in chunks by any number of workers, each with its own stream at
///   `offset + chunkStart`, and the result is bit-identical to one sequential fill;
/// - each kind of draw (raw 32-bit, raw 64-bit, Float/Double uniform, Float/Double normal,
///   sign, Bernoulli, bounded integer, rounding uniform) reads its own counter domain, so draws of different
///   kinds at the same offset are independent, and Float and Double draws of one kind are
///   independent too, except signs and Bernoulli draws, which are shared by Float and Double.
///
/// Offsets wrap modulo 2⁶⁴ elements.
public struct RandomStream: Hashable, Sendable {
    /// The stream's key; streams with different keys are independent.
    public let key: RandomKey
    /// The index of the next element to be read. Seek by assigning it.
    public var offset: UInt64

    /// Makes a stream reading `key` from element `offset`.
    public init(key: RandomKey, offset: UInt64 = 0) {
        self.key = key
        self.offset = offset
    }

    /// Returns the 32-bit word at `offset` and advances `offset` by one.
    public mutating func nextUInt32() -> UInt32 {
        let value = word32(.raw32, offset)
        offset &+= 1
        return value
    }

    /// Returns the 64-bit word at `offset` and advances `offset` by one.
    ///
    /// Raw 64-bit words are their own domain: they are not two consecutive ``nextUInt32()``s.
    public mutating func nextUInt64() -> UInt64 {
        let value = word64(.raw64, offset)
        offset &+= 1
        return value
    }
}

/// Counter word 2 of every Philox call: which kind of draw a block feeds.
enum CounterDomain: UInt32 {
    case raw32 = 1
    case raw64
    case uniformFloat
    case uniformDouble
    case normalFloat
    case normalDouble
    case sign
    case bernoulli
    case boundedInteger
    case roundingUniform
}

// Counter layout: words 0-1 hold the 64-bit block index, word 2 the domain, word 3 is zero.
extension RandomStream {
    @inline(__always)
    func block(_ domain: CounterDomain, _ index: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        let philoxKey = key.philoxKey
        return Philox4x32.block(
            UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32),
            domain.rawValue, 0, philoxKey.x, philoxKey.y)
    }

    /// Element `element` of a domain with four 32-bit words per block.
    @inline(__always)
    func word32(_ domain: CounterDomain, _ element: UInt64) -> UInt32 {
        let words = block(domain, element >> 2)
        switch element & 3 {
        case 0: return words.0
        case 1: return words.1
        case 2: return words.2
        default: return words.3
        }
    }

    /// Element `element` of a domain with two 64-bit words per block (low word first).
    @inline(__always)
    func word64(_ domain: CounterDomain, _ element: UInt64) -> UInt64 {
        let words = block(domain, element >> 1)
        return element & 1 == 0 ? join(words.0, words.1) : join(words.2, words.3)
    }

    @inline(__always)
    func join(_ low: UInt32, _ high: UInt32) -> UInt64 {
        UInt64(low) | UInt64(high) << 32
    }

    /// Calls `body(i, word)` for elements `first + i`, `i` in `0 ..< count`, of a 32-bit
    /// domain, computing each whole block once.
    @inline(__always)
    func forEachWord32(
        _ domain: CounterDomain, from first: UInt64, count: Int, _ body: (Int, UInt32) -> Void
    ) {
        var index = 0
        var element = first
        while index < count && element & 3 != 0 {
            body(index, word32(domain, element))
            index += 1
            element &+= 1
        }
        while count - index >= 4 {
            let words = block(domain, element >> 2)
            body(index, words.0)
            body(index + 1, words.1)
            body(index + 2, words.2)
            body(index + 3, words.3)
            index += 4
            element &+= 4
        }
        while index < count {
            body(index, word32(domain, element))
            index += 1
            element &+= 1
        }
    }

    /// Calls `body(i, word)` for elements `first + i`, `i` in `0 ..< count`, of a 64-bit
    /// domain, computing each whole block once.
    @inline(__always)
    func forEachWord64(
        _ domain: CounterDomain, from first: UInt64, count: Int, _ body: (Int, UInt64) -> Void
    ) {
        var index = 0
        var element = first
        if index < count && element & 1 != 0 {
            body(index, word64(domain, element))
            index += 1
            element &+= 1
        }
        while count - index >= 2 {
            let words = block(domain, element >> 1)
            body(index, join(words.0, words.1))
            body(index + 1, join(words.2, words.3))
            index += 2
            element &+= 2
        }
        if index < count {
            body(index, word64(domain, element))
        }
    }
}
