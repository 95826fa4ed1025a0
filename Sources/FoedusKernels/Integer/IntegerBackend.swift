import CFoedusKernels

/// Which implementation an integer kernel runs on.
///
/// `.automatic` picks the best one this CPU supports; the others exist so tests can run every
/// path on one machine. A backend the CPU lacks falls back to the next lower one
/// (`.vnni` → `.avx2` → `.scalar`).
public enum IntegerBackend: Int32, Sendable, CaseIterable {
    case automatic = 0
    /// Portable C loops.
    case scalar = 1
    /// AVX2 (`vpmaddwd` on widened int16 operands; exact).
    case avx2 = 2
    /// AVX-512 VNNI (`vpdpbusd`) and AVX-512 requantization.
    case vnni = 3

    /// The backend this request resolves to on the running CPU.
    public var resolved: IntegerBackend {
        IntegerBackend(rawValue: foedus_int_backend(rawValue)) ?? .scalar
    }
}
