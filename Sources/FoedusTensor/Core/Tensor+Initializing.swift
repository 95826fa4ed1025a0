extension Tensor {
    /// A tensor whose elements `body` writes in place: no zero fill and no copy from an array.
    /// `body` must write every element (the storage starts uninitialized).
    /// - Precondition: no extent of `shape` is negative.
    public init<T: TensorElement>(shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<T>) throws -> Void) rethrows {
        Shape.check(shape, op: "Tensor.init")
        self = Tensor.uninitialized(shape: shape, dtype: T.dtype)
        try withUnsafeMutableBufferPointer(as: T.self, body)
    }
}
