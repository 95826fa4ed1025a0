extension ReferenceKernels {
    /// Direct 2-D convolution (cross-correlation, as in PyTorch) without bias:
    /// `y[n, o, oh, ow] = Σ_{c, kh, kw} x[n, g·Cg + c, oh·sH − pH + kh·dH, ow·sW − pW + kw·dW] · w[o, c, kh, kw]`,
    /// where `g = o / (outChannels / groups)`, `Cg = inChannels / groups` and taps that fall in
    /// the padding contribute zero.
    ///
    /// - Layouts: see `Conv2DGeometry` (x NCHW, w OIHW with `inChannels / groups` input
    ///   channels, y NCHW); `y` is overwritten.
    /// - Precondition: `geometry.isValid`.
    /// - Complexity: `geometry.multiplyAdds`.
    public static func conv2dForward<T: BinaryFloatingPoint>(
        x: UnsafePointer<T>, w: UnsafePointer<T>, y: UnsafeMutablePointer<T>,
        geometry: Conv2DGeometry
    ) {
        precondition(geometry.isValid, "ReferenceKernels.conv2dForward: \(geometry.validationError ?? "")")
        y.initialize(repeating: 0, count: geometry.outputCount)
        forEachTap(geometry) { xIndex, wIndex, yIndex in
            y[yIndex] += x[xIndex] * w[wIndex]
        }
    }

    /// Gradient of `conv2dForward` with respect to its input: the adjoint of the forward map,
    /// `gradInput[xIndex] = Σ gradOutput[yIndex] · w[wIndex]` over every tap linking them.
    ///
    /// - Layouts: `gradOutput` like `y`, `w` OIHW, `gradInput` like `x` (overwritten; entries no
    ///   window reaches are zero).
    /// - Precondition: `geometry.isValid`.
    /// - Complexity: `geometry.multiplyAdds`.
    public static func conv2dBackwardData<T: BinaryFloatingPoint>(
        gradOutput: UnsafePointer<T>, w: UnsafePointer<T>, gradInput: UnsafeMutablePointer<T>,
        geometry: Conv2DGeometry
    ) {
        precondition(geometry.isValid, "ReferenceKernels.conv2dBackwardData: \(geometry.validationError ?? "")")
        gradInput.initialize(repeating: 0, count: geometry.inputCount)
        forEachTap(geometry) { xIndex, wIndex, yIndex in
            gradInput[xIndex] += gradOutput[yIndex] * w[wIndex]
        }
    }

    /// Gradient of `conv2dForward` with respect to its weights:
    /// `gradWeight[wIndex] = Σ gradOutput[yIndex] · x[xIndex]` over every tap linking them,
    /// summed over the batch.
    ///
    /// - Layouts: `x` NCHW, `gradOutput` like `y`, `gradWeight` OIHW (overwritten).
    /// - Precondition: `geometry.isValid`.
    /// - Complexity: `geometry.multiplyAdds`.
    public static func conv2dBackwardWeights<T: BinaryFloatingPoint>(
        x: UnsafePointer<T>, gradOutput: UnsafePointer<T>, gradWeight: UnsafeMutablePointer<T>,
        geometry: Conv2DGeometry
    ) {
        precondition(geometry.isValid, "ReferenceKernels.conv2dBackwardWeights: \(geometry.validationError ?? "")")
        gradWeight.initialize(repeating: 0, count: geometry.weightCount)
        forEachTap(geometry) { xIndex, wIndex, yIndex in
            gradWeight[wIndex] += gradOutput[yIndex] * x[xIndex]
        }
    }

    /// Calls `body(xIndex, wIndex, yIndex)` once for every (output, weight) pair whose input tap
    /// lies inside the unpadded input: the single definition the three passes share, so they are
    /// adjoint by construction.
    private static func forEachTap(_ g: Conv2DGeometry, _ body: (Int, Int, Int) -> Void) {
        let inPerGroup = g.inChannelsPerGroup
        let outPerGroup = g.outChannelsPerGroup
        let outH = g.outHeight
        let outW = g.outWidth
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                let group = o / outPerGroup
                for oh in 0..<outH {
                    for ow in 0..<outW {
                        let yIndex = ((n * g.outChannels + o) * outH + oh) * outW + ow
                        for c in 0..<inPerGroup {
                            let inChannel = group * inPerGroup + c
                            for kh in 0..<g.kernelH {
                                let ih = oh * g.strideH - g.padH + kh * g.dilationH
                                if ih < 0 || ih >= g.height { continue }
                                for kw in 0..<g.kernelW {
                                    let iw = ow * g.strideW - g.padW + kw * g.dilationW
                                    if iw < 0 || iw >= g.width { continue }
                                    let xIndex = ((n * g.inChannels + inChannel) * g.height + ih) * g.width + iw
                                    let wIndex = ((o * inPerGroup + c) * g.kernelH + kh) * g.kernelW + kw
                                    body(xIndex, wIndex, yIndex)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
