extension Tensor {
    /// 2-D max pooling over NCHW (stride defaults to the kernel). The gradient goes to the first
    /// maximum of each window, as in PyTorch; the selection is a gather, so derivatives of every
    /// order flow through it.
    /// - Precondition: padding ≤ half the kernel.
    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) -> Tensor {
        let s = stride ?? kernel
        let g = Tensor.windowGeometry(shape, kernel: kernel, stride: s, padding: padding, dilation: dilation, op: "maxPool2d")
        precondition(padding.0 * 2 <= kernel.0 && padding.1 * 2 <= kernel.1, "[maxPool2d] padding \(padding) exceeds half of kernel \(kernel)")
        let n = shape[0], c = shape[1]
        let index = Tensor.maxPoolIndices(detached, g).reshaped([n, c, g.outHeight * g.outWidth])
        return reshaped([n, c, shape[2] * shape[3]]).gathering(axis: 2, index: index).reshaped([n, c, g.outHeight, g.outWidth])
    }

    /// 2-D average pooling over NCHW (stride defaults to the kernel); padded zeros count in the
    /// divisor (PyTorch's default `count_include_pad=True`).
    public func avgPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor {
        let s = stride ?? kernel
        let g = Tensor.windowGeometry(shape, kernel: kernel, stride: s, padding: padding, dilation: (1, 1), op: "avgPool2d")
        let n = shape[0], c = shape[1], k = kernel.0 * kernel.1
        return Tensor.unfold(self, g).reshaped([n, c, k, g.outHeight * g.outWidth]).mean(axes: [2]).reshaped([n, c, g.outHeight, g.outWidth])
    }

    /// Mean over the spatial dimensions: `[N, C, H, W]` → `[N, C]`.
    public func globalAvgPool2d() -> Tensor {
        precondition(rank == 4, "[globalAvgPool2d] needs NCHW, got \(Shape.describe(shape))")
        return mean(axes: [2, 3])
    }
}
