import FoedusKernels
import FoedusTensor

extension IntegerResNet {
    /// The float `resnet20-gn`/`resnet20-bn` a conversion starts from: its parameters and buffers
    /// (PyTorch `state_dict` names: `conv1`, `bn1`, `layer2.0.shortcut.0`, …, `linear`), and the
    /// per-channel input normalisation it was trained with.
    public struct FloatModel: Sendable {
        public var name: String
        public var parameters: ParameterSet
        public var buffers: ParameterSet
        /// Per input channel, of pixels scaled to `[0, 1]`.
        public var mean: [Double], std: [Double]
        public var imageSize: Int
        /// GroupNorm groups (the GN variant; ``FoedusNN/ResNet20``'s default is 8).
        public var groups: Int

        public init(name: String, parameters: ParameterSet, buffers: ParameterSet, mean: [Double], std: [Double], imageSize: Int,
                    groups: Int = 8) {
            self.name = name
            self.parameters = parameters
            self.buffers = buffers
            self.mean = mean
            self.std = std
            self.imageSize = imageSize
            self.groups = groups
        }

        var isGroupNorm: Bool { name == "resnet20-gn" }

        func tensor(_ name: String) throws -> Tensor {
            guard let t = parameters[name] ?? buffers[name] else { throw QuantError.missingTensor(name) }
            return t.cast(to: .float64)
        }

        func has(_ name: String) -> Bool { parameters[name] != nil }

        /// Convolution `conv` with batch norm `norm` folded in (bias 0 under group norm: ResNet
        /// convolutions have none).
        func convolution(_ conv: String, norm: String) throws -> (weight: Tensor, bias: Tensor) {
            let w = try tensor(conv + ".weight")
            guard w.rank == 4 else { throw QuantError.unsupportedModel("\(conv).weight has shape \(w.shape), expected OIHW") }
            guard !isGroupNorm else { return (w, Tensor.zeros([w.shape[0]], dtype: .float64)) }
            return BatchNormFolding.fold(weight: w, bias: nil, gamma: try tensor(norm + ".weight"), beta: try tensor(norm + ".bias"),
                                         mean: try tensor(norm + ".running_mean"), variance: try tensor(norm + ".running_var"))
        }

        /// One unit's float pass: the convolution (folded BN) and, under GN, the group norm.
        func unit(_ x: Tensor, _ spec: UnitSpec) throws -> (pre: Tensor, out: Tensor) {
            let (w, b) = try convolution(spec.conv, norm: spec.norm)
            let pre = Tensor.conv2d(x, weight: w, bias: b, stride: (spec.stride, spec.stride), padding: (spec.padding, spec.padding))
            guard isGroupNorm else { return (pre, pre) }
            return (pre, Tensor.groupNorm(pre, groups: groups, weight: try tensor(spec.norm + ".weight"), bias: try tensor(spec.norm + ".bias")))
        }

        /// The network's structure as found in the weights: three stages of three blocks, a
        /// projection shortcut where `…shortcut.0.weight` exists.
        func blockSpecs() -> [BlockSpec] {
            (1...3).flatMap { s in
                (0..<3).map { i in
                    let p = "layer\(s).\(i)", stride = (s > 1 && i == 0) ? 2 : 1
                    return BlockSpec(name: p,
                                     conv1: UnitSpec(name: p + ".conv1", conv: p + ".conv1", norm: p + ".bn1", kernel: 3, stride: stride, padding: 1),
                                     conv2: UnitSpec(name: p + ".conv2", conv: p + ".conv2", norm: p + ".bn2", kernel: 3, stride: 1, padding: 1),
                                     shortcut: has(p + ".shortcut.0.weight")
                                        ? UnitSpec(name: p + ".shortcut", conv: p + ".shortcut.0", norm: p + ".shortcut.1", kernel: 1, stride: stride, padding: 0)
                                        : nil)
                }
            }
        }

        /// The float forward pass on normalised images `[N, C, H, W]`, recording per unit the
        /// maximum |pre-normalisation value| (`name.pre`) and, for activations, the post-ReLU
        /// maximum (`name.out`); per block its output maximum; the pooled maximum; the logits.
        ///
        /// With `clipping` levels, the activation ranges (`name.out`) are the MSE-optimal clipping
        /// values at that many levels (``ActivationClipping``) instead of the maxima.
        func calibrate(_ x: Tensor, clipping levels: Int? = nil) throws -> (ranges: [String: Double], logits: Tensor) {
            var ranges: [String: Double] = [:]
            func activationRange(_ t: Tensor) -> Double { levels.map { ActivationClipping.mseOptimal(t, levels: $0) } ?? t.max().item }
            func record(_ spec: UnitSpec, _ r: (pre: Tensor, out: Tensor)) {
                ranges[spec.name + ".pre"] = r.pre.abs().max().item
            }
            let stemSpec = UnitSpec(name: "conv1", conv: "conv1", norm: "bn1", kernel: 3, stride: 1, padding: 1)
            let stem = try unit(x.cast(to: .float64), stemSpec)
            record(stemSpec, stem)
            var h = stem.out.relu()
            ranges["conv1.out"] = activationRange(h)
            for block in blockSpecs() {
                let a = try unit(h, block.conv1)
                record(block.conv1, a)
                let inner = a.out.relu()
                ranges[block.conv1.name + ".out"] = activationRange(inner)
                let b = try unit(inner, block.conv2)
                record(block.conv2, b)
                var skip = h
                if let spec = block.shortcut {
                    let s = try unit(h, spec)
                    record(spec, s)
                    skip = s.out
                }
                h = (b.out + skip).relu()
                ranges[block.name + ".out"] = activationRange(h)
            }
            let pooled = h.globalAvgPool2d()
            ranges["pool"] = pooled.max().item
            return (ranges, Tensor.linear(pooled, weight: try tensor("linear.weight"), bias: try tensor("linear.bias")))
        }
    }

