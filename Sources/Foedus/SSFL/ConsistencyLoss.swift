import FoedusTensor

/// The unlabeled-data losses of SSFL users.
public enum ConsistencyLoss {
    /// FixMatch-style consistency: pseudo-labels are the argmax of `softmax(pseudoLogits)` (no
    /// gradient flows into them); examples whose confidence is below `threshold` are masked out,
    /// and the masked cross-entropy of `studentLogits` is divided by the batch size B, not by the
    /// number of confident examples (reference §1.7, trap 8).
    /// - Returns: the loss, the 0/1 mask and the pseudo-labels.
    public static func loss(pseudoLogits: Tensor, studentLogits: Tensor, threshold: Double) -> (loss: Tensor, mask: Tensor, pseudoLabels: [Int]) {
        precondition(pseudoLogits.shape == studentLogits.shape && pseudoLogits.rank == 2,
                     "[ConsistencyLoss] pseudo \(pseudoLogits.shape) vs student \(studentLogits.shape)")
        let probabilities = pseudoLogits.detached.softmax(axis: 1)
        let confidence = probabilities.max(axes: [1])
        let pseudo = probabilities.argmax(axis: 1)
        let mask = confidence.isGreaterEqual(Tensor(threshold, dtype: confidence.dtype))
        let labels = Tensor(shape: [pseudo.count], scalars: pseudo.map { Int32($0) })
        let loss = (Tensor.crossEntropy(logits: studentLogits, labels: labels) * mask).sum() / Double(pseudo.count)
        return (loss, mask, pseudo)
    }
}
