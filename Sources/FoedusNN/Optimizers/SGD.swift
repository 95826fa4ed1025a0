import FoedusTensor

/// Stochastic gradient descent with PyTorch's semantics: weight decay added to the gradient,
/// momentum buffer `b ← μ·b + g` (initialised to the first gradient), Nesterov look-ahead
/// `g ← g + μ·b` when enabled, then `p ← p − lr·g`.
public struct SGD: Optimizer {
    public var learningRate: Double
    public let momentum: Double, nesterov: Bool, weightDecay: Double
    /// Momentum buffers by parameter name (empty until the first step).
    public private(set) var momentumBuffers = ParameterSet()

    public init(learningRate: Double, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        precondition(learningRate >= 0 && momentum >= 0 && weightDecay >= 0, "[SGD] negative hyper-parameter")
        precondition(!nesterov || momentum > 0, "[SGD] Nesterov needs momentum > 0")
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public mutating func step(_ parameters: inout ParameterSet, gradients: ParameterSet) {
        precondition(parameters.names == gradients.names, "[SGD] gradient names differ from parameter names")
        var updated: [Tensor] = []
        updated.reserveCapacity(parameters.count)
        for (name, (p, g)) in zip(parameters.names, zip(parameters.tensors, gradients.tensors)) {
            let (newP, newBuffer) = Tensor.sgdStep(parameter: p, gradient: g, buffer: momentumBuffers[name], learningRate: learningRate,
                                                   momentum: momentum, weightDecay: weightDecay, nesterov: nesterov)
            if let newBuffer { momentumBuffers[name] = newBuffer }
            updated.append(newP)
        }
        parameters = parameters.replacingTensors(updated)
    }
}
