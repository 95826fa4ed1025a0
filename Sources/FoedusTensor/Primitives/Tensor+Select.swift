import FoedusKernels

extension Tensor {
    /// Elementwise `condition != 0 ? a : b` with broadcasting over all three; the condition is
    /// not differentiated.
    public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        checkSameFloat(a, b, "select")
        checkSameFloat(condition, a, "select")
        guard let ab = Shape.broadcast(a.shape, b.shape), let shape = Shape.broadcast(condition.shape, ab) else {
            preconditionFailure("[select] shapes \(Shape.describe(condition.shape)), \(Shape.describe(a.shape)), \(Shape.describe(b.shape)) do not broadcast")
        }
        let y: Tensor
        switch a.dtype {
        case .float32: y = selectKernel(condition, a, b, shape, Float.self)
        case .float64: y = selectKernel(condition, a, b, shape, Double.self)
        case .int32: a.requireFloat("select")
        }
        let mask = condition.detached
        return Autodiff.record(y, "select", [a, b]) { ctx in
            let g = ctx.cotangent, zero = g.scalarLike(0)
            return [select(mask, g, zero).sum(toShape: ctx.inputs[0].shape),
                    select(mask, zero, g).sum(toShape: ctx.inputs[1].shape)]
        }
    }

    static func selectKernel<T: TensorFloat>(_ c: Tensor, _ a: Tensor, _ b: Tensor, _ shape: [Int], _: T.Type) -> Tensor {
        compute(shape, T.self, keeping: [c, a, b]) { o in
            ElementwiseKernels.selectFast(c.pointer(T.self), strides: Shape.broadcastStrides(c.shape, to: shape),
                                      a.pointer(T.self), strides: Shape.broadcastStrides(a.shape, to: shape),
                                      b.pointer(T.self), strides: Shape.broadcastStrides(b.shape, to: shape),
                                      o, shape: shape)
        }
    }
}
