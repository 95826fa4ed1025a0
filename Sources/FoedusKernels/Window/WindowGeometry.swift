/// A sliding 2-D window over NCHW images: the geometry shared by unfold/fold (im2col/col2im)
/// and pooling. PyTorch conventions: dilation 1 is dense, output size
/// `(H + 2·pad − dilation·(k − 1) − 1) / stride + 1`.
public struct WindowGeometry: Hashable, Sendable, CustomStringConvertible {
    public var channels: Int, height: Int, width: Int
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int
    public var dilationH: Int, dilationW: Int

    public init(channels: Int, height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) {
        self.channels = channels; self.height = height; self.width = width
        (kernelH, kernelW) = kernel
        (strideH, strideW) = stride
        (padH, padW) = padding
        (dilationH, dilationW) = dilation
    }

    /// The output columns `ox` whose input column `ox·strideW − padW + j·dilationW` lies inside
    /// the image, for kernel column `j`: the span where im2col copies instead of padding.
    @inlinable
    public func validColumns(kernelColumn j: Int) -> Range<Int> {
        let shift = padW - j * dilationW
        // ox·s ≥ shift and ox·s ≤ width − 1 + shift, with ceil/floor for either sign.
        let lo = shift <= 0 ? 0 : (shift + strideW - 1) / strideW
        let top = width - 1 + shift
        let hi = top < 0 ? 0 : Swift.min(outWidth, top / strideW + 1)
        return lo < hi ? lo..<hi : 0..<0
    }

    public var outHeight: Int { (height + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH + 1 }
    public var outWidth: Int { (width + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW + 1 }

    /// Nil when the geometry is usable, else what is wrong with it.
    public var problem: String? {
        if channels < 1 || height < 1 || width < 1 { return "empty input \(channels)x\(height)x\(width)" }
        if kernelH < 1 || kernelW < 1 { return "kernel \(kernelH)x\(kernelW) must be positive" }
        if strideH < 1 || strideW < 1 { return "stride \(strideH)x\(strideW) must be positive" }
        if dilationH < 1 || dilationW < 1 { return "dilation \(dilationH)x\(dilationW) must be positive" }
        if padH < 0 || padW < 0 { return "padding \(padH)x\(padW) must be non-negative" }
        if height + 2 * padH < dilationH * (kernelH - 1) + 1 || width + 2 * padW < dilationW * (kernelW - 1) + 1 {
            return "kernel \(kernelH)x\(kernelW) (dilation \(dilationH)x\(dilationW)) larger than padded input \(height + 2 * padH)x\(width + 2 * padW)"
        }
        return nil
    }

    public var description: String {
        "C\(channels) \(height)x\(width) k\(kernelH)x\(kernelW) s\(strideH)x\(strideW) p\(padH)x\(padW) d\(dilationH)x\(dilationW)"
    }
}
