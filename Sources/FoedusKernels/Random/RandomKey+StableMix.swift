/// Fixed, platform-independent 64-bit mixing used to derive random keys.
enum StableMix {
    // Domain tags keep seeds, integer components and labels from ever aliasing one another.
    // They are the ASCII bytes of "foedus/s", "foedus/i" and "foedus/l".
    static let seedDomain: UInt64 = 0x666F_6564_7573_2F73
    static let integerDomain: UInt64 = 0x666F_6564_7573_2F69
    static let labelDomain: UInt64 = 0x666F_6564_7573_2F6C

    /// A bijective 64-bit finaliser with full avalanche (xor-shift / multiply, the
    /// "Mix13" constants of D. Stafford's variant study, as in SplitMix64).
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a over the UTF-8 bytes, with the length folded in, then finalised with `mix`.
    static func hash(_ label: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        var length: UInt64 = 0
        for byte in label.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            length &+= 1
        }
        // FNV-1a alone mixes its last bytes poorly; the finaliser fixes the avalanche.
        return mix(hash ^ (length &* 0x9E37_79B9_7F4A_7C15))
    }
}
