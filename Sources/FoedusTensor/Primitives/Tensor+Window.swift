import FoedusKernels

/// Unfold (im2col) and fold (col2im): mutually adjoint linear primitives over NCHW images.
extension Tensor {
    static func windowGeometry(_ x: [Int], kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), op: String) -> WindowGeometry {
        precondition(x.count == 4, "[\(op)] needs an NCHW tensor, got \(Shape.describe(x))")
        let g = WindowGeometry(channels: x[1], height: x[2], width: x[3], kernel: kernel, stride: stride, padding: padding, dilation: dilation)
        if let problem = g.problem { preconditionFailure("[\(op)] \(problem) for input \(Shape.describe(x))") }
        return g
    }

    /// Sliding windows as columns: `[N, C, H, W]` → `[N, C·kh·kw, oh·ow]` (PyTorch's `unfold`).
    public func unfolded(kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) -> Tensor {
        let g = Tensor.windowGeometry(shape, kernel: kernel, stride: stride, padding: padding, dilation: dilation, op: "unfold")
        return Tensor.unfold(self, g)
    }

    /// The adjoint of ``unfolded(kernel:stride:padding:dilation:)``: sums columns
    /// `[N, C·kh·kw, L]` back into `[N, C, H, W]` (PyTorch's `fold`).
    public func folded(outputSize: (Int, Int), kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) -> Tensor {
        precondition(rank == 3, "[fold] needs [N, C·kh·kw, L], got \(Shape.describe(shape))")
        let k = kernel.0 * kernel.1
        precondition(k > 0 && shape[1] % k == 0, "[fold] \(shape[1]) rows are not a multiple of kernel \(kernel)")
        let g = Tensor.windowGeometry([shape[0], shape[1] / k, outputSize.0, outputSize.1], kernel: kernel, stride: stride, padding: padding, dilation: dilation, op: "fold")
        precondition(shape[2] == g.outHeight * g.outWidth, "[fold] \(shape[2]) columns for \(g.outHeight)x\(g.outWidth) windows of \(g)")
        return Tensor.fold(self, g)
    }

    static func unfold(_ x: Tensor, _ g: WindowGeometry) -> Tensor {
        let n = x.shape[0], rows = g.channels * g.kernelH * g.kernelW, l = g.outHeight * g.outWidth
        let imageSize = g.channels * g.height * g.width
        let y: Tensor
        switch x.dtype {
        case .float32: y = compute([n, rows, l], Float.self, keeping: [x]) { o in for i in 0..<n { WindowKernels.unfold(x.pointer(Float.self) + i * imageSize, o + i * rows * l, g) } }
        case .float64: y = compute([n, rows, l], Double.self, keeping: [x]) { o in for i in 0..<n { WindowKernels.unfold(x.pointer(Double.self) + i * imageSize, o + i * rows * l, g) } }
        case .int32: x.requireFloat("unfold")
        }
        return Autodiff.record(y, "unfold", [x]) { ctx in [fold(ctx.cotangent, g)] }
    }

    static func fold(_ cols: Tensor, _ g: WindowGeometry) -> Tensor {
        let n = cols.shape[0], rows = g.channels * g.kernelH * g.kernelW, l = g.outHeight * g.outWidth
        let imageSize = g.channels * g.height * g.width
        let shape = [n, g.channels, g.height, g.width]
        let y: Tensor
        switch cols.dtype {
        case .float32: y = compute(shape, Float.self, keeping: [cols]) { o in for i in 0..<n { WindowKernels.fold(cols.pointer(Float.self) + i * rows * l, o + i * imageSize, g) } }
        case .float64: y = compute(shape, Double.self, keeping: [cols]) { o in for i in 0..<n { WindowKernels.fold(cols.pointer(Double.self) + i * rows * l, o + i * imageSize, g) } }
        case .int32: cols.requireFloat("fold")
        }
        return Autodiff.record(y, "fold", [cols]) { ctx in [unfold(ctx.cotangent, g)] }
    }

    /// For each window of a max-pool, the flat index `y·W + x` of its maximum within its
    /// channel: an int32 tensor `[N, C, oh, ow]` (not differentiable).
    static func maxPoolIndices(_ x: Tensor, _ g: WindowGeometry) -> Tensor {
        let n = x.shape[0], l = g.channels * g.outHeight * g.outWidth, imageSize = g.channels * g.height * g.width
        let shape = [n, g.channels, g.outHeight, g.outWidth]
        switch x.dtype {
        case .float32: return compute(shape, Int32.self, keeping: [x]) { o in for i in 0..<n { WindowKernels.maxPoolIndices(x.pointer(Float.self) + i * imageSize, o + i * l, g) } }
        case .float64: return compute(shape, Int32.self, keeping: [x]) { o in for i in 0..<n { WindowKernels.maxPoolIndices(x.pointer(Double.self) + i * imageSize, o + i * l, g) } }
        case .int32: x.requireFloat("maxPool2d")
        }
    }
}
