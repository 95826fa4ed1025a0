/// SHA-256 (FIPS 180-4), used to detect corrupt checkpoint blobs.
///
/// A plain-Swift implementation so the store needs no crypto dependency; it is checked against
/// the FIPS 180-2 example vectors in the tests.
public enum SHA256 {
    /// Length of a digest in bytes.
    public static let digestByteCount = 32

    /// The SHA-256 digest of `bytes` (32 bytes).
    ///
    /// Complexity: O(n) in `bytes.count`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var state = initialState
        // A local copy: reading the global inside the round loop costs a lazy-init check per access.
        let constants = roundConstants
        var schedule = [UInt32](repeating: 0, count: 64)
        let fullBlocksEnd = bytes.count - bytes.count % 64
        var offset = 0
        while offset < fullBlocksEnd {
            compress(&state, &schedule, constants, bytes, offset)
            offset += 64
        }
        let tail = paddedTail(bytes, from: fullBlocksEnd)
        var tailOffset = 0
        while tailOffset < tail.count {
            compress(&state, &schedule, constants, tail, tailOffset)
            tailOffset += 64
        }
        var digest = [UInt8]()
        digest.reserveCapacity(digestByteCount)
        for word in state {
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word))
        }
        return digest
    }

    /// The SHA-256 digest of `bytes` as 64 lowercase hexadecimal digits.
    ///
    /// Complexity: O(n) in `bytes.count`.
    public static func hexDigest(_ bytes: [UInt8]) -> String {
        hexString(hash(bytes))
    }

    /// `bytes` as lowercase hexadecimal, two digits per byte.
    public static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The message bytes after the last full block, then 0x80, zeros and the bit length (big-endian),
    /// so that the result is one or two whole blocks.
    static func paddedTail(_ bytes: [UInt8], from start: Int) -> [UInt8] {
        var tail = Array(bytes[start...])
        tail.append(0x80)
        while tail.count % 64 != 56 {
            tail.append(0)
        }
        let bitLength = UInt64(bytes.count) &* 8
        for shift in stride(from: 56, through: 0, by: -8) {
            tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        return tail
    }

    /// Processes the 64-byte block of `bytes` at `offset`; `schedule` is 64 words of scratch space
    /// and `constants` is `roundConstants`.
    static func compress(
        _ state: inout [UInt32], _ schedule: inout [UInt32], _ constants: [UInt32], _ bytes: [UInt8], _ offset: Int
    ) {
        for t in 0..<16 {
            let i = offset + 4 * t
            schedule[t] = UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16
                | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
        }
        for t in 16..<64 {
            let w15 = schedule[t - 15]
            let w2 = schedule[t - 2]
            let s0 = rotateRight(w15, 7) ^ rotateRight(w15, 18) ^ (w15 >> 3)
            let s1 = rotateRight(w2, 17) ^ rotateRight(w2, 19) ^ (w2 >> 10)
            schedule[t] = schedule[t - 16] &+ s0 &+ schedule[t - 7] &+ s1
        }
        var a = state[0], b = state[1], c = state[2], d = state[3]
        var e = state[4], f = state[5], g = state[6], h = state[7]
        for t in 0..<64 {
            let s1 = rotateRight(e, 6) ^ rotateRight(e, 11) ^ rotateRight(e, 25)
            let choice = (e & f) ^ (~e & g)
            let temp1 = h &+ s1 &+ choice &+ constants[t] &+ schedule[t]
            let s0 = rotateRight(a, 2) ^ rotateRight(a, 13) ^ rotateRight(a, 22)
            let majority = (a & b) ^ (a & c) ^ (b & c)
            let temp2 = s0 &+ majority
            h = g
            g = f
            f = e
            e = d &+ temp1
            d = c
            c = b
            b = a
            a = temp1 &+ temp2
        }
        state[0] &+= a
        state[1] &+= b
        state[2] &+= c
        state[3] &+= d
        state[4] &+= e
        state[5] &+= f
        state[6] &+= g
        state[7] &+= h
    }

    @inline(__always)
    static func rotateRight(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x >> n) | (x << (32 - n))
    }

    /// First 32 bits of the fractional parts of the square roots of the first 8 primes.
    static let initialState: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]

    /// First 32 bits of the fractional parts of the cube roots of the first 64 primes.
    static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
}
