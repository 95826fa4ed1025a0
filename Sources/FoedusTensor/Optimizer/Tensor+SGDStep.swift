import CFoedusKernels

extension Tensor {
    /// One SGD update of a parameter (PyTorch semantics): `g' = g + wd·p`, momentum buffer
    /// `b' = μ·b + g'` (`g'` on the first step), direction `d = g' + μ·b'` with Nesterov or `b'`
    /// without (`g'` when μ = 0), and `p' = p − lr·d`.
    ///
    /// Float32 runs one fused pass; other dtypes use the same formula in tensor operations (the
    /// reference the fused kernel is tested against). Not differentiable: optimizers act on values.
    /// - Returns: the updated parameter and momentum buffer (nil when μ = 0).
    public static func sgdStep(parameter p: Tensor, gradient g: Tensor, buffer: Tensor?, learningRate lr: Double,
                               momentum: Double, weightDecay: Double, nesterov: Bool) -> (parameter: Tensor, buffer: Tensor?) {
        precondition(p.shape == g.shape && p.dtype == g.dtype && (buffer == nil || buffer!.shape == p.shape),
                     "[sgdStep] parameter \(Shape.describe(p.shape)), gradient \(Shape.describe(g.shape)), buffer \(buffer.map { Shape.describe($0.shape) } ?? "none")")
        let p = p.detached, g = g.detached, buffer = buffer?.detached
        guard p.dtype == .float32 else { return sgdStepReference(p, g, buffer, lr, momentum, weightDecay, nesterov) }
        let n = p.scalarCount
        let newBuffer: Tensor? = momentum > 0 ? Tensor.uninitialized(shape: p.shape, dtype: .float32) : nil
        let newParameter = compute(p.shape, Float.self, keeping: [p, g] + [buffer, newBuffer].compactMap { $0 }) { out in
            foedus_sgd_step_f32(p.pointer(Float.self), g.pointer(Float.self), buffer?.pointer(Float.self), out,
                                newBuffer?.storage.raw.assumingMemoryBound(to: Float.self), n,
                                Float(lr), Float(momentum), Float(weightDecay), nesterov ? 1 : 0, buffer == nil ? 1 : 0)
        }
        return (newParameter, newBuffer)
    }

    /// ``sgdStep(parameter:gradient:buffer:learningRate:momentum:weightDecay:nesterov:)`` in tensor
    /// operations: the scalar reference twin of the fused kernel.
    public static func sgdStepReference(_ p: Tensor, _ g0: Tensor, _ buffer: Tensor?, _ lr: Double, _ momentum: Double,
                                        _ weightDecay: Double, _ nesterov: Bool) -> (parameter: Tensor, buffer: Tensor?) {
        let g = g0 + p * weightDecay
        guard momentum > 0 else { return (p - g * lr, nil) }
        let b = buffer.map { $0 * momentum + g } ?? g
        let d = nesterov ? g + b * momentum : b
        return (p - d * lr, b)
    }
}
