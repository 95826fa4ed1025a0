/// The name of an independent random stream: a 64-bit value reached from a run seed by a
/// path of derivation steps.
///
/// `RandomKey(seed: 7).derived("round").derived(3).derived("client").derived(12)` names the
/// stream a client uses in one round. Derivation uses only fixed integer arithmetic (never
/// Swift's per-process `Hasher`), so the same path gives the same key in every process, on
/// every platform and in every Foedus version that keeps this file's constants.
///
/// Derivation is order-sensitive (`derived("a").derived("b") != derived("b").derived("a")`
/// except with probability about 2⁻⁶⁴), and integer and string components live in separate
/// domains, so `derived(1)` and `derived("1")` are unrelated keys.
public struct RandomKey: Hashable, Sendable {
    /// The key's 64 bits, also the Philox key (low word first). Stable: it may be logged or
    /// stored and turned back into the same key with ``init(rawValue:)``.
    public let rawValue: UInt64

    /// Makes the root key of a run from its seed.
    ///
    /// Any seed is valid, including 0; nearby seeds give unrelated keys.
    public init(seed: UInt64) {
        rawValue = StableMix.mix(seed ^ StableMix.seedDomain)
    }

    /// Recreates a key from a ``rawValue`` read earlier. No mixing is applied.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Returns the child key for an integer path component such as a round or client id.
    ///
    /// For a fixed parent, distinct components always give distinct children. Deterministic.
    public func derived(_ component: UInt64) -> RandomKey {
        RandomKey(rawValue: StableMix.mix(StableMix.mix(rawValue ^ StableMix.integerDomain) ^ component))
    }

    /// Returns the child key for a textual path component such as `"round"` or `"dropout"`.
    ///
    /// The label's UTF-8 bytes are hashed with FNV-1a and a 64-bit finaliser, so the child
    /// depends on the exact bytes (no Unicode normalisation is applied). Deterministic.
    public func derived(_ label: String) -> RandomKey {
        RandomKey(
            rawValue: StableMix.mix(StableMix.mix(rawValue ^ StableMix.labelDomain) ^ StableMix.hash(label)))
    }

    /// The key as Philox sees it: low 32 bits in lane 0.
    var philoxKey: SIMD2<UInt32> {
        SIMD2(UInt32(truncatingIfNeeded: rawValue), UInt32(truncatingIfNeeded: rawValue >> 32))
    }
}
