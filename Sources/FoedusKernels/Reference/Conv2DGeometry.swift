/// The shape of a 2-D convolution, in PyTorch's conventions.
///
/// Layouts used by every convolution kernel in this module (all contiguous, row-major):
/// - input `x`: NCHW, `[batch, inChannels, height, width]`;
/// - weights `w`: OIHW, `[outChannels, inChannels / groups, kernelH, kernelW]`;
/// - output `y`: NCHW, `[batch, outChannels, outHeight, outWidth]`.
///
/// Padding is symmetric (`padH` rows above and below, `padW` columns left and right), and a
/// dilation of 1 means a dense kernel. Output sizes are floored as in PyTorch, so trailing input
/// rows or columns that no window reaches are ignored by the forward pass and receive a zero
/// gradient.
public struct Conv2DGeometry: Hashable, Sendable {
    public var batch: Int
    public var inChannels: Int
    public var height: Int
    public var width: Int
    public var outChannels: Int
    public var kernelH: Int
    public var kernelW: Int
    public var strideH: Int
    public var strideW: Int
    public var padH: Int
    public var padW: Int
    public var dilationH: Int
    public var dilationW: Int
    public var groups: Int

    /// Creates a geometry; no validation happens here, check `isValid` or `validationError`.
    public init(
        batch: Int, inChannels: Int, height: Int, width: Int,
        outChannels: Int, kernelH: Int, kernelW: Int,
        strideH: Int = 1, strideW: Int = 1,
        padH: Int = 0, padW: Int = 0,
        dilationH: Int = 1, dilationW: Int = 1,
        groups: Int = 1
    ) {
        self.batch = batch
        self.inChannels = inChannels
        self.height = height
        self.width = width
        self.outChannels = outChannels
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.strideH = strideH
        self.strideW = strideW
        self.padH = padH
        self.padW = padW
        self.dilationH = dilationH
        self.dilationW = dilationW
        self.groups = groups
    }

    /// `(height + 2·padH − dilationH·(kernelH − 1) − 1) / strideH + 1`, floored (PyTorch).
    /// 0 when no window fits (an invalid geometry).
    public var outHeight: Int {
        Self.outputExtent(height, kernelH, strideH, padH, dilationH)
    }

    /// `(width + 2·padW − dilationW·(kernelW − 1) − 1) / strideW + 1`, floored (PyTorch).
    /// 0 when no window fits (an invalid geometry).
    public var outWidth: Int {
        Self.outputExtent(width, kernelW, strideW, padW, dilationW)
    }

    /// Input channels per group, `inChannels / groups`.
    public var inChannelsPerGroup: Int { inChannels / groups }

    /// Output channels per group, `outChannels / groups`.
    public var outChannelsPerGroup: Int { outChannels / groups }

    /// Number of elements of `x`: `batch·inChannels·height·width`.
    public var inputCount: Int { batch * inChannels * height * width }

    /// Number of elements of `w`: `outChannels·(inChannels / groups)·kernelH·kernelW`.
    public var weightCount: Int { outChannels * inChannelsPerGroup * kernelH * kernelW }

    /// Number of elements of `y`: `batch·outChannels·outHeight·outWidth`.
    public var outputCount: Int { batch * outChannels * outHeight * outWidth }

    /// Multiply-adds of one forward pass (the backward passes cost the same).
    public var multiplyAdds: Int {
        batch * outChannels * outHeight * outWidth * inChannelsPerGroup * kernelH * kernelW
    }

    /// A description of the first violated constraint, or `nil` when the geometry is usable.
    ///
    /// Constraints: every size, stride, dilation and `groups` ≥ 1; padding ≥ 0; `groups` divides
    /// both channel counts; the output is at least 1×1.
    public var validationError: String? {
        let positive: [(String, Int)] = [
            ("batch", batch), ("inChannels", inChannels), ("height", height), ("width", width),
            ("outChannels", outChannels), ("kernelH", kernelH), ("kernelW", kernelW),
            ("strideH", strideH), ("strideW", strideW), ("dilationH", dilationH),
            ("dilationW", dilationW), ("groups", groups),
        ]
        for (name, value) in positive where value < 1 {
            return "\(name) must be at least 1, got \(value)"
        }
        if padH < 0 || padW < 0 {
            return "padding must be non-negative, got (\(padH), \(padW))"
        }
        if inChannels % groups != 0 || outChannels % groups != 0 {
            return "groups (\(groups)) must divide inChannels (\(inChannels)) and outChannels (\(outChannels))"
        }
        if outHeight < 1 || outWidth < 1 {
            return "the dilated kernel (\(kernelH)x\(kernelW), dilation \(dilationH)x\(dilationW)) does not fit the padded input (\(height)x\(width), padding \(padH)x\(padW))"
        }
        return nil
    }

    /// `validationError == nil`.
    public var isValid: Bool { validationError == nil }

    private static func outputExtent(_ size: Int, _ kernel: Int, _ stride: Int, _ pad: Int, _ dilation: Int) -> Int {
        guard stride >= 1 else { return 0 }
        let span = size + 2 * pad - dilation * (kernel - 1) - 1
        // A negative span means no window fits; report 0 rather than a truncated quotient.
        return span >= 0 ? span / stride + 1 : 0
    }
}
