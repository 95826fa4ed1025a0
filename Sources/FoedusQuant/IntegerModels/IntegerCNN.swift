import FoedusKernels
import FoedusTensor

/// An integer-only `cnn-gn` / `cnn-bn` (``FoedusNN/SmallCNN``): raw uint8 pixels in, class indices
/// out, with no floating-point arithmetic in between. Every scale became a dyadic multiplier
/// (`b / 2^c`) at conversion; the input normalisation is folded into the first convolution
/// (its mean becomes the input zero point), batch norm into the convolution before it, and group
/// norm runs as integer i-GroupNorm (I-BERT statistics). ReLU is the lower clamp of each
/// requantization, max-pooling compares integers, and the last layer's per-channel accumulators
/// are brought to one scale so their argmax is the prediction.
public struct IntegerCNN: Sendable {
    /// One convolution stage: conv 3×3 → norm → ReLU → max-pool 2.
    public struct Stage: Sendable {
        public let inChannels: Int, outChannels: Int
        /// OIHW weights (int4 values live in −7…7 when `weightBits` is 4).
        public let weights: [Int8]
        public let weightBits: Int
        public let bias: [Int32]
        /// Input zero point (the first stage's is the quantized input mean; later stages 0).
        public let inputZeroPoint: Int32
        public let norm: Norm
        let conv: IntegerConv2D

        public enum Norm: Sendable {
            /// Folded batch norm: accumulator → activation, one requantizer per channel (ReLU = clamp at 0).
            case folded([Requantizer])
            /// Accumulator → common 16-bit scale per channel, then i-GroupNorm (ReLU = its clamp at 0).
            case group(pre: [Requantizer], norm: IBert.GroupNorm, gamma: [Double], beta: [Double], outputScale: Double)
        }

        init(inChannels: Int, outChannels: Int, weights: [Int8], weightBits: Int, bias: [Int32], inputZeroPoint: Int32, norm: Norm) {
            self.inChannels = inChannels
            self.outChannels = outChannels
            self.weights = weights
            self.weightBits = weightBits
            self.bias = bias
            self.inputZeroPoint = inputZeroPoint
            self.norm = norm
            conv = IntegerConv2D(weights: weights, inChannels: inChannels, outChannels: outChannels, kernel: (3, 3), padding: (1, 1))
            switch norm {
            case .folded(let r), .group(let r, _, _, _, _):
                channels = ChannelRequantizer(dyadics: r.map(\.dyadic), zeroPoint: r[0].zeroPoint, clamp: r[0].clamp)
            }
        }

        /// The per-channel requantizers of `norm` as one vectorised pass over channels-last
        /// accumulators (every channel shares the zero point and clamp).
        let channels: ChannelRequantizer

        /// Channels-last forward pass of `images` images: `x` NHWC uint8 `[images, size, size, inChannels]`,
        /// `out` the pooled NHWC activations `[images, size/2, size/2, outChannels]`. `acc` and
        /// `activation` are scratch of `images · size² · outChannels` values. The same integers as
        /// ``forward(_:batch:size:)`` in the other layout.
        func forwardChannelsLast(_ x: UnsafePointer<UInt8>, images: Int, size: Int, acc: UnsafeMutablePointer<Int32>,
                                 activation: UnsafeMutablePointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) {
            bias.withUnsafeBufferPointer { pb in
                switch norm {
                case .folded:
                    // Folded BN: the requantization to the next activation is the GEMM's epilogue.
                    conv.forwardChannelsLast(x, batch: images, h: size, w: size, zeroPoint: inputZeroPoint, bias: pb.baseAddress,
                                             requantizer: channels, into: .bytes(UnsafeMutableRawPointer(activation)))
                case .group(_, let groupNorm, _, _, _):
                    // The requantization to the 16-bit normalisation scale is the GEMM's epilogue.
                    conv.forwardChannelsLast(x, batch: images, h: size, w: size, zeroPoint: inputZeroPoint, bias: pb.baseAddress,
                                             requantizer: channels, into: .int32(acc))
                    groupNorm.applyChannelsLast(acc, samples: images, into: activation)
                }
            }
            IntegerPooling.maxPool2ChannelsLast(activation, images: images, size: size, channels: outChannels, into: out)
        }

