extension Tensor {
    /// `x · weightᵀ + bias` with `weight` `[out, in]` (PyTorch's `Linear`) over the last axis.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(weight.rank == 2 && x.rank >= 1 && x.shape[x.rank - 1] == weight.shape[1],
                     "[linear] input \(Shape.describe(x.shape)) with weight \(Shape.describe(weight.shape))")
        let flat = x.rank == 2 ? x : x.reshaped([-1, weight.shape[1]])
        var y = matmul(flat, weight, transposeA: false, transposeB: true)
        if let bias {
            precondition(bias.shape == [weight.shape[0]], "[linear] bias \(Shape.describe(bias.shape)) for \(weight.shape[0]) outputs")
            y = y + bias
        }
        return x.rank == 2 ? y : y.reshaped(Array(x.shape.dropLast()) + [weight.shape[0]])
    }
}
