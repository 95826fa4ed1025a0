import FoedusKernels
import FoedusTensor

/// The geometry of a 2-D convolution, as ``Conv2d`` passes it to a ``LayerArithmetic``.
public struct ConvolutionGeometry: Sendable, Hashable {
    public var stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int

    public init(stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation && a.groups == b.groups
    }

    public func hash(into h: inout Hasher) {
        for v in [stride.0, stride.1, padding.0, padding.1, dilation.0, dilation.1, groups] { h.combine(v) }
    }
}

/// How convolutions and linear layers compute their products: the role quantization-aware and
/// fully quantized training play. Nil in a ``LayerContext`` means the float path.
///
/// `key` is the layer's random key (``LayerContext/layerKey``): stochastic gradient quantizers
/// draw from it, so a step is reproducible whatever the number of threads.
public protocol LayerArithmetic: Sendable {
    /// `conv2d(x, weight) + bias` over NCHW input and OIHW weights.
    func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry, mode: Mode, key: RandomKey?) -> Tensor
    /// `x·weightᵀ + bias` over `[N, in]` input and `[out, in]` weights.
    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, mode: Mode, key: RandomKey?) -> Tensor
}
