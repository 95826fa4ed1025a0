import FoedusTensor

/// 2-D convolution over NCHW with OIHW weights `[out, in/groups, kh, kw]` (PyTorch's `nn.Conv2d`).
public struct Conv2d: Layer {
    public let inChannels: Int, outChannels: Int
    public let kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    public let groups: Int, hasBias: Bool

    public init(_ inChannels: Int, _ outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true) {
        precondition(inChannels > 0 && outChannels > 0 && groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "[Conv2d] channels \(inChannels)→\(outChannels) with \(groups) groups")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.hasBias = bias
    }

    /// A square-kernel convolution.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize k: Int, stride s: Int = 1, padding p: Int = 0, groups: Int = 1, bias: Bool = true) {
        self.init(inChannels, outChannels, kernel: (k, k), stride: (s, s), padding: (p, p), groups: groups, bias: bias)
    }

    var fanIn: Int { inChannels / groups * kernel.0 * kernel.1 }

    public func declare(into b: inout ParameterBuilder) {
        b.parameter("weight", shape: [outChannels, inChannels / groups, kernel.0, kernel.1], .pytorchDefault(fanIn: fanIn))
        if hasBias { b.parameter("bias", shape: [outChannels], .pytorchDefault(fanIn: fanIn)) }
    }

    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor {
        if let arithmetic = c.arithmetic {
            return arithmetic.conv2d(x, weight: c.parameter("weight"), bias: hasBias ? c.parameter("bias") : nil,
                                     geometry: ConvolutionGeometry(stride: stride, padding: padding, dilation: dilation, groups: groups),
                                     mode: c.mode, key: c.layerKey)
        }
        return Tensor.conv2d(x, weight: c.parameter("weight"), bias: hasBias ? c.parameter("bias") : nil,
                      stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}
