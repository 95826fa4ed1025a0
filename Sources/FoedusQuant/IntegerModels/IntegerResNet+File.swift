import Foundation
import FoedusKernels

extension IntegerResNet {
    /// The model as safetensors bytes (format `foedus-integer-resnet`): per unit its int8/int4
    /// weights, int32 bias and dyadic multipliers (or group-norm parameters), the input zero
    /// points, each block's shortcut and output multipliers, the pool's and the head's.
    public func encoded() throws -> [UInt8] {
        var file = RawTensorFile()
        file.metadata = ["format": "foedus-integer-resnet", "version": "1", "model": modelName, "precision": precision.rawValue,
                         "image_size": String(imageSize), "input_channels": String(inputChannels), "classes": String(classes),
                         "logit_scale": String(logitScale)]
        func add(_ u: Unit) {
            file.addWeights(u.name, u.weights, bits: u.weightBits, shape: [u.outChannels, u.inChannels, u.kernel, u.kernel])
            file.metadata[u.name + ".stride"] = String(u.stride)
            file.add(u.name + ".bias", u.bias)
            switch u.norm {
            case .folded(let r):
                file.addDyadics(u.name + ".requant", r)
            case .group(let pre, _, let groups, let gamma, let beta, let outputScale):
                file.metadata[u.name + ".groups"] = String(groups)
                file.addDyadics(u.name + ".pre", pre)
                file.add(u.name + ".gn_gamma", gamma)
                file.add(u.name + ".gn_beta", beta)
                file.add(u.name + ".gn_output_scale", [outputScale])
            }
        }
        file.add("input_zero_points", inputZeroPoints)
        add(stem)
        for (i, b) in blocks.enumerated() {
            add(b.conv1)
            add(b.conv2)
            switch b.shortcut {
            case .identity(let r): file.addDyadics(Self.blockName(i) + ".identity", [r])
            case .projection(let u): add(u)
            }
            file.addDyadics(Self.blockName(i) + ".output", [b.output])
        }
        file.addDyadics("pool", [pool])
        file.addWeights("linear", head.weights, bits: head.weightBits, shape: [head.outFeatures, head.inFeatures])
        file.add("linear.bias", head.bias)
        file.addDyadics("linear.requant", head.requantizers)
        return try file.encoded()
    }

    /// `layer{stage}.{block}` of the `i`-th block (three stages of three).
    static func blockName(_ i: Int) -> String { "layer\(i / 3 + 1).\(i % 3)" }

