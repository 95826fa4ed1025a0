import FoedusKernels

extension Tensor {
    private func normalizedAxes(_ axes: [Int], _ op: String) -> [Int] {
        let a = Set(axes.map { Shape.axis($0, rank: rank, op: op) })
        precondition(a.count == axes.count, "[\(op)] repeated axis in \(axes)")
        return a.sorted()
    }

    private func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
        keepDims ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
                 : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    private func reduceKernel<T: TensorFloat>(_ axes: [Int], _: T.Type, isMax: Bool) -> Tensor {
        let keep = reducedShape(axes, keepDims: true)
        let out = Tensor.full(isMax ? -Double.infinity : 0, shape: keep, dtype: dtype)
        let outStrides = Shape.broadcastStrides(keep, to: shape)
        withExtendedLifetime((self, out)) {
            ElementwiseKernels.reduceFast(pointer(T.self), shape: shape, out.storage.raw.assumingMemoryBound(to: T.self), outStrides: outStrides, isMax: isMax)
        }
        return out
    }

    /// Sum over `axes` (all axes when nil); removes them unless `keepDims`.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes ?? Array(0..<rank), "sum")
        let kept: Tensor
        switch dtype {
        case .float32: kept = reduceKernel(ax, Float.self, isMax: false)
        case .float64: kept = reduceKernel(ax, Double.self, isMax: false)
        case .int32: requireFloat("sum")
        }
        let y = keepDims ? kept : kept.rawReshaped(reducedShape(ax, keepDims: false))
        let keepShape = reducedShape(ax, keepDims: true), inShape = shape
        return Autodiff.record(y, "sum", [self]) { ctx in
            [ctx.cotangent.reshaped(keepShape).broadcast(to: inShape)]
        }
    }

    /// Maximum over `axes` (all when nil). The gradient is shared equally among tied maxima.
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes ?? Array(0..<rank), "max")
        precondition(scalarCount > 0 && ax.allSatisfy { shape[$0] > 0 }, "[max] empty reduction over shape \(Shape.describe(shape))")
        let kept: Tensor
        switch dtype {
        case .float32: kept = reduceKernel(ax, Float.self, isMax: true)
        case .float64: kept = reduceKernel(ax, Double.self, isMax: true)
        case .int32: requireFloat("max")
        }
        let y = keepDims ? kept : kept.rawReshaped(reducedShape(ax, keepDims: false))
        let keepShape = reducedShape(ax, keepDims: true)
        return Autodiff.record(y, "max", [self]) { ctx in
            let x = ctx.inputs[0]
            let mask = x.isEqual(kept).detached
            let count = mask.sum(axes: ax, keepDims: true)
            return [mask * (ctx.cotangent.reshaped(keepShape) / count)]
        }
    }

    /// Minimum over `axes`.
    public func min(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        -(-self).max(axes: axes, keepDims: keepDims)
    }

    /// Sums a broadcast result back to `target` (the adjoint of ``broadcast(to:)``).
    /// - Precondition: `target` broadcasts to this tensor's shape.
    public func sum(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(Shape.broadcast(target, shape) == shape, "[sum(toShape:)] \(Shape.describe(target)) does not broadcast to \(Shape.describe(shape))")
        let lead = rank - target.count
        var axes = Array(0..<lead)
        for d in 0..<target.count where target[d] == 1 && shape[lead + d] != 1 { axes.append(lead + d) }
        return sum(axes: axes, keepDims: true).reshaped(target)
    }
}
