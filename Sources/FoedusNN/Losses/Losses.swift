import FoedusTensor

/// Training losses over logits `[batch, classes]`.
public enum Loss {
    /// Mean cross-entropy with integer labels; with `labelSmoothing` ε the target is
    /// `(1 − ε)·onehot + ε/classes` (PyTorch's `label_smoothing`).
    /// - Precondition: labels are int32 `[batch]` in `0..<classes`, `0 ≤ ε < 1`.
    public static func crossEntropy(logits: Tensor, labels: Tensor, labelSmoothing: Double = 0) -> Tensor {
        precondition(labelSmoothing >= 0 && labelSmoothing < 1, "[crossEntropy] label smoothing \(labelSmoothing) outside [0, 1)")
        let nll = Tensor.meanCrossEntropy(logits: logits, labels: labels)
        guard labelSmoothing > 0 else { return nll }
        let uniform = -logits.logSoftmax(axis: 1).mean()
        return nll * (1 - labelSmoothing) + uniform * labelSmoothing
    }

    /// KL(target ‖ softmax(logits)) averaged over the batch (PyTorch's `kl_div(log_softmax(logits),
    /// target, reduction="batchmean")`); zero-probability targets contribute nothing.
    /// - Precondition: `target` has the logits' shape and holds probabilities.
    public static func klDivergence(logits: Tensor, target: Tensor) -> Tensor {
        precondition(logits.shape == target.shape && logits.rank == 2, "[klDivergence] logits \(logits.shape) vs target \(target.shape)")
        let t = target.detached
        let positive = t.isGreater(0)
        let safeLog = Tensor.select(positive, t, t.onesLike).log()
        return (t * (safeLog - logits.logSoftmax(axis: 1))).sum() / Double(logits.shape[0])
    }
}