    struct UnitSpec {
        var name: String, conv: String, norm: String
        var kernel: Int, stride: Int, padding: Int
    }

    struct BlockSpec {
        var name: String
        var conv1: UnitSpec, conv2: UnitSpec, shortcut: UnitSpec?
    }

    /// Converts a trained `resnet20-gn` or `resnet20-bn` into an integer-only model.
    /// - Parameters:
    ///   - calibration: normalised images `[N, C, H, W]` whose activation ranges set the scales.
    /// - Throws: ``QuantError`` for other models, a normalisation that does not match the input
    ///   channels, or missing tensors.
    public static func convert(_ model: FloatModel, precision: IntegerPrecision, calibration: Tensor) throws -> IntegerResNet {
        guard model.name == "resnet20-gn" || model.name == "resnet20-bn" else {
            throw QuantError.unsupportedModel("\(model.name) (IntegerResNet converts resnet20-gn and resnet20-bn)")
        }
        let stemWeight = try model.tensor("conv1.weight")
        let inputChannels = stemWeight.rank == 4 ? stemWeight.shape[1] : 0
        guard inputChannels >= 1, model.mean.count == inputChannels, model.std.count == inputChannels,
              model.std.allSatisfy({ $0 > 0 && $0.isFinite }), model.mean.allSatisfy({ (0...1).contains($0) }) else {
            throw QuantError.unsupportedModel("the stem takes \(inputChannels) channels; the normalisation has \(model.mean.count) means and \(model.std.count) stds")
        }
        guard calibration.rank == 4, calibration.shape[1] == inputChannels, calibration.shape[2] == model.imageSize,
              calibration.shape[3] == model.imageSize, calibration.shape[0] >= 1 else {
            throw QuantError.unsupportedModel("calibration images \(calibration.shape) do not match \(inputChannels)×\(model.imageSize)×\(model.imageSize)")
        }
        // 8-bit activations keep the maximum (lossless here); 4-bit ones clip at the MSE optimum.
        let (ranges, _) = try model.calibrate(calibration, clipping: precision.activationBits < 8 ? (1 << precision.activationBits) - 1 : nil)
        func range(_ key: String) -> Double { Swift.max(ranges[key] ?? 0, 1e-8) }
        let activationMax = Int32((1 << precision.activationBits) - 1)

        /// One unit: per-channel weights at `bits`, accumulators at `sw·scaleIn`, output at
        /// `outScale` (activation: ReLU clamp; residual: signed int32). With `inputZeroPoints` (the
        /// stem, run unpadded on an image framed by them) the bias also carries `−Σ_c z_c·Σ q[o][c]`.
        func unit(_ spec: UnitSpec, weight w: Tensor, bias b: Tensor, bits: Int, scaleIn: Double, outScale: Double, role: Role,
                  outputSize: Int, inputZeroPoints: [Int32]? = nil) throws -> Unit {
            let (q, sw) = IntegerCNN.quantizeWeights(w, bits: bits)
            let outC = w.shape[0], inC = w.shape[1], taps = spec.kernel * spec.kernel
            let accScales = sw.map { $0 * scaleIn }
            let bias = zip(b.doubles, accScales).enumerated().map { o, p in
                let correction = inputZeroPoints.map { z in
                    (0..<inC).reduce(Int64(0)) { s, c in
                        s + Int64(z[c]) * (0..<taps).reduce(Int64(0)) { $0 + Int64(q[(o * inC + c) * taps + $1]) }
                    }
                } ?? 0
                return Int32(clamping: Int64((p.0 / p.1).rounded()) - correction)
            }
            let clamp: ClosedRange<Int32> = role == .activation ? 0...activationMax : -IntegerResNet.residualLimit...IntegerResNet.residualLimit
            let norm: Unit.Norm
            if model.isGroupNorm {
                let preScale = range(spec.name + ".pre") / 32767
                let gamma = try model.tensor(spec.norm + ".weight").doubles, beta = try model.tensor(spec.norm + ".bias").doubles
                norm = .group(pre: accScales.map { IntegerCNN.requantizer(ratio: $0 / preScale, clamp: -32767...32767) },
                              norm: IBert.GroupNorm(channels: outC, groups: model.groups, spatial: outputSize * outputSize, gamma: gamma,
                                                    beta: beta, outputScale: outScale, clamp: clamp),
                              groups: model.groups, gamma: gamma, beta: beta, outputScale: outScale)
            } else {
                norm = .folded(accScales.map { IntegerCNN.requantizer(ratio: $0 / outScale, clamp: clamp) })
            }
            return Unit(name: spec.name, inChannels: inC, outChannels: outC, kernel: spec.kernel, stride: spec.stride,
                        padding: inputZeroPoints == nil ? spec.padding : 0, weights: q, weightBits: bits, bias: bias, role: role, norm: norm)
        }

        if model.isGroupNorm {
            let width = stemWeight.shape[0]
            guard model.groups >= 1, width % model.groups == 0 else {
                throw QuantError.unsupportedModel("width \(width) is not divisible by \(model.groups) groups")
            }
        }
        // Stem: x_c = (p − 255·mean_c)/(255·std_c), so 1/(255·std_c) joins the weights (input
        // scale 1 pixel) and round(255·mean_c) becomes channel c's zero point.
        let zeroPoints = model.mean.map { Int32((255 * $0).rounded()) }
        let stemSpec = UnitSpec(name: "conv1", conv: "conv1", norm: "bn1", kernel: 3, stride: 1, padding: 1)
        let (w0, b0) = try model.convolution("conv1", norm: "bn1")
        let inputScale = Tensor(shape: [1, inputChannels, 1, 1], scalars: model.std.map { 1 / (255 * $0) })
        let stemW = w0 * inputScale
        var scaleIn = range("conv1.out") / Double(activationMax)
        let stem = try unit(stemSpec, weight: stemW, bias: b0, bits: 8, scaleIn: 1, outScale: scaleIn, role: .activation,
                            outputSize: model.imageSize, inputZeroPoints: zeroPoints)

        var blocks: [Block] = []
        var size = model.imageSize
        for spec in model.blockSpecs() {
            let out = (size + 2 - 3) / spec.conv1.stride + 1
            let innerScale = range(spec.conv1.name + ".out") / Double(activationMax)
            let blockScale = range(spec.name + ".out") / Double(activationMax)
            let residualScale = blockScale / Double(1 << IntegerResNet.residualShift)
            let (w1, b1) = try model.convolution(spec.conv1.conv, norm: spec.conv1.norm)
            let conv1 = try unit(spec.conv1, weight: w1, bias: b1, bits: precision.weightBits, scaleIn: scaleIn, outScale: innerScale,
                                 role: .activation, outputSize: out)
            let (w2, b2) = try model.convolution(spec.conv2.conv, norm: spec.conv2.norm)
            let conv2 = try unit(spec.conv2, weight: w2, bias: b2, bits: precision.weightBits, scaleIn: innerScale, outScale: residualScale,
                                 role: .residual, outputSize: out)
            let shortcut: Block.Shortcut
            if let s = spec.shortcut {
                let (ws, bs) = try model.convolution(s.conv, norm: s.norm)
                shortcut = .projection(try unit(s, weight: ws, bias: bs, bits: precision.weightBits, scaleIn: scaleIn, outScale: residualScale,
                                                role: .residual, outputSize: out))
            } else {
                guard conv1.inChannels == conv2.outChannels, spec.conv1.stride == 1 else {
                    throw QuantError.unsupportedModel("\(spec.name) changes shape (\(conv1.inChannels) → \(conv2.outChannels) channels) without a projection shortcut")
                }
                shortcut = .identity(IntegerCNN.requantizer(ratio: scaleIn / residualScale, clamp: -IntegerResNet.residualLimit...IntegerResNet.residualLimit))
            }
            blocks.append(Block(conv1: conv1, conv2: conv2, shortcut: shortcut,
                                output: Requantizer(dyadic: Dyadic(b: 1, c: IntegerResNet.residualShift), clamp: 0...activationMax)))
            scaleIn = blockScale
            size = out
        }
        // Pool: Σ over H·W at scale s → mean at s/(H·W) → 8-bit head input.
        let poolScale = range("pool") / 255
        let pool = IntegerCNN.requantizer(ratio: scaleIn / (Double(size * size) * poolScale), clamp: 0...255)
        let fc = try model.tensor("linear.weight"), fb = try model.tensor("linear.bias")
        let (qf, sf) = IntegerCNN.quantizeWeights(fc, bits: 8)
        let acc = sf.map { $0 * poolScale }
        let logitScale = acc.max()!
        let head = IntegerCNN.Dense(inFeatures: fc.shape[1], outFeatures: fc.shape[0], weights: qf, weightBits: 8,
                                    bias: zip(fb.doubles, acc).map { Int32(clamping: Int64(($0 / $1).rounded())) },
                                    requantizers: acc.map { IntegerCNN.requantizer(ratio: $0 / logitScale, clamp: Int32.min...Int32.max) })
        return IntegerResNet(modelName: model.name, precision: precision, imageSize: model.imageSize, inputChannels: inputChannels,
                             classes: fc.shape[0], inputZeroPoints: zeroPoints, stem: stem, blocks: blocks, pool: pool, head: head,
                             logitScale: logitScale)
    }
}