        /// The channel-first twin of ``forwardChannelsLast(_:images:size:acc:activation:into:)``:
        /// `x` is NCHW uint8 (pixels, or the previous stage's non-negative activations); returns
        /// the pooled uint8 activations, NCHW.
        func forward(_ x: [UInt8], batch: Int, size: Int) -> [UInt8] {
            let spatial = size * size
            var acc = [Int32](repeating: 0, count: batch * outChannels * spatial)
            x.withUnsafeBufferPointer { px in
                bias.withUnsafeBufferPointer { pb in
                    acc.withUnsafeMutableBufferPointer { pa in
                        conv.forward(px.baseAddress!, signed: false, batch: batch, h: size, w: size, zeroPoint: inputZeroPoint,
                                     bias: pb.baseAddress, into: pa.baseAddress!)
                    }
                }
            }
            var activation = [UInt8](repeating: 0, count: acc.count)
            switch norm {
            case .folded(let requantizers):
                acc.withUnsafeBufferPointer { pa in
                    activation.withUnsafeMutableBufferPointer { po in
                        for n in 0..<batch {
                            for o in 0..<outChannels {
                                let offset = (n * outChannels + o) * spatial
                                requantizers[o].requantize(pa.baseAddress! + offset, count: spatial, into: po.baseAddress! + offset)
                            }
                        }
                    }
                }
            case .group(let pre, let groupNorm, _, _, _):
                acc.withUnsafeMutableBufferPointer { pa in
                    // Each channel plane to the common pre-normalisation scale (hoisted constants).
                    for n in 0..<batch {
                        for o in 0..<outChannels {
                            let plane = pa.baseAddress! + (n * outChannels + o) * spatial
                            pre[o].requantize(plane, count: spatial, into: plane)
                        }
                    }
                    activation.withUnsafeMutableBufferPointer { po in
                        groupNorm.apply(UnsafePointer(pa.baseAddress!), samples: batch, into: po.baseAddress!)
                    }
                }
            }
            return IntegerPooling.maxPool2(activation, channels: batch * outChannels, size: size)
        }
    }

    /// A fully connected layer: uint8 input `[N, K]` (non-negative activations), int32 accumulators, requantized.
    public struct Dense: Sendable {
        public let inFeatures: Int, outFeatures: Int
        /// `[out, in]` weights.
        public let weights: [Int8]
        public let weightBits: Int
        public let bias: [Int32]
        /// Per output channel: to the next activation (ReLU clamp) or, for the last layer, to the
        /// common logit scale (no clamp).
        public let requantizers: [Requantizer]
        let packed: PackedInt8Matrix
        /// The vectorised form of `requantizers` (hidden layers: one shared clamp).
        let channel: ChannelRequantizer

        init(inFeatures: Int, outFeatures: Int, weights: [Int8], weightBits: Int, bias: [Int32], requantizers: [Requantizer]) {
            self.inFeatures = inFeatures
            self.outFeatures = outFeatures
            self.weights = weights
            self.weightBits = weightBits
            self.bias = bias
            self.requantizers = requantizers
            packed = PackedInt8Matrix(weights, k: inFeatures, n: outFeatures, transposed: true)
            channel = ChannelRequantizer(dyadics: requantizers.map(\.dyadic), zeroPoint: 0, clamp: requantizers[0].clamp)
        }

        func accumulate(_ x: [UInt8], batch: Int, packed: PackedInt8Matrix? = nil) -> [Int32] {
            var acc = [Int32](repeating: 0, count: batch * outFeatures)
            x.withUnsafeBufferPointer { px in
                bias.withUnsafeBufferPointer { pb in
                    acc.withUnsafeMutableBufferPointer { pa in
                        IntegerGEMM.multiply(px.baseAddress!, lda: inFeatures, m: batch, packed ?? self.packed, aZeroPoint: 0, bias: pb.baseAddress,
                                             into: pa.baseAddress!, ldc: outFeatures)
                    }
                }
            }
            return acc
        }

        /// Requantized activations (uint8, ReLU as the clamp at 0) for a hidden layer; `packed`
        /// replaces the weights (the same weights with permuted input features).
        func forward(_ x: [UInt8], batch: Int, packed: PackedInt8Matrix? = nil) -> [UInt8] {
            channel.requantizeToUInt8(accumulate(x, batch: batch, packed: packed), rows: batch)
        }

        /// Logits at one common scale (int32) for the output layer.
        func logits(_ x: [UInt8], batch: Int) -> [Int32] {
            let acc = accumulate(x, batch: batch)
            return acc.indices.map { requantizers[$0 % outFeatures].requantize(acc[$0]) }
        }
    }

