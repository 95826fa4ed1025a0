/// Fused softmax + cross-entropy over the rows of a `[rows, classes]` logit matrix.
/// The primitive decomposition in FoedusTensor is the reference these are tested against.
public enum SoftmaxCrossEntropyKernels {
    /// Per-row loss `logsumexp(x) − x[label]`, computed stably (max subtracted).
    @inlinable
    public static func forward<T: KernelFloat>(_ logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, rows: Int, classes: Int, losses: UnsafeMutablePointer<T>) {
        for r in 0..<rows {
            let x = logits + r * classes
            var m = x[0]
            for c in 1..<classes where x[c] > m { m = x[c] }
            var s: T = 0
            for c in 0..<classes { s += T.kExp(x[c] - m) }
            losses[r] = m + T.kLog(s) - x[Int(labels[r])]
        }
    }

    /// `grad[r, c] = scale[r] · (softmax(x_r)[c] − [c == label_r])`.
    @inlinable
    public static func backward<T: KernelFloat>(_ logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, rows: Int, classes: Int,
                                                rowScale: UnsafePointer<T>, scaleStride: Int, grad: UnsafeMutablePointer<T>) {
        for r in 0..<rows {
            let x = logits + r * classes, g = grad + r * classes
            var m = x[0]
            for c in 1..<classes where x[c] > m { m = x[c] }
            var s: T = 0
            for c in 0..<classes {
                let e = T.kExp(x[c] - m)
                g[c] = e
                s += e
            }
            let k = rowScale[r * scaleStride] / s
            for c in 0..<classes { g[c] *= k }
            g[Int(labels[r])] -= rowScale[r * scaleStride]
        }
    }
}
