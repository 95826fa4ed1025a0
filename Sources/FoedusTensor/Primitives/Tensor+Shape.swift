import FoedusKernels

extension Tensor {
    /// Same storage, new shape (no copy, no recording).
    func rawReshaped(_ newShape: [Int]) -> Tensor {
        var t = Tensor(shape: newShape, dtype: dtype, storage: storage)
        t.node = nil
        return t
    }

    /// The same elements with a new shape; one extent may be −1 (inferred).
    /// - Precondition: element counts agree.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let i = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(known > 0 && scalarCount % known == 0, "[reshape] cannot infer -1 in \(newShape) for \(Shape.describe(shape))")
            target[i] = scalarCount / known
        }
        Shape.check(target, op: "reshape")
        precondition(Shape.count(target) == scalarCount, "[reshape] \(Shape.describe(shape)) (\(scalarCount) elements) to \(Shape.describe(target))")
        if target == shape { return self }
        let inShape = shape
        return Autodiff.record(rawReshaped(target), "reshape", [self]) { ctx in [ctx.cotangent.reshaped(inShape)] }
    }

    /// Collapses dimensions `from...` into one: `[N, C, H, W].flattened(from: 1)` is `[N, C·H·W]`.
    public func flattened(from axis: Int = 0) -> Tensor {
        let a = Shape.axis(axis, rank: Swift.max(rank, 1), op: "flatten")
        return reshaped(Array(shape[..<a]) + [shape[a...].reduce(1, *)])
    }

    /// Inserts a unit dimension at `axis`.
    public func expandingShape(at axis: Int) -> Tensor {
        let a = Shape.axis(axis, rank: rank + 1, op: "expandingShape")
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// Removes unit dimension `axis`.
    public func squeezingShape(at axis: Int) -> Tensor {
        let a = Shape.axis(axis, rank: rank, op: "squeezingShape")
        precondition(shape[a] == 1, "[squeezingShape] axis \(axis) has extent \(shape[a]) in \(Shape.describe(shape))")
        var s = shape
        s.remove(at: a)
        return reshaped(s)
    }

    private func stridedCopy(_ strides: [Int], offset: Int, shape outShape: [Int]) -> Tensor {
        switch dtype {
        case .float32: return Tensor.compute(outShape, Float.self, keeping: [self]) { ElementwiseKernels.copy(pointer(Float.self), strides: strides, offset: offset, $0, shape: outShape) }
        case .float64: return Tensor.compute(outShape, Double.self, keeping: [self]) { ElementwiseKernels.copy(pointer(Double.self), strides: strides, offset: offset, $0, shape: outShape) }
        case .int32: return Tensor.compute(outShape, Int32.self, keeping: [self]) { ElementwiseKernels.copy(pointer(Int32.self), strides: strides, offset: offset, $0, shape: outShape) }
        }
    }

    private func stridedPlace(into out: Tensor, strides: [Int], offset: Int) {
        withExtendedLifetime((self, out)) {
            switch dtype {
            case .float32: ElementwiseKernels.place(pointer(Float.self), shape: shape, out.storage.raw.assumingMemoryBound(to: Float.self), strides: strides, offset: offset)
            case .float64: ElementwiseKernels.place(pointer(Double.self), shape: shape, out.storage.raw.assumingMemoryBound(to: Double.self), strides: strides, offset: offset)
            case .int32: ElementwiseKernels.place(pointer(Int32.self), shape: shape, out.storage.raw.assumingMemoryBound(to: Int32.self), strides: strides, offset: offset)
            }
        }
    }

    /// Materialises the NumPy broadcast of this tensor to `target`.
    /// - Precondition: the shape broadcasts to `target`.
    public func broadcast(to target: [Int]) -> Tensor {
        if target == shape { return self }
        precondition(Shape.broadcast(shape, target) == target, "[broadcast] \(Shape.describe(shape)) to \(Shape.describe(target))")
        let y = stridedCopy(Shape.broadcastStrides(shape, to: target), offset: 0, shape: target)
        let inShape = shape
        return Autodiff.record(y, "broadcast", [self]) { ctx in [ctx.cotangent.sum(toShape: inShape)] }
    }

    /// Reorders dimensions: output dimension i is input dimension `order[i]`.
    /// - Precondition: `order` is a permutation of `0..<rank`.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.sorted() == Array(0..<rank), "[permute] \(order) is not a permutation of 0..<\(rank)")
        if order == Array(0..<rank) { return self }
        let own = strides
        let y = stridedCopy(order.map { own[$0] }, offset: 0, shape: order.map { shape[$0] })
        var inverse = [Int](repeating: 0, count: rank)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return Autodiff.record(y, "permute", [self]) { ctx in [ctx.cotangent.permuted(inverse)] }
    }

    /// Swaps the last two dimensions.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "[transposed] needs rank ≥ 2, got \(Shape.describe(shape))")
        var order = Array(0..<rank)
        order.swapAt(rank - 1, rank - 2)
        return permuted(order)
    }

    /// The sub-tensor `lower[d] ..< upper[d]` in every dimension.
    /// - Precondition: `0 ≤ lower[d] ≤ upper[d] ≤ shape[d]`.
    public func slice(lower: [Int], upper: [Int]) -> Tensor {
        precondition(lower.count == rank && upper.count == rank && (0..<rank).allSatisfy { 0 <= lower[$0] && lower[$0] <= upper[$0] && upper[$0] <= shape[$0] },
                     "[slice] bounds \(lower)..<\(upper) for \(Shape.describe(shape))")
        let outShape = (0..<rank).map { upper[$0] - lower[$0] }
        let own = strides
        let offset = zip(lower, own).map(*).reduce(0, +)
        let y = stridedCopy(own, offset: offset, shape: outShape)
        let inShape = shape
        return Autodiff.record(y, "slice", [self]) { ctx in
            [ctx.cotangent.padded(before: lower, after: (0..<inShape.count).map { inShape[$0] - upper[$0] })]
        }
    }

    /// Elements `range` along one axis.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = Shape.axis(axis, rank: rank, op: "slice")
        var lo = [Int](repeating: 0, count: rank), hi = shape
        lo[a] = range.lowerBound
        hi[a] = range.upperBound
        return slice(lower: lo, upper: hi)
    }

    /// Zero padding: `before[d]` zeros ahead of and `after[d]` zeros behind dimension d.
    public func padded(before: [Int], after: [Int]) -> Tensor {
        precondition(before.count == rank && after.count == rank && (before + after).allSatisfy { $0 >= 0 },
                     "[pad] \(before)/\(after) for \(Shape.describe(shape))")
        let outShape = (0..<rank).map { shape[$0] + before[$0] + after[$0] }
        let out = Tensor.zeros(outShape, dtype: dtype)
        let outStrides = Shape.strides(outShape)
        stridedPlace(into: out, strides: outStrides, offset: zip(before, outStrides).map(*).reduce(0, +))
        let upper = (0..<rank).map { before[$0] + shape[$0] }
        return Autodiff.record(out, "pad", [self]) { ctx in [ctx.cotangent.slice(lower: before, upper: upper)] }
    }

    /// Joins tensors along `axis`.
    /// - Precondition: same rank, dtype and extents except along `axis`; at least one tensor.
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "[concat] no tensors")
        let first = tensors[0]
        let a = Shape.axis(axis, rank: first.rank, op: "concat")
        for t in tensors {
            precondition(t.dtype == first.dtype && t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                         "[concat] \(tensors.map { "\($0.dtype) \(Shape.describe($0.shape))" }) along axis \(axis)")
        }
        var outShape = first.shape
        outShape[a] = tensors.map { $0.shape[a] }.reduce(0, +)
        let out = Tensor.uninitialized(shape: outShape, dtype: first.dtype)
        let outStrides = Shape.strides(outShape)
        var start = 0
        var ranges: [Range<Int>] = []
        for t in tensors {
            t.stridedPlace(into: out, strides: outStrides, offset: start * outStrides[a])
            ranges.append(start ..< start + t.shape[a])
            start += t.shape[a]
        }
        return Autodiff.record(out, "concat", tensors) { ctx in ranges.map { ctx.cotangent.slice(axis: a, $0) } }
    }
}
