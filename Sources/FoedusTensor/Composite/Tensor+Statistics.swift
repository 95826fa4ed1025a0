extension Tensor {
    /// Mean over `axes` (all when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = (axes ?? Array(0..<rank)).map { Shape.axis($0, rank: rank, op: "mean") }
        let n = ax.reduce(1) { $0 * shape[$1] }
        precondition(n > 0, "[mean] empty reduction over \(Shape.describe(shape))")
        return sum(axes: ax, keepDims: keepDims) / Double(n)
    }

    /// Variance over `axes` (all when nil): the biased (population) estimate by default, the
    /// unbiased one (divisor n − 1) when `unbiased`.
    public func variance(axes: [Int]? = nil, keepDims: Bool = false, unbiased: Bool = false) -> Tensor {
        let ax = (axes ?? Array(0..<rank)).map { Shape.axis($0, rank: rank, op: "variance") }
        let n = ax.reduce(1) { $0 * shape[$1] }
        precondition(n > (unbiased ? 1 : 0), "[variance] \(n) elements over axes \(ax) of \(Shape.describe(shape))")
        let centered = self - mean(axes: ax, keepDims: true)
        return centered.squared().sum(axes: ax, keepDims: keepDims) / Double(unbiased ? n - 1 : n)
    }
}
