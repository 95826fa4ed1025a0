import FoedusKernels

extension IntegerResNet {
    /// The scalar, channel-first (NCHW) twin of ``logits(pixels:batch:)``: direct convolution
    /// loops (``FoedusKernels/IntegerConv2D/reference(_:weights:batch:inChannels:h:w:outChannels:kernel:stride:padding:dilation:groups:zeroPoint:bias:)``),
    /// one requantizer call per value, the reference i-GroupNorm, the reference GEMM. Slow; the
    /// oracle the fast path is tested against.
    public func logitsReference(pixels: [UInt8], batch: Int) -> [Int32] {
        let c = inputChannels, size = imageSize, padded = size + 2
        precondition(pixels.count == batch * c * size * size, "[IntegerResNet] \(pixels.count) pixels for \(batch) images of \(c)×\(size)×\(size)")
        var x = [Int32](repeating: 0, count: batch * c * padded * padded)
        for n in 0..<batch {
            for k in 0..<c {
                for y in 0..<padded {
                    for xx in 0..<padded {
                        let inside = (1...size).contains(y) && (1...size).contains(xx)
                        x[((n * c + k) * padded + y) * padded + xx] = inside ? Int32(pixels[((n * c + k) * size + y - 1) * size + xx - 1]) : inputZeroPoints[k]
                    }
                }
            }
        }
        var h = stem.reference(x, batch: batch, size: padded)
        var current = size
        for block in blocks {
            let out = block.conv1.outputSize(current)
            let main = block.conv2.reference(block.conv1.reference(h, batch: batch, size: current), batch: batch, size: out)
            let skip: [Int32]
            switch block.shortcut {
            case .identity(let r): skip = h.map { r.requantize($0) }
            case .projection(let unit): skip = unit.reference(h, batch: batch, size: current)
            }
            h = zip(main, skip).map { block.output.requantize($0 &+ $1) }
            current = out
        }
        let channels = head.inFeatures, spatial = current * current
        let features = (0..<(batch * channels)).map { i in
            pool.requantize((0..<spatial).reduce(Int32(0)) { $0 &+ h[i * spatial + $1] })
        }
        var weights = [Int8](repeating: 0, count: head.weights.count)
        for o in 0..<head.outFeatures { for k in 0..<channels { weights[k * head.outFeatures + o] = head.weights[o * channels + k] } }
        let acc = IntegerGEMM.reference(features, weights, m: batch, n: head.outFeatures, k: channels, bias: head.bias)
        return acc.indices.map { head.requantizers[$0 % head.outFeatures].requantize(acc[$0]) }
    }
}

extension IntegerResNet.Unit {
    /// NCHW reference pass of one unit on `[batch, inChannels, size, size]` values (zero point 0).
    func reference(_ x: [Int32], batch: Int, size: Int) -> [Int32] {
        let out = outputSize(size), spatial = out * out
        let acc = IntegerConv2D.reference(x, weights: weights, batch: batch, inChannels: inChannels, h: size, w: size, outChannels: outChannels,
                                          kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding), dilation: (1, 1),
                                          groups: 1, zeroPoint: 0, bias: bias)
        switch norm {
        case .folded(let r):
            return acc.indices.map { r[($0 / spatial) % outChannels].requantize(acc[$0]) }
        case .group(let pre, let groupNorm, _, _, _, _):
            return groupNorm(acc.indices.map { pre[($0 / spatial) % outChannels].requantize(acc[$0]) })
        }
    }
}
