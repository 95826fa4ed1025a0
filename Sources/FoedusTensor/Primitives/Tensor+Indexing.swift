import FoedusKernels

extension Tensor {
    private static func checkIndex(_ x: [Int], _ index: Tensor, _ axis: Int, _ op: String) {
        precondition(index.dtype == .int32, "[\(op)] index must be int32, got \(index.dtype)")
        precondition(index.rank == x.count && (0..<x.count).allSatisfy { $0 == axis || index.shape[$0] == x[$0] },
                     "[\(op)] index \(Shape.describe(index.shape)) must match \(Shape.describe(x)) except along axis \(axis)")
    }

    /// `out[..., j, ...] = self[..., index[..., j, ...], ...]` along `axis` (`torch.gather` with
    /// an index that matches the input outside `axis`).
    /// - Precondition: `index` is int32 and every entry lies in `0..<shape[axis]`.
    public func gathering(axis: Int, index: Tensor) -> Tensor {
        let a = Shape.axis(axis, rank: rank, op: "gather")
        Tensor.checkIndex(shape, index, a, "gather")
        let y: Tensor
        switch dtype {
        case .float32: y = Tensor.gatherKernel(self, a, index, Float.self)
        case .float64: y = Tensor.gatherKernel(self, a, index, Double.self)
        case .int32: y = Tensor.gatherKernel(self, a, index, Int32.self)
        }
        let inShape = shape
        return Autodiff.record(y, "gather", [self]) { ctx in
            [Tensor.zeros(inShape, dtype: ctx.cotangent.dtype).scatteringAdd(axis: a, index: index, source: ctx.cotangent)]
        }
    }

    /// A copy of `self` with `source[..., j, ...]` added at `[..., index[..., j, ...], ...]` along
    /// `axis` (`torch.scatter_add`). Differentiable in `self` and `source`.
    /// - Precondition: `index` is int32 with `source`'s shape; entries lie in `0..<shape[axis]`.
    public func scatteringAdd(axis: Int, index: Tensor, source: Tensor) -> Tensor {
        let a = Shape.axis(axis, rank: rank, op: "scatterAdd")
        Tensor.checkIndex(shape, index, a, "scatterAdd")
        precondition(source.shape == index.shape && source.dtype == dtype, "[scatterAdd] source \(source.dtype) \(Shape.describe(source.shape)) for index \(Shape.describe(index.shape)) into \(dtype)")
        var out = Tensor.uninitialized(shape: shape, dtype: dtype)
        out.storage.raw.copyMemory(from: storage.raw, byteCount: scalarCount * dtype.byteSize)
        let bad: Int?
        switch dtype {
        case .float32: bad = Tensor.scatterKernel(&out, a, index, source, Float.self)
        case .float64: bad = Tensor.scatterKernel(&out, a, index, source, Double.self)
        case .int32: bad = Tensor.scatterKernel(&out, a, index, source, Int32.self)
        }
        if let bad { preconditionFailure("[scatterAdd] index \(index.scalars(as: Int32.self)[bad]) at flat position \(bad) outside 0..<\(shape[a])") }
        return Autodiff.record(out, "scatterAdd", [self, source]) { ctx in
            [ctx.cotangent, ctx.cotangent.gathering(axis: a, index: index)]
        }
    }

    private static func gatherKernel<T: TensorElement>(_ x: Tensor, _ axis: Int, _ index: Tensor, _: T.Type) -> Tensor {
        var bad: Int?
        let y = compute(index.shape, T.self, keeping: [x, index]) { o in
            bad = IndexKernels.gather(x.pointer(T.self), xShape: x.shape, axis: axis, index: index.pointer(Int32.self), indexShape: index.shape, o)
        }
        if let bad { preconditionFailure("[gather] index \(index.scalars(as: Int32.self)[bad]) at flat position \(bad) outside 0..<\(x.shape[axis])") }
        return y
    }

    private static func scatterKernel<T: TensorElement & AdditiveArithmetic>(_ out: inout Tensor, _ axis: Int, _ index: Tensor, _ source: Tensor, _: T.Type) -> Int? {
        let o = out
        return withExtendedLifetime((o, index, source)) {
            IndexKernels.scatterAdd(source.pointer(T.self), index: index.pointer(Int32.self), indexShape: index.shape, axis: axis,
                                    o.storage.raw.assumingMemoryBound(to: T.self), outShape: o.shape)
        }
    }
}
