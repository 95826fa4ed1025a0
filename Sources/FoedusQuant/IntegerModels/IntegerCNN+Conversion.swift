import FoedusKernels
import FoedusTensor

extension IntegerCNN {
    /// The float `cnn-gn`/`cnn-bn` a conversion starts from: its parameters and buffers
    /// (PyTorch `state_dict` names), and the input normalisation it was trained with.
    public struct FloatModel: Sendable {
        public var name: String
        public var parameters: ParameterSet
        public var buffers: ParameterSet
        public var mean: Double
        public var std: Double
        public var classes: Int
        public var imageSize: Int

        public init(name: String, parameters: ParameterSet, buffers: ParameterSet, mean: Double, std: Double, classes: Int = 10, imageSize: Int = 28) {
            self.name = name
            self.parameters = parameters
            self.buffers = buffers
            self.mean = mean
            self.std = std
            self.classes = classes
            self.imageSize = imageSize
        }

        var isGroupNorm: Bool { name == "cnn-gn" }

        func tensor(_ name: String) throws -> Tensor {
            guard let t = parameters[name] ?? buffers[name] else { throw QuantError.missingTensor(name) }
            return t.cast(to: .float64)
        }

        /// Convolution weight and bias of stage `i` (1-based), with batch norm folded in.
        func convolution(_ i: Int) throws -> (weight: Tensor, bias: Tensor) {
            let w = try tensor("conv\(i).weight"), b = try tensor("conv\(i).bias")
            guard !isGroupNorm else { return (w, b) }
            return BatchNormFolding.fold(weight: w, bias: b, gamma: try tensor("bn\(i).weight"), beta: try tensor("bn\(i).bias"),
                                         mean: try tensor("bn\(i).running_mean"), variance: try tensor("bn\(i).running_var"))
        }

        /// The float forward pass on normalised images, recording what calibration needs: per
        /// stage the pre-normalisation maximum |y| (group norm) and the post-ReLU maximum, the
        /// hidden layer's post-ReLU maximum, and the logits.
        func calibrate(_ x: Tensor) throws -> (preNorm: [Double], stageOut: [Double], hidden: Double, logits: Tensor) {
            var h = x.cast(to: .float64)
            var preNorm: [Double] = [], stageOut: [Double] = []
            for i in 1...2 {
                let (w, b) = try convolution(i)
                var y = Tensor.conv2d(h, weight: w, bias: b, stride: (1, 1), padding: (1, 1))
                preNorm.append(y.abs().max().item)
                if isGroupNorm {
                    y = Tensor.groupNorm(y, groups: 8, weight: try tensor("gn\(i).weight"), bias: try tensor("gn\(i).bias"))
                }
                y = y.relu()
                stageOut.append(y.max().item)
                h = y.maxPool2d(kernel: (2, 2))
            }
            h = h.reshaped([h.shape[0], -1])
            let hidden = Tensor.linear(h, weight: try tensor("fc1.weight"), bias: try tensor("fc1.bias")).relu()
            let logits = Tensor.linear(hidden, weight: try tensor("fc2.weight"), bias: try tensor("fc2.bias"))
            return (preNorm, stageOut, hidden.max().item, logits)
        }
    }

