import FoedusKernels
import FoedusNN
import FoedusTensor

/// A conv/linear layer's forward operands in FQT/QAT: activation codes (per tensor, zero point
/// aligned) and symmetric per-channel weight codes, with their float dequantizations on demand.
struct QuantizedOperands {
    let scale: IntegerTraining.ActivationScale
    /// Activation codes in the input's layout.
    let codes: [UInt8]
    /// Weight codes `[O, K]`, per-channel steps, sums and the transpose.
    let weights: IntegerTraining.WeightCodes
    var weightCodes: [Int8] { weights.codes }
    var weightSteps: [Float] { weights.steps }
    var outChannels: Int { weights.outChannels }

    init(x: Tensor, weight: Tensor, config: QuantizedTraining, layer: String) {
        precondition(x.dtype == .float32 && weight.dtype == .float32, "[\(layer)] quantized training needs float32 tensors, got \(x.dtype) and \(weight.dtype)")
        let scale = x.withUnsafeBufferPointer(as: Float.self) { IntegerTraining.ActivationScale($0, bits: config.activationBits) }
        let codes = [UInt8](unsafeUninitializedCapacity: x.scalarCount) { q, initialized in
            if let base = q.baseAddress { x.withUnsafeBufferPointer(as: Float.self) { p in scale.quantize(p, into: base) } }
            initialized = x.scalarCount
        }
        self.scale = scale
        self.codes = codes
        // A linear layer's GEMMs read the weight codes as they are; a convolution's input
        // gradient reads their transpose.
        weights = weight.withUnsafeBufferPointer(as: Float.self) {
            IntegerTraining.WeightCodes($0, outChannels: weight.shape[0], bits: config.weightBits, transposing: weight.rank != 2)
        }
    }

    /// `x̃ = (q − z)·Δx` in the input's shape.
    func dequantizedInput(shape: [Int]) -> Tensor {
        var out = [Float](repeating: 0, count: codes.count)
        codes.withUnsafeBufferPointer { q in out.withUnsafeMutableBufferPointer { scale.dequantize(q, into: $0.baseAddress!) } }
        return Tensor(shape: shape, scalars: out)
    }

    /// `w̃ = q·Δw[o]` in the weight's shape.
    func dequantizedWeight(shape: [Int]) -> Tensor {
        let k = weightCodes.count / outChannels
        var out = [Float](repeating: 0, count: weightCodes.count)
        for o in 0..<outChannels {
            for i in 0..<k { out[o * k + i] = Float(weightCodes[o * k + i]) * weightSteps[o] }
        }
        return Tensor(shape: shape, scalars: out)
    }
}

extension ConvolutionGeometry {
    /// The sliding window of this convolution over an NCHW input with an OIHW weight.
    func window(input x: [Int], weight w: [Int], layer: String) -> WindowGeometry {
        precondition(x.count == 4 && w.count == 4 && x[1] == w[1] * groups, "[\(layer)] input \(x) does not match weight \(w)")
        precondition(groups == 1, "[\(layer)] quantized training supports groups = 1, got \(groups)")
        let g = WindowGeometry(channels: x[1], height: x[2], width: x[3], kernel: (w[2], w[3]), stride: stride, padding: padding, dilation: dilation)
        if let problem = g.problem { preconditionFailure("[\(layer)] \(problem)") }
        return g
    }
}
