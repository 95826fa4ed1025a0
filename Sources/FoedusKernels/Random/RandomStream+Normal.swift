#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RandomStream {
    /// Fills `buffer` with normal values of the given mean and standard deviation and
    /// advances `offset` by `buffer.count`.
    ///
    /// Box–Muller: elements `2k` and `2k + 1` are the cosine and sine halves of pair `k`,
    /// whose radius uses 32 random bits mapped to `(0, 1]` (so the logarithm never sees 0;
    /// values stay within 6.67 std of the mean) and whose angle uses 24 bits. Element `i`
    /// depends only on `(key, offset + i)`: a fill that starts or ends mid-pair recomputes
    /// that pair. Values are bit-identical wherever the C library's `log`, `sin` and `cos` are.
    ///
    /// - Precondition: `mean` is finite, `std` is finite and not negative.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, std: Float = 1) {
        precondition(mean.isFinite && std.isFinite && std >= 0, "fillNormal needs finite mean and std >= 0")
        let count = buffer.count
        var index = 0
        var element = offset
        while index < count && element & 3 != 0 {
            buffer[index] = mean + std * normalFloat(element)
            index += 1
            element &+= 1
        }
        while count - index >= 4 {
            let words = block(.normalFloat, element >> 2)
            let first = Self.normalPair(words.0, words.1)
            let second = Self.normalPair(words.2, words.3)
            buffer[index] = mean + std * first.cosine
            buffer[index + 1] = mean + std * first.sine
            buffer[index + 2] = mean + std * second.cosine
            buffer[index + 3] = mean + std * second.sine
            index += 4
            element &+= 4
        }
        while index < count {
            buffer[index] = mean + std * normalFloat(element)
            index += 1
            element &+= 1
        }
        offset &+= UInt64(count)
    }

    /// Fills `buffer` with normal values of the given mean and standard deviation and
    /// advances `offset` by `buffer.count`.
    ///
    /// Box–Muller: elements `2k` and `2k + 1` are the cosine and sine halves of pair `k`,
    /// whose radius uses 53 random bits mapped to `(0, 1]` (so the logarithm never sees 0;
    /// values stay within 8.58 std of the mean) and whose angle uses 53 bits. Element `i`
    /// depends only on `(key, offset + i)`: a fill that starts or ends mid-pair recomputes
    /// that pair. Values are bit-identical wherever the C library's `log`, `sin` and `cos` are.
    ///
    /// - Precondition: `mean` is finite, `std` is finite and not negative.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Double>, mean: Double = 0, std: Double = 1) {
        precondition(mean.isFinite && std.isFinite && std >= 0, "fillNormal needs finite mean and std >= 0")
        let count = buffer.count
        var index = 0
        var element = offset
        if count > 0 && element & 1 != 0 {
            buffer[0] = mean + std * normalPairDouble(element >> 1).sine
            index = 1
            element &+= 1
        }
        while count - index >= 2 {
            let z = normalPairDouble(element >> 1)
            buffer[index] = mean + std * z.cosine
            buffer[index + 1] = mean + std * z.sine
            index += 2
            element &+= 2
        }
        if index < count {
            buffer[index] = mean + std * normalPairDouble(element >> 1).cosine
        }
        offset &+= UInt64(count)
    }

    /// One element of the Float normal domain: block `e / 4` holds pairs `(word 0, word 1)`
    /// and `(word 2, word 3)`; even elements take a pair's cosine half, odd ones its sine.
    @inline(__always)
    func normalFloat(_ element: UInt64) -> Float {
        let words = block(.normalFloat, element >> 2)
        let pair = element & 2 == 0 ? Self.normalPair(words.0, words.1) : Self.normalPair(words.2, words.3)
        return element & 1 == 0 ? pair.cosine : pair.sine
    }

    /// Box–Muller on two words: the first for the radius, the second for the angle.
    @inline(__always)
    static func normalPair(_ radiusWord: UInt32, _ angleWord: UInt32) -> (cosine: Float, sine: Float) {
        // (k + 1) · 2⁻³² lies in (0, 1]; Float rounding of k can only round up to 1, never to 0.
        let radiusUnit = (Float(radiusWord) + 1) * 0x1p-32
        let radius = (-2 * logf(radiusUnit)).squareRoot()
        let angle = (2 * Float.pi) * unitFloat(angleWord)
        return (radius * cosf(angle), radius * sinf(angle))
    }

    /// Box–Muller on one whole block of the Double normal domain.
    @inline(__always)
    func normalPairDouble(_ pair: UInt64) -> (cosine: Double, sine: Double) {
        let words = block(.normalDouble, pair)
        // (k + 1) · 2⁻⁵³ lies in (0, 1] and is exact.
        let radiusUnit = Double((join(words.0, words.1) >> 11) + 1) * 0x1p-53
        let radius = (-2 * log(radiusUnit)).squareRoot()
        let angle = (2 * Double.pi) * Self.unitDouble(join(words.2, words.3))
        return (radius * cos(angle), radius * sin(angle))
    }
}
