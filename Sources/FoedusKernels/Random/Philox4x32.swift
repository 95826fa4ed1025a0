/// The Philox4x32-10 counter-based block function (Salmon, Moraes, Dror and Shaw,
/// "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
///
/// Philox maps a 128-bit counter and a 64-bit key to 128 pseudo-random bits. It keeps no
/// state: the output for a given `(counter, key)` is always the same, on every platform,
/// which is what makes every Foedus random stream independent of thread scheduling.
/// Output matches the Random123 reference implementation word for word.
public struct Philox4x32: Sendable {
    /// Multiplier applied to counter word 0 in each round.
    public static let multiplier0: UInt32 = 0xD251_1F53
    /// Multiplier applied to counter word 2 in each round.
    public static let multiplier1: UInt32 = 0xCD9E_8D57
    /// Weyl increment added to key word 0 between rounds (golden ratio).
    public static let weyl0: UInt32 = 0x9E37_79B9
    /// Weyl increment added to key word 1 between rounds (sqrt(3) - 1).
    public static let weyl1: UInt32 = 0xBB67_AE85
    /// Number of rounds; 10 is the Random123 default and passes BigCrush with margin.
    public static let rounds = 10

    /// Computes one Philox4x32-10 block.
    ///
    /// - Parameters:
    ///   - counter: the 128-bit counter, lane 0 being Random123's `ctr.v[0]`.
    ///   - key: the 64-bit key, lane 0 being Random123's `key.v[0]`.
    /// - Returns: four 32-bit words, lane `i` equal to Random123's `philox4x32(ctr, key).v[i]`.
    ///   A pure function of its arguments.
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        let words = block(counter.x, counter.y, counter.z, counter.w, key.x, key.y)
        return SIMD4(words.0, words.1, words.2, words.3)
    }

    // Scalar form for the fill loops: SIMD lane insertion and extraction per round costs more
    // than the round itself.
    @inline(__always)
    static func block(
        _ c0: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32, _ k0: UInt32, _ k1: UInt32
    ) -> (UInt32, UInt32, UInt32, UInt32) {
        var x0 = c0, x1 = c1, x2 = c2, x3 = c3
        var key0 = k0, key1 = k1
        for round in 0..<rounds {
            // Random123 bumps the key before every round but the first.
            if round > 0 {
                key0 &+= weyl0
                key1 &+= weyl1
            }
            let product0 = UInt64(multiplier0) &* UInt64(x0)
            let product1 = UInt64(multiplier1) &* UInt64(x2)
            let high0 = UInt32(truncatingIfNeeded: product0 >> 32)
            let low0 = UInt32(truncatingIfNeeded: product0)
            let high1 = UInt32(truncatingIfNeeded: product1 >> 32)
            let low1 = UInt32(truncatingIfNeeded: product1)
            x0 = high1 ^ x1 ^ key0
            x1 = low1
            x2 = high0 ^ x3 ^ key1
            x3 = low0
        }
        return (x0, x1, x2, x3)
    }
}
