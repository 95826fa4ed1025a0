import FoedusKernels

extension Tensor {
    static func checkLabels(_ logits: Tensor, _ labels: Tensor, _ op: String) {
        precondition(logits.rank == 2, "[\(op)] logits must be [batch, classes], got \(Shape.describe(logits.shape))")
        precondition(labels.dtype == .int32 && labels.shape == [logits.shape[0]],
                     "[\(op)] labels must be int32 [\(logits.shape[0])], got \(labels.dtype) \(Shape.describe(labels.shape))")
        let classes = logits.shape[1]
        precondition(classes > 0, "[\(op)] no classes")
        if let bad = labels.scalars(as: Int32.self).firstIndex(where: { $0 < 0 || Int($0) >= classes }) {
            preconditionFailure("[\(op)] label \(labels.scalars(as: Int32.self)[bad]) at row \(bad) outside 0..<\(classes)")
        }
    }

    /// Per-example cross-entropy `−log softmax(logits)[label]` as primitives: `[batch]`.
    /// This is the reference the fused kernel is tested against, and what higher-order
    /// derivatives differentiate.
    public static func crossEntropyComposite(logits: Tensor, labels: Tensor) -> Tensor {
        checkLabels(logits, labels, "crossEntropy")
        let picked = logits.logSoftmax(axis: 1).gathering(axis: 1, index: labels.reshaped([-1, 1]))
        return -picked.reshaped([-1])
    }

    /// Per-example cross-entropy with integer labels, `[batch]`, from a fused softmax-CE kernel
    /// (first-order backward fused too; higher orders use ``crossEntropyComposite(logits:labels:)``).
    /// - Precondition: `logits` is `[batch, classes]`; `labels` is int32 `[batch]` in `0..<classes`.
    public static func crossEntropy(logits: Tensor, labels: Tensor) -> Tensor {
        checkLabels(logits, labels, "crossEntropy")
        let rows = logits.shape[0], classes = logits.shape[1]
        let value: Tensor
        switch logits.dtype {
        case .float32: value = compute([rows], Float.self, keeping: [logits, labels]) { SoftmaxCrossEntropyKernels.forward(logits.pointer(Float.self), labels: labels.pointer(Int32.self), rows: rows, classes: classes, losses: $0) }
        case .float64: value = compute([rows], Double.self, keeping: [logits, labels]) { SoftmaxCrossEntropyKernels.forward(logits.pointer(Double.self), labels: labels.pointer(Int32.self), rows: rows, classes: classes, losses: $0) }
        case .int32: logits.requireFloat("crossEntropy")
        }
        let labels = labels.detached
        return Autodiff.fused("crossEntropy", value: value, inputs: [logits], firstOrder: { g, inputs in
            let x = inputs[0]
            switch x.dtype {
            case .float32: return [compute(x.shape, Float.self, keeping: [x, g, labels]) { SoftmaxCrossEntropyKernels.backward(x.pointer(Float.self), labels: labels.pointer(Int32.self), rows: rows, classes: classes, rowScale: g.pointer(Float.self), scaleStride: 1, grad: $0) }]
            default: return [compute(x.shape, Double.self, keeping: [x, g, labels]) { SoftmaxCrossEntropyKernels.backward(x.pointer(Double.self), labels: labels.pointer(Int32.self), rows: rows, classes: classes, rowScale: g.pointer(Double.self), scaleStride: 1, grad: $0) }]
            }
        }, decomposition: { crossEntropyComposite(logits: $0[0], labels: labels) })
    }

    /// Mean cross-entropy over the batch (the usual training loss).
    public static func meanCrossEntropy(logits: Tensor, labels: Tensor) -> Tensor {
        crossEntropy(logits: logits, labels: labels).mean()
    }

    /// Mean squared error over all elements.
    public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        (prediction - target).squared().mean()
    }
}
