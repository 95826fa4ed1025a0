import CFoedusKernels

/// The small integer passes of residual networks around the convolutions: padding the input
/// with per-channel zero points, the identity shortcut's add, and global sum pooling, all on
/// channels-last (NHWC) data.
public enum IntegerResidual {
    /// NCHW uint8 images `[images, channels, size, size]` → NHWC `[images, size + 2p, size + 2p, channels]`
    /// framed by `p` pixels whose channel `c` holds `zeroPoints[c]`.
    /// - Precondition: `zeroPoints.count == channels`, each in `0…255`.
    public static func padChannelsLast(_ x: UnsafePointer<UInt8>, images: Int, channels c: Int, size: Int, padding: Int,
                                       zeroPoints: [Int32], into out: UnsafeMutablePointer<UInt8>) {
        precondition(zeroPoints.count == c && zeroPoints.allSatisfy { (0...255).contains($0) }, "IntegerResidual: zero points \(zeroPoints)")
        let padded = size + 2 * padding
        let fill = zeroPoints.map { UInt8($0) }
        for n in 0..<images {
            let image = x + n * c * size * size, target = out + n * padded * padded * c
            if c == 1 {
                // One channel (grayscale): NCHW and NHWC rows coincide, so whole rows are copied.
                target.update(repeating: fill[0], count: padded * padded)
                for y in 0..<size { (target + (y + padding) * padded + padding).update(from: image + y * size, count: size) }
                continue
            }
            for p in 0..<(padded * padded) { for k in 0..<c { target[p * c + k] = fill[k] } }
            for k in 0..<c {
                for y in 0..<size {
                    let row = image + (k * size + y) * size, dst = target + ((y + padding) * padded + padding) * c + k
                    for x in 0..<size { dst[x * c] = row[x] }
                }
            }
        }
    }

    /// `sum[i] += table[x[i]]` for `count` values: an identity shortcut, whose requantization of
    /// each input byte is tabulated (`table` has 256 entries).
    public static func addTabulated(_ x: UnsafePointer<UInt8>, table: [Int32], count: Int, into sum: UnsafeMutablePointer<Int32>) {
        precondition(table.count == 256, "IntegerResidual: a byte table needs 256 entries, got \(table.count)")
        table.withUnsafeBufferPointer { t in
            for i in 0..<count { sum[i] &+= t[Int(x[i])] }
        }
    }

    /// `sum[i] += y[i]` for `count` values (wrapping; callers keep both terms inside ±2³⁰).
    public static func add(_ y: UnsafePointer<Int32>, count: Int, into sum: UnsafeMutablePointer<Int32>) {
        for i in 0..<count { sum[i] &+= y[i] }
    }

    /// Per image and channel, the sum over `spatial` pixels of channels-last uint8 activations:
    /// `[images, spatial, channels]` → `[images, channels]` int32 (exact below 2³¹ / 255 pixels).
    /// The C kernel (`foedus_sumpool_nhwc_u8`, AVX-512 or portable by `backend`); equals
    /// ``sumPoolChannelsLastReference(_:images:spatial:channels:into:)``.
    public static func sumPoolChannelsLast(_ x: UnsafePointer<UInt8>, images: Int, spatial: Int, channels c: Int,
                                           into sums: UnsafeMutablePointer<Int32>, backend: IntegerBackend = .automatic) {
        foedus_sumpool_nhwc_u8(x, images, spatial, c, sums, backend.rawValue)
    }

    /// The scalar reference twin of ``sumPoolChannelsLast(_:images:spatial:channels:into:backend:)``.
    public static func sumPoolChannelsLastReference(_ x: UnsafePointer<UInt8>, images: Int, spatial: Int, channels c: Int,
                                                    into sums: UnsafeMutablePointer<Int32>) {
        for n in 0..<images {
            let image = x + n * spatial * c, s = sums + n * c
            for k in 0..<c { s[k] = 0 }
            for p in 0..<spatial { for k in 0..<c { s[k] &+= Int32(image[p * c + k]) } }
        }
    }
}
