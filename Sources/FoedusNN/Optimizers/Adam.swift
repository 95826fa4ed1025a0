import FoedusTensor

/// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) with PyTorch's semantics:
/// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `p ← p − lr·m̂ / (√v̂ + ε)` with bias-corrected
/// moments. Adam adds `weightDecay·p` to the gradient; AdamW (`decoupled`) first shrinks
/// `p ← p·(1 − lr·weightDecay)`.
public struct Adam: Optimizer {
    public var learningRate: Double
    public let beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double, decoupled: Bool
    public private(set) var firstMoments = ParameterSet()
    public private(set) var secondMoments = ParameterSet()
    /// Number of steps taken.
    public private(set) var stepCount = 0

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0, decoupled: Bool = false) {
        precondition(learningRate >= 0 && (0..<1).contains(beta1) && (0..<1).contains(beta2) && epsilon > 0 && weightDecay >= 0,
                     "[Adam] hyper-parameters lr \(learningRate) β \(beta1), \(beta2) ε \(epsilon) wd \(weightDecay)")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
    }

    /// AdamW: Adam with decoupled weight decay (PyTorch default 0.01).
    public static func adamW(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01) -> Adam {
        Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupled: true)
    }

    public mutating func step(_ parameters: inout ParameterSet, gradients: ParameterSet) {
        precondition(parameters.names == gradients.names, "[Adam] gradient names differ from parameter names")
        stepCount += 1
        let c1 = 1 - _pow(beta1, stepCount), c2 = 1 - _pow(beta2, stepCount)
        var updated: [Tensor] = []
        for (name, (p0, g0)) in zip(parameters.names, zip(parameters.tensors, gradients.tensors)) {
            var p = p0, g = g0
            if weightDecay > 0 {
                if decoupled { p = p * (1 - learningRate * weightDecay) } else { g = g + p * weightDecay }
            }
            let m = (firstMoments[name] ?? g.zerosLike) * beta1 + g * (1 - beta1)
            let v = (secondMoments[name] ?? g.zerosLike) * beta2 + g.squared() * (1 - beta2)
            firstMoments[name] = m
            secondMoments[name] = v
            updated.append(p - (m / c1) / ((v / c2).sqrt() + epsilon) * learningRate)
        }
        parameters = parameters.replacingTensors(updated)
    }
}

func _pow(_ x: Double, _ n: Int) -> Double {
    var r = 1.0
    for _ in 0..<n { r *= x }
    return r
}
