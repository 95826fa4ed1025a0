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
        }

        /// `x`: NCHW uint8 bytes (pixels, or the previous stage's non-negative activations);
        /// returns the pooled uint8 activations.
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

        func accumulate(_ x: [UInt8], batch: Int) -> [Int32] {
            var acc = [Int32](repeating: 0, count: batch * outFeatures)
            x.withUnsafeBufferPointer { px in
                bias.withUnsafeBufferPointer { pb in
                    acc.withUnsafeMutableBufferPointer { pa in
                        IntegerGEMM.multiply(px.baseAddress!, lda: inFeatures, m: batch, packed, aZeroPoint: 0, bias: pb.baseAddress,
                                             into: pa.baseAddress!, ldc: outFeatures)
                    }
                }
            }
            return acc
        }

        /// Requantized activations (uint8, ReLU as the clamp at 0) for a hidden layer.
        func forward(_ x: [UInt8], batch: Int) -> [UInt8] {
            channel.requantizeToUInt8(accumulate(x, batch: batch), rows: batch)
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

    /// Predicted classes for raw pixels `[batch, 1, size, size]` (uint8, as stored in the dataset).
    /// - Precondition: `pixels.count == batch · imageSize²`.
    public func predict(pixels: [UInt8], batch: Int) -> [Int] {
        let logits = self.logits(pixels: pixels, batch: batch)
        return (0..<batch).map { n in
            var best = 0
            for c in 1..<classes where logits[n * classes + c] > logits[n * classes + best] { best = c }
            return best
        }
    }

    /// Integer logits `[batch, classes]` (one common scale, so their order is the prediction).
    public func logits(pixels: [UInt8], batch: Int) -> [Int32] {
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
