import Foundation

/// A dyadic number `b / 2^c` approximating a positive real ratio (HAWQ-V3 §3.2).
///
/// Built from `r = m·2^e` (`frexp`, `m ∈ [0.5, 1)`): `b = ⌊m·2³¹ + ½⌋` (round half up) and
/// `c = 31 − e`. When rounding carries `b` to `2³¹` (which does not fit Int32) the pair is
/// renormalised to `b = 2³⁰, c − 1`, the same value; so `b ∈ [2³⁰, 2³¹ − 1]` always and
/// `|b/2^c − r| / r ≤ 2⁻³¹`.
public struct Dyadic: Hashable, Sendable {
    /// The integer multiplier, in `[2³⁰, 2³¹ − 1]`.
    public let b: Int64
    /// The right shift, in `[1, 62]`.
    public let c: Int

    /// The dyadic approximation of `ratio`.
    /// - Precondition: `ratio` is finite and in `[2⁻³¹, 2³⁰)` so that `c ∈ [1, 62]` (checked).
    public init(ratio: Double) {
        precondition(ratio.isFinite && ratio > 0, "Dyadic: ratio must be finite and positive, got \(ratio)")
        let (m, e) = frexp(ratio)
        var b = Int64((m * 0x1p31 + 0.5).rounded(.down))  // exact: m·2³¹ has at most 53 significant bits
        var c = 31 - e
        if b == 1 << 31 {
            b = 1 << 30
            c -= 1
        }
        precondition(c >= 1 && c <= 62, "Dyadic: ratio \(ratio) is outside [2^-31, 2^30)")
        self.b = b
        self.c = c
    }

    /// Makes `b / 2^c` directly.
    /// - Precondition: `0 ≤ b ≤ 2³¹ − 1`, `1 ≤ c ≤ 62`.
    public init(b: Int64, c: Int) {
        precondition(b >= 0 && b <= Int64(Int32.max) && c >= 1 && c <= 62, "Dyadic: b \(b) / 2^\(c) out of range")
        self.b = b
        self.c = c
    }

    /// `b / 2^c` as a Double (exact).
    public var value: Double { Double(b) * pow(2, Double(-c)) }

    /// `⌊(x·b + 2^(c−1)) / 2^c⌋`: `x·b/2^c` rounded to nearest, ties toward +∞ (so −2.5 → −2,
    /// 2.5 → 3). Computed in 64 bits: `|x·b| < 2⁶²` for every Int32 `x`.
    @inlinable
    public func apply(_ x: Int32) -> Int64 {
        (Int64(x) * b + (Int64(1) << (c - 1))) >> c
    }
}
