import CFoedusKernels
import FoedusKernels

extension Tensor {
    /// 2-D max pooling over NCHW (stride defaults to the kernel). The gradient goes to the first
    /// maximum of each window, as in PyTorch; the selection is a gather, so derivatives of every
    /// order flow through it.
    /// - Precondition: padding ≤ half the kernel.
    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) -> Tensor {
        let s = stride ?? kernel
        let g = Tensor.windowGeometry(shape, kernel: kernel, stride: s, padding: padding, dilation: dilation, op: "maxPool2d")
        precondition(padding.0 * 2 <= kernel.0 && padding.1 * 2 <= kernel.1, "[maxPool2d] padding \(padding) exceeds half of kernel \(kernel)")
        guard dtype == .float32 else { return Tensor.maxPoolComposite(self, g) }
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3], oh = g.outHeight, ow = g.outWidth
        let twoByTwo = g.kernelH == 2 && g.kernelW == 2 && g.strideH == 2 && g.strideW == 2 && g.padH == 0 && g.padW == 0
            && g.dilationH == 1 && g.dilationW == 1
        let index = Tensor.uninitialized(shape: [n, c, oh, ow], dtype: .int32)
        let x = self
        let y = Tensor.compute([n, c, oh, ow], Float.self, keeping: [x, index]) { out in
            let ip = index.storage.raw.assumingMemoryBound(to: Int32.self)
            for i in 0..<n {
                foedus_maxpool_forward_f32(x.pointer(Float.self) + i * c * h * w, out + i * c * oh * ow, ip + i * c * oh * ow,
                                           c, h, w, g.kernelH, g.kernelW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW)
            }
        }
        return Autodiff.fused("maxPool2d", value: y, inputs: [self], firstOrder: { dy, _ in
            [Tensor.compute([n, c, h, w], Float.self, keeping: [dy, index]) { dx in
                for i in 0..<n {
                    if twoByTwo {
                        // Disjoint windows: every element written once, no zero fill first.
                        foedus_maxpool2x2_backward_f32(dy.pointer(Float.self) + i * c * oh * ow, index.pointer(Int32.self) + i * c * oh * ow,
                                                       dx + i * c * h * w, c, h, w, 1)
                    } else {
                        foedus_maxpool_backward_f32(dy.pointer(Float.self) + i * c * oh * ow, index.pointer(Int32.self) + i * c * oh * ow,
                                                    dx + i * c * h * w, c, h, w, oh, ow)
                    }
                }
            }]
        }, decomposition: { Tensor.maxPoolComposite($0[0], g) })
    }

    /// Max pooling as primitives: window argmax indices (constant) and a gather.
    static func maxPoolComposite(_ x: Tensor, _ g: WindowGeometry) -> Tensor {
        let n = x.shape[0], c = x.shape[1]
        let index = Tensor.maxPoolIndices(x.detached, g).reshaped([n, c, g.outHeight * g.outWidth])
        return x.reshaped([n, c, x.shape[2] * x.shape[3]]).gathering(axis: 2, index: index).reshaped([n, c, g.outHeight, g.outWidth])
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