    public let modelName: String
    public let precision: IntegerPrecision
    public let imageSize: Int
    public let classes: Int
    public let stages: [Stage]
    public let hidden: Dense
    public let output: Dense
    /// The real value of one logit unit (for reading scores; inference never uses it).
    public let logitScale: Double
    /// The hidden layer's weights with input features in (h, w, c) order: the flattening of the
    /// last stage's channels-last output.
    let hiddenChannelsLast: PackedInt8Matrix

    init(modelName: String, precision: IntegerPrecision, imageSize: Int, classes: Int, stages: [Stage], hidden: Dense,
         output: Dense, logitScale: Double) {
        self.modelName = modelName
        self.precision = precision
        self.imageSize = imageSize
        self.classes = classes
        self.stages = stages
        self.hidden = hidden
        self.output = output
        self.logitScale = logitScale
        let channels = stages.last!.outChannels, spatial = hidden.inFeatures / channels
        precondition(channels * spatial == hidden.inFeatures, "IntegerCNN: \(hidden.inFeatures) hidden inputs for \(channels) channels")
        var permuted = [Int8](repeating: 0, count: hidden.weights.count)
        for o in 0..<hidden.outFeatures {
            let row = o * hidden.inFeatures
            for c in 0..<channels { for p in 0..<spatial { permuted[row + p * channels + c] = hidden.weights[row + c * spatial + p] } }
        }
        hiddenChannelsLast = PackedInt8Matrix(permuted, k: hidden.inFeatures, n: hidden.outFeatures, transposed: true)
    }

    static func argmax(_ logits: [Int32], classes: Int) -> [Int] {
        (0..<(logits.count / classes)).map { n in
            var best = 0
            for c in 1..<classes where logits[n * classes + c] > logits[n * classes + best] { best = c }
            return best
        }
    }

    /// Images per chunk of the convolution stages: their int32 accumulators (≈ 100 KB per
    /// 28×28×32 image) stay in the L2 cache between the GEMM, the normalisation and the pooling.
    static let chunk = 4

    /// Integer logits `[batch, classes]` (one common scale, so their order is the prediction).
    /// The convolution stages run channels-last, a few images at a time; the result equals
    /// ``logitsChannelsFirst(pixels:batch:)`` exactly.
    public func logits(pixels: [UInt8], batch: Int) -> [Int32] {
        precondition(pixels.count == batch * imageSize * imageSize, "[IntegerCNN] \(pixels.count) pixels for \(batch) images of \(imageSize)×\(imageSize)")
        precondition(stages.first?.inChannels == 1, "IntegerCNN: one input channel expected")
        let widest = stages.map { $0.outChannels * imageSize * imageSize }.max()!
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: Self.chunk * widest)
        let activation = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.chunk * widest)
        let ping = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.chunk * widest / 4)
        let pong = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.chunk * widest / 4)
        defer { acc.deallocate(); activation.deallocate(); ping.deallocate(); pong.deallocate() }
        var features = [UInt8](repeating: 0, count: batch * hidden.inFeatures)
        pixels.withUnsafeBufferPointer { px in
            features.withUnsafeMutableBufferPointer { pf in
                for first in stride(from: 0, to: batch, by: Self.chunk) {
                    let images = min(Self.chunk, batch - first)
                    // One input channel: NCHW pixels are already channels-last.
                    var input = UnsafePointer(px.baseAddress! + first * imageSize * imageSize)
                    var size = imageSize
                    for (i, stage) in stages.enumerated() {
                        let last = i == stages.count - 1
                        let out = last ? pf.baseAddress! + first * hidden.inFeatures : (i % 2 == 0 ? ping : pong)
                        stage.forwardChannelsLast(input, images: images, size: size, acc: acc, activation: activation, into: out)
                        input = UnsafePointer(out)
                        size /= 2
                    }
                }
            }
        }
        let h = hidden.forward(features, batch: batch, packed: hiddenChannelsLast)
        return output.logits(h, batch: batch)
    }

    /// The channel-first (NCHW) twin of ``logits(pixels:batch:)``: whole-batch stages, the
    /// flattening the float model uses. Kept as the layout-independent reference in tests.
    public func logitsChannelsFirst(pixels: [UInt8], batch: Int) -> [Int32] {
        precondition(pixels.count == batch * imageSize * imageSize, "[IntegerCNN] \(pixels.count) pixels for \(batch) images of \(imageSize)×\(imageSize)")
        var size = imageSize
        var x = pixels
        for stage in stages {
            x = stage.forward(x, batch: batch, size: size)
            size /= 2
        }
        let h = hidden.forward(x, batch: batch)
        return output.logits(h, batch: batch)
    }
}