    public func write(to path: String) throws {
        try Data(try encoded()).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads a model written by ``write(to:)``; every tensor is checked against the model's shape.
    public static func read(path: String) throws -> IntegerResNet {
        try decode(try RawTensorFile.load(path: path), path: path)
    }

    static func decode(_ file: RawTensorFile, path: String) throws -> IntegerResNet {
        let m = file.metadata
        func bad(_ reason: String) -> QuantError { .badFile(path: path, reason: reason) }
        guard m["format"] == "foedus-integer-resnet" else { throw bad("not a Foedus integer ResNet (metadata format is \(m["format"] ?? "missing"))") }
        guard m["version"] == "1" else { throw bad("integer model version \(m["version"] ?? "missing") (this build reads 1)") }
        guard let name = m["model"], name == "resnet20-gn" || name == "resnet20-bn",
              let precision = m["precision"].flatMap(IntegerPrecision.init(rawValue:)),
              let imageSize = m["image_size"].flatMap(Int.init), (1...4096).contains(imageSize),
              let inputChannels = m["input_channels"].flatMap(Int.init), (1...64).contains(inputChannels),
              let classes = m["classes"].flatMap(Int.init), classes > 1,
              let logitScale = m["logit_scale"].flatMap(Double.init), logitScale > 0, logitScale.isFinite else {
            throw bad("metadata model/precision/image_size/input_channels/classes/logit_scale missing or invalid")
        }
        let activationMax = Int32((1 << precision.activationBits) - 1)
        let residual = -residualLimit...residualLimit
        let modelIsGroupNorm = name == "resnet20-gn"
        func unit(_ name: String, inChannels: Int, kernel: Int, role: Role, size: Int, padding: Int) throws -> (Unit, Int) {
            let s = try file.weightShape(name, path: path)
            guard s.count == 4, s[1] == inChannels, s[2] == kernel, s[3] == kernel else {
                throw bad("\(name).weight_shape \(s), expected [out, \(inChannels), \(kernel), \(kernel)]")
            }
            guard let stride = m[name + ".stride"].flatMap(Int.init), stride == 1 || stride == 2 else { throw bad("\(name).stride must be 1 or 2") }
            let out = (size + 2 * padding - kernel) / stride + 1
            guard out >= 1 else { throw bad("\(name) leaves no output pixels for a \(size)×\(size) input") }
            let (w, bits) = try file.weights(name, count: s.reduce(1, *), path: path)
            let clamp = role == .activation ? 0...activationMax : residual
            let norm: Unit.Norm
            if modelIsGroupNorm {
                guard let groups = m[name + ".groups"].flatMap(Int.init), groups >= 1, s[0] % groups == 0 else { throw bad("\(name).groups missing or not dividing \(s[0])") }
                let gamma = try file.doubles(name + ".gn_gamma", path: path), beta = try file.doubles(name + ".gn_beta", path: path)
                let outputScale = try file.doubles(name + ".gn_output_scale", path: path)
                guard gamma.count == s[0], beta.count == s[0], outputScale.count == 1, outputScale[0] > 0, outputScale[0].isFinite,
                      (gamma + beta).allSatisfy(\.isFinite) else { throw bad("\(name) group-norm parameters") }
                norm = .group(pre: try file.dyadics(name + ".pre", count: s[0], clamp: -32767...32767, path: path),
                              norm: IBert.GroupNorm(channels: s[0], groups: groups, spatial: out * out, gamma: gamma, beta: beta,
                                                    outputScale: outputScale[0], clamp: clamp),
                              groups: groups, gamma: gamma, beta: beta, outputScale: outputScale[0])
            } else {
                norm = .folded(try file.dyadics(name + ".requant", count: s[0], clamp: clamp, path: path))
            }
            return (Unit(name: name, inChannels: inChannels, outChannels: s[0], kernel: kernel, stride: stride, padding: padding, weights: w,
                         weightBits: bits, bias: try file.bias(name + ".bias", count: s[0], path: path), role: role, norm: norm), out)
        }
        let zeroPoints = try file.integers("input_zero_points", as: Int32.self, path: path)
        guard zeroPoints.count == inputChannels, zeroPoints.allSatisfy({ (0...255).contains($0) }) else {
            throw bad("input_zero_points must hold \(inputChannels) values in 0…255")
        }
        let (stem, stemSize) = try unit("conv1", inChannels: inputChannels, kernel: 3, role: .activation, size: imageSize + 2, padding: 0)
        guard stemSize == imageSize else { throw bad("conv1.stride must be 1 (the stem keeps the image size)") }
        var blocks: [Block] = []
        var channels = stem.outChannels, size = imageSize
        for i in 0..<9 {
            let p = blockName(i)
            let (conv1, out) = try unit(p + ".conv1", inChannels: channels, kernel: 3, role: .activation, size: size, padding: 1)
            let (conv2, out2) = try unit(p + ".conv2", inChannels: conv1.outChannels, kernel: 3, role: .residual, size: out, padding: 1)
            guard out2 == out, conv2.outChannels == conv1.outChannels, conv2.stride == 1 else { throw bad("\(p).conv2 does not keep \(p).conv1's shape") }
            let shortcut: Block.Shortcut
            if m[p + ".shortcut.weight_shape"] != nil {
                let (s, outS) = try unit(p + ".shortcut", inChannels: channels, kernel: 1, role: .residual, size: size, padding: 0)
                guard outS == out, s.outChannels == conv1.outChannels else { throw bad("\(p).shortcut does not match the block's output") }
                shortcut = .projection(s)
            } else {
                guard channels == conv1.outChannels, conv1.stride == 1 else { throw bad("\(p) changes shape without a projection shortcut") }
                shortcut = .identity(try file.dyadics(p + ".identity", count: 1, clamp: residual, path: path)[0])
            }
            let output = try file.dyadics(p + ".output", count: 1, clamp: 0...activationMax, path: path)[0]
            blocks.append(Block(conv1: conv1, conv2: conv2, shortcut: shortcut, output: output))
            channels = conv1.outChannels
            size = out
        }
        let pool = try file.dyadics("pool", count: 1, clamp: 0...255, path: path)[0]
        let hs = try file.weightShape("linear", path: path)
        guard hs.count == 2, hs[0] == classes, hs[1] == channels else { throw bad("linear.weight_shape \(hs), expected [\(classes), \(channels)]") }
        let (hw, hbits) = try file.weights("linear", count: hs[0] * hs[1], path: path)
        let head = IntegerCNN.Dense(inFeatures: channels, outFeatures: classes, weights: hw, weightBits: hbits,
                                    bias: try file.bias("linear.bias", count: classes, path: path),
                                    requantizers: try file.dyadics("linear.requant", count: classes, clamp: Int32.min...Int32.max, path: path))
        return IntegerResNet(modelName: name, precision: precision, imageSize: imageSize, inputChannels: inputChannels, classes: classes,
                             inputZeroPoints: zeroPoints, stem: stem, blocks: blocks, pool: pool, head: head, logitScale: logitScale)
    }
}
