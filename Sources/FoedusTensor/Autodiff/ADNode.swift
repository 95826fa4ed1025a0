/// What a vector-Jacobian product sees: the cotangent of the output, the inputs, the output's
/// value, and whether the caller wants the result to be differentiable again.
struct VJPContext {
    /// Cotangent of the op's output (same shape and dtype as the output).
    let cotangent: Tensor
    /// The op's inputs: tracked when `createGraph`, detached otherwise.
    let inputs: [Tensor]
    /// The op's output value, always detached. Use it only when `!createGraph`: as a constant it
    /// would cut the second-order path through the output.
    let output: Tensor
    /// True when the VJP must itself be recorded (higher-order differentiation).
    let createGraph: Bool
}

/// A vector-Jacobian product written in primitive tensor operations: one cotangent per input
/// (nil where the input is not differentiable or receives nothing).
typealias VJP = (VJPContext) -> [Tensor?]

/// A recorded operation in the differentiation graph. Nodes point to their inputs only, so
/// graphs are acyclic and freed with the last tensor that refers to them.
final class ADNode: @unchecked Sendable {
    let name: String
    let inputs: [Tensor]
    /// The output's value without its node (for VJPs that reuse it, e.g. exp).
    let output: Tensor
    /// Nil for a differentiation variable with no tracked input.
    let vjp: VJP?
    /// True for the variables a `gradient` call differentiates with respect to.
    let isVariable: Bool

    init(name: String, inputs: [Tensor], output: Tensor, vjp: VJP?, isVariable: Bool = false) {
        self.name = name
        self.inputs = inputs
        self.output = output
        self.vjp = vjp
        self.isVariable = isVariable
    }
}
