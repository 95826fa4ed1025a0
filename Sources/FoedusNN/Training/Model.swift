import FoedusTensor

/// An architecture together with its state: what is trained, saved, shipped and evaluated.
public struct Model: Sendable {
    public let layer: any Layer
    public var state: ModelState
    /// How convolutions and linear layers compute (nil: float). Set to a quantized arithmetic
    /// (FoedusQuant's QAT/FQT) to train and evaluate the model that way.
    public var arithmetic: (any LayerArithmetic)?

    public init(_ layer: any Layer, state: ModelState, arithmetic: (any LayerArithmetic)? = nil) {
        self.layer = layer
        self.state = state
        self.arithmetic = arithmetic
    }

    /// A freshly initialised model, deterministic in `key`.
    public init(_ layer: any Layer, key: RandomKey, dtype: DType = .float32) {
        self.init(layer, state: ModelState(layer, key: key, dtype: dtype))
    }

    /// Logits in evaluation mode (running statistics, no dropout); buffers are not changed.
    public func predict(_ x: Tensor) -> Tensor {
        var c = LayerContext(parameters: state.parameters, buffers: state.buffers, mode: .eval, arithmetic: arithmetic)
        return layer.forward(x, context: &c).detached
    }

    /// The training loss at `parameters` (differentiable), and the buffers the forward pass
    /// updated (batch-norm running statistics).
    public func loss(parameters: ParameterSet, x: Tensor, labels: Tensor, key: RandomKey?, labelSmoothing: Double = 0) -> (loss: Tensor, buffers: ParameterSet) {
        var c = LayerContext(parameters: parameters, buffers: state.buffers, mode: .train, key: key, arithmetic: arithmetic)
        let logits = layer.forward(x, context: &c)
        return (Loss.crossEntropy(logits: logits, labels: labels, labelSmoothing: labelSmoothing), c.buffers)
    }

    /// One supervised step: forward, backward, optimizer update, buffer update.
    /// - Returns: the loss before the update.
    @discardableResult
    public mutating func trainStep<O: Optimizer>(x: Tensor, labels: Tensor, optimizer: inout O, key: RandomKey? = nil, labelSmoothing: Double = 0) -> Double {
        var buffers = state.buffers
        let (value, grads) = valueAndGradient(of: { p in
            let (l, b) = loss(parameters: p, x: x, labels: labels, key: key, labelSmoothing: labelSmoothing)
            buffers = b
            return l
        }, at: state.parameters)
        optimizer.step(&state.parameters, gradients: grads)
        state.buffers = buffers
        return value.item
    }

    /// Number of correct top-1 predictions for a batch.
    public func correctCount(_ x: Tensor, labels: Tensor) -> Int {
        let logits = predict(x)
        let predicted = logits.argmax(axis: 1)
        return zip(predicted, labels.scalars(as: Int32.self)).filter { $0 == Int($1) }.count
    }
}