    /// Converts a trained `cnn-gn` or `cnn-bn` into an integer-only model.
    /// - Parameters:
    ///   - calibration: normalised images `[N, 1, H, W]` whose activation ranges set the scales.
    /// - Throws: ``QuantError`` for other models, input channels ≠ 1, or missing tensors.
    public static func convert(_ model: FloatModel, precision: IntegerPrecision, calibration: Tensor) throws -> IntegerCNN {
        guard model.name == "cnn-gn" || model.name == "cnn-bn" else {
            throw QuantError.unsupportedModel("\(model.name) (integer-only conversion covers cnn-gn and cnn-bn)")
        }
        let conv1 = try model.tensor("conv1.weight")
        guard conv1.shape.count == 4, conv1.shape[1] == 1 else {
            throw QuantError.unsupportedModel("the first convolution takes \(conv1.shape.count == 4 ? conv1.shape[1] : 0) channels; the integer path expects 1 (grayscale)")
        }
        let ranges = try model.calibrate(calibration)
        // Activations follow a ReLU: unsigned, 0 … 2^bits − 1.
        let activationMax = Int32((1 << precision.activationBits) - 1)
        // Input: raw pixels p; x = (p/255 − mean)/std ≈ (p − z)·s0 with z = round(255·mean).
        let inputScale = 1 / (255 * model.std)
        let inputZero = Int32((255 * model.mean).rounded())

        var stages: [Stage] = []
        var scaleIn = inputScale
        for i in 1...2 {
            let (w, b) = try model.convolution(i)
            let bits = i == 1 ? 8 : precision.weightBits
            let (q, sw) = quantizeWeights(w, bits: bits)
            let outC = w.shape[0], inC = w.shape[1]
            let accScales = sw.map { $0 * scaleIn }
            let bias = zip(b.doubles, accScales).map { Int32(clamping: Int64(($0 / $1).rounded())) }
            let outScale = max(ranges.stageOut[i - 1], 1e-8) / Double(activationMax)
            let norm: Stage.Norm
            if model.isGroupNorm {
                let preScale = max(ranges.preNorm[i - 1], 1e-8) / 32767
                let pre = accScales.map { IntegerCNN.requantizer(ratio: $0 / preScale, clamp: -32767...32767) }
                let size = model.imageSize >> (i - 1)
                let gamma = try model.tensor("gn\(i).weight").doubles, beta = try model.tensor("gn\(i).bias").doubles
                let gn = IBert.GroupNorm(channels: outC, groups: 8, spatial: size * size, gamma: gamma, beta: beta, outputScale: outScale,
                                         clamp: 0...activationMax)
                norm = .group(pre: pre, norm: gn, gamma: gamma, beta: beta, outputScale: outScale)
            } else {
                norm = .folded(accScales.map { IntegerCNN.requantizer(ratio: $0 / outScale, clamp: 0...activationMax) })
            }
            stages.append(Stage(inChannels: inC, outChannels: outC, weights: q, weightBits: bits, bias: bias,
                                inputZeroPoint: i == 1 ? inputZero : 0, norm: norm))
            scaleIn = outScale
        }
        // Hidden layer: inner weights; its output (the last layer's input) stays at 8 bits.
        let fc1 = try model.tensor("fc1.weight"), b1 = try model.tensor("fc1.bias")
        let (q1, s1) = quantizeWeights(fc1, bits: precision.weightBits)
        let acc1 = s1.map { $0 * scaleIn }
        let hiddenScale = max(ranges.hidden, 1e-8) / 255
        let hidden = Dense(inFeatures: fc1.shape[1], outFeatures: fc1.shape[0], weights: q1, weightBits: precision.weightBits,
                           bias: zip(b1.doubles, acc1).map { Int32(clamping: Int64(($0 / $1).rounded())) },
                           requantizers: acc1.map { IntegerCNN.requantizer(ratio: $0 / hiddenScale, clamp: 0...255) })
        let fc2 = try model.tensor("fc2.weight"), b2 = try model.tensor("fc2.bias")
        let (q2, s2) = quantizeWeights(fc2, bits: 8)
        let acc2 = s2.map { $0 * hiddenScale }
        // Logits are brought to the scale of the largest channel (every ratio ≤ 1).
        let logitScale = acc2.max()!
        let output = Dense(inFeatures: fc2.shape[1], outFeatures: fc2.shape[0], weights: q2, weightBits: 8,
                           bias: zip(b2.doubles, acc2).map { Int32(clamping: Int64(($0 / $1).rounded())) },
                           requantizers: acc2.map { IntegerCNN.requantizer(ratio: $0 / logitScale, clamp: Int32.min...Int32.max) })
        return IntegerCNN(modelName: model.name, precision: precision, imageSize: model.imageSize, classes: fc2.shape[0],
                          stages: stages, hidden: hidden, output: output, logitScale: logitScale)
    }

    /// A requantizer for `ratio`; a ratio below 2⁻³¹ (a dead channel: every accumulator maps to 0)
    /// becomes the zero multiplier instead of trapping, one above 2³⁰ is clamped.
    static func requantizer(ratio: Double, clamp: ClosedRange<Int32>) -> Requantizer {
        guard ratio.isFinite, ratio >= 0x1p-31 else { return Requantizer(dyadic: Dyadic(b: 0, c: 1), clamp: clamp) }
        return Requantizer(ratio: min(ratio, 0x1p30 * (1 - 0x1p-40)), clamp: clamp)
    }

    /// Symmetric per-output-channel weight quantization: `q = round(w / s)`, `s = max|w_o| / qmax`.
    static func quantizeWeights(_ w: Tensor, bits: Int) -> (values: [Int8], scales: [Double]) {
        let quantizer = Quantizer(bits: bits, granularity: .perChannel)
        let scales = quantizer.scales(for: w)
        return (quantizer.quantize(w, scales: scales).map { Int8($0) }, scales)
    }
}
