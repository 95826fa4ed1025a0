/// Operations defined outside the primitive set, with a hand-written first-order pullback.
///
/// Fully quantized training computes a layer's backward pass with integer kernels and random
/// gradient quantizers; such a pullback cannot be written in differentiable primitives, so it is
/// recorded as an opaque node. Under nested differentiation (Hessian-vector products) the
/// cotangents it returns are constants: second derivatives through a custom operation are zero.
extension Tensor {
    /// Attaches `pullback` to `value` as the output of an operation on `inputs`.
    ///
    /// - Parameters:
    ///   - name: the node's name in error messages.
    ///   - inputs: the tensors the value depends on; the pullback returns one cotangent per input
    ///     (nil where the input receives nothing), each of the input's shape.
    ///   - value: the already-computed output (its tracking, if any, is dropped).
    ///   - pullback: maps the output's cotangent (detached) to the inputs' cotangents.
    /// - Returns: `value`, tracked when any input is.
    public static func customOperation(_ name: String, inputs: [Tensor], value: Tensor,
                                       pullback: @escaping @Sendable (Tensor) -> [Tensor?]) -> Tensor {
        let out = value.detached, count = inputs.count
        return Autodiff.record(out, name, inputs) { ctx in
            let grads = pullback(ctx.cotangent.detached)
            precondition(grads.count == count, "[\(name)] pullback returned \(grads.count) cotangents for \(count) inputs")
            return grads.map { $0?.detached }
        }
    }
}
