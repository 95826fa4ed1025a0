/// Layout steps of the FQT backward pass over NCHW `[N, O, L]` gradients.
extension IntegerTraining {
    /// G `[N, O, L]` transposed to `[N·L, O]`.
    public static func pixelsByChannels(_ g: UnsafeBufferPointer<Float>, samples n: Int, channels o: Int, pixels l: Int) -> [Float] {
        precondition(g.count == n * o * l, "IntegerTraining.pixelsByChannels: \(g.count) values for \(n)×\(o)×\(l)")
        var transposed = [Float](repeating: 0, count: g.count)
        // Tiles of 16 pixels: reads stay on 16-float runs of each channel and writes fill 16
        // consecutive rows of O floats, instead of one strided write per value.
        let tile = 16
        transposed.withUnsafeMutableBufferPointer { t in
            for s in 0..<n {
                let src = g.baseAddress! + s * o * l, dst = t.baseAddress! + s * l * o
                for p0 in stride(from: 0, to: l, by: tile) {
                    let p1 = Swift.min(p0 + tile, l)
                    for c in 0..<o {
                        let row = src + c * l
                        for p in p0..<p1 { dst[p * o + c] = row[p] }
                    }
                }
            }
        }
        return transposed
    }

    /// `G·diag(s)`: channel `c` of every sample of an NCHW `[N, O, L]` tensor times `scales[c]`.
    public static func scaledByChannel(_ g: UnsafeBufferPointer<Float>, samples n: Int, channels o: Int, pixels l: Int, scales weightSteps: [Float]) -> [Float] {
        precondition(g.count == n * o * l && weightSteps.count == o, "IntegerTraining.scaledByChannel: \(g.count) values, \(weightSteps.count) steps for \(n)×\(o)×\(l)")
        var scaled = [Float](repeating: 0, count: g.count)
        scaled.withUnsafeMutableBufferPointer { t in
            for s in 0..<n {
                for c in 0..<o {
                    let off = (s * o + c) * l, w = weightSteps[c]
                    for p in 0..<l { t[off + p] = g[off + p] * w }
                }
            }
        }
        return scaled
    }
}
