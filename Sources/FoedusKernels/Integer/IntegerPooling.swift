import CFoedusKernels

/// 2×2 max-pooling (stride 2) of uint8 planes: the pooling of the integer-only models.
public enum IntegerPooling {
    /// `channels` planes of `size × size` values to planes of `size/2 × size/2`.
    /// - Precondition: `x.count == channels · size²`.
    public static func maxPool2(_ x: [UInt8], channels: Int, size: Int) -> [UInt8] {
        precondition(x.count == channels * size * size, "IntegerPooling.maxPool2: \(x.count) values for \(channels) planes of \(size)²")
        let half = size / 2
        var out = [UInt8](repeating: 0, count: channels * half * half)
        x.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                for c in 0..<channels {
                    let src = px.baseAddress! + c * size * size, dst = po.baseAddress! + c * half * half
                    for y in 0..<half {
                        for xx in 0..<half {
                            let a = src[2 * y * size + 2 * xx], b = src[2 * y * size + 2 * xx + 1]
                            let cc = src[(2 * y + 1) * size + 2 * xx], d = src[(2 * y + 1) * size + 2 * xx + 1]
                            dst[y * half + xx] = max(max(a, b), max(cc, d))
                        }
                    }
                }
            }
        }
        return out
    }

    /// 2×2 max-pooling of `images` channels-last uint8 images `[size, size, channels]` into
    /// `[size/2, size/2, channels]` (AVX-512 or portable by `backend`; the same bytes as
    /// ``maxPool2(_:channels:size:)`` on the transposed planes).
    public static func maxPool2ChannelsLast(_ x: UnsafePointer<UInt8>, images: Int, size: Int, channels: Int,
                                            into out: UnsafeMutablePointer<UInt8>, backend: IntegerBackend = .automatic) {
        foedus_maxpool2_nhwc_u8(x, images, size, size, channels, out, backend.rawValue)
    }
}
