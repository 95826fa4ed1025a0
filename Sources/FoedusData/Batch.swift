import FoedusTensor

/// A mini-batch ready for a model.
public struct Batch: Sendable {
    /// Normalised images, `float32` of shape `[B, C, H, W]`.
    public var images: Tensor
    /// Class indices, `int32` of shape `[B]`.
    public var labels: Tensor
    /// The dataset indices of the examples, in batch order.
    public var indices: [Int]

    /// Creates a batch from its parts (no checks: ``DataLoader/makeBatch(_:)`` builds
    /// consistent ones).
    public init(images: Tensor, labels: Tensor, indices: [Int]) {
        self.images = images
        self.labels = labels
        self.indices = indices
    }

    /// Number of examples.
    public var count: Int { indices.count }
}
