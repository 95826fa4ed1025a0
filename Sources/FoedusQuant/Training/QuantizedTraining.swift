import FoedusKernels
import FoedusNN

/// How clients train: float, quantization-aware (fake-quantized forward, float backward) or
/// fully quantized (integer forward and backward GEMMs with stochastic gradient quantizers).
public struct QuantizedTraining: Sendable, Hashable, CustomStringConvertible {
    /// The arithmetic of training.
    public enum Precision: String, Sendable, CaseIterable {
        /// Plain float training.
        case fp32
        /// Quantization-aware training: 8-bit per-channel weights and 8-bit activations in the
        /// forward pass, straight-through float gradients.
        case qat
        /// Fully quantized training: QAT's forward on the int8 kernels, and the output gradient
        /// quantized twice (independently) for the weight- and input-gradient integer GEMMs.
        case fqt
    }

    public var precision: Precision
    /// The quantizer of the input-gradient GEMM's G (the weight-gradient GEMM uses per-tensor
    /// for ptq and per-column for psq and bhq, as the reference).
    public var gradientQuantizer: GradientQuantizerKind
    /// Bits of the input-gradient quantizer (the reference's `bbits`).
    public var gradientBits: Int
    /// Bits of the weight-gradient quantizer (`bwbits`).
    public var weightGradientBits: Int
    /// Forward weight and activation bits.
    public var weightBits: Int, activationBits: Int

    public init(precision: Precision = .fp32, gradientQuantizer: GradientQuantizerKind = .ptq, gradientBits: Int = 8,
                weightGradientBits: Int = 8, weightBits: Int = 8, activationBits: Int = 8) {
        self.precision = precision
        self.gradientQuantizer = gradientQuantizer
        self.gradientBits = gradientBits
        self.weightGradientBits = weightGradientBits
        self.weightBits = weightBits
        self.activationBits = activationBits
    }

    /// Nil when every field is usable, else the name of the first bad field and why.
    public var problem: (field: String, reason: String)? {
        for (name, bits) in [("gradient_bits", gradientBits), ("weight_gradient_bits", weightGradientBits)] where !(2...8).contains(bits) {
            return (name, "must be between 2 and 8, got \(bits)")
        }
        for (name, bits) in [("weight_bits", weightBits), ("activation_bits", activationBits)] where !(2...8).contains(bits) {
            return (name, "must be between 2 and 8, got \(bits)")
        }
        return nil
    }

    /// The layer arithmetic this precision trains with: nil for fp32, the float fake-quantized
    /// simulation for qat, the integer kernels for fqt (`simulated: true` gives the float
    /// oracle of FQT instead, which draws the same random numbers).
    public func arithmetic(simulated: Bool = false) -> (any LayerArithmetic)? {
        switch precision {
        case .fp32: return nil
        case .qat: return FakeQuantizedArithmetic(self, quantizeGradients: false)
        case .fqt: return simulated ? FakeQuantizedArithmetic(self, quantizeGradients: true) : IntegerTrainingArithmetic(self)
        }
    }

    public var description: String {
        switch precision {
        case .fp32: return "fp32"
        case .qat: return "qat-w\(weightBits)a\(activationBits)"
        case .fqt: return "fqt-\(gradientQuantizer.rawValue)\(gradientBits)-w\(weightGradientBits)"
        }
    }
}
