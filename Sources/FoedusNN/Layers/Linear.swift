import FoedusTensor

/// `y = x·Wᵀ + b` with `weight` `[out, in]` and `bias` `[out]` (PyTorch's `nn.Linear`).
public struct Linear: Layer {
    public let inFeatures: Int, outFeatures: Int, hasBias: Bool

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        precondition(inFeatures > 0 && outFeatures > 0, "[Linear] sizes \(inFeatures)→\(outFeatures)")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.hasBias = bias
    }

    public func declare(into b: inout ParameterBuilder) {
        b.parameter("weight", shape: [outFeatures, inFeatures], .pytorchDefault(fanIn: inFeatures))
        if hasBias { b.parameter("bias", shape: [outFeatures], .pytorchDefault(fanIn: inFeatures)) }
    }

    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor {
        if let arithmetic = c.arithmetic {
            return arithmetic.linear(x, weight: c.parameter("weight"), bias: hasBias ? c.parameter("bias") : nil, mode: c.mode, key: c.layerKey)
        }
        return Tensor.linear(x, weight: c.parameter("weight"), bias: hasBias ? c.parameter("bias") : nil)
    }
}
