extension Tensor {
    /// Softmax along `axis`. The row maximum is subtracted as a constant (softmax is
    /// shift-invariant, so derivatives of every order are unchanged).
    public func softmax(axis: Int = -1) -> Tensor {
        let a = Shape.axis(axis, rank: rank, op: "softmax")
        let e = (self - max(axes: [a], keepDims: true).detached).exp()
        return e / e.sum(axes: [a], keepDims: true)
    }

    /// log-softmax along `axis`: `x − max − log Σ exp(x − max)`.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let a = Shape.axis(axis, rank: rank, op: "logSoftmax")
        let shifted = self - max(axes: [a], keepDims: true).detached
        return shifted - shifted.exp().sum(axes: [a], keepDims: true).log()
    }
}
