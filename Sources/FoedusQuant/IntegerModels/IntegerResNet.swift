import FoedusKernels

/// An integer-only `resnet20-gn` / `resnet20-bn` (``FoedusNN/ResNet20``): raw uint8 pixels in
/// (any number of channels), class indices out, with no floating-point arithmetic in between.
///
/// - The input normalisation is folded into the stem: per-channel `1/(255·std)` into its weights,
///   the per-channel means become input zero points, which pad the image and leave the
///   convolution as the zero-point correction `−Σ z_c·W` in its bias (exact, borders included).
/// - Batch norm is folded into the convolution before it; group norm runs as i-GroupNorm.
/// - A basic block's two branches (conv2 → norm, and the shortcut: identity or 1×1 conv → norm)
///   are requantized to one fine residual scale (the block's output scale / 256) as int32, added,
///   and requantized to the block's activations with ReLU as the clamp (HAWQ-V3's dyadic
///   residual alignment, with 8 extra bits so each branch's rounding is ≤ 1/512 LSB).
/// - Global average pooling sums each channel and requantizes the sum to the head's 8-bit input.
///
/// Activations run channels-last, a few images at a time.
public struct IntegerResNet: Sendable {
    /// What a convolution unit hands on.
    public enum Role: String, Sendable {
        /// uint8 activations after ReLU (the clamp `0 … 2^bits − 1`).
        case activation
        /// Signed int32 values at the block's residual scale (no ReLU: the branch is added first).
        case residual
    }

    /// The clamp of residual branches: their sum stays inside Int32.
    static let residualLimit: Int32 = (1 << 30) - 1
    /// Residual branches carry 8 more bits than the block's output activations.
    static let residualShift = 8

    /// A convolution followed by its normalisation, NHWC in and out.
    public struct Unit: Sendable {
        public let name: String
        public let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
        /// OIHW weights (int4 values live in −7…7 when `weightBits` is 4).
        public let weights: [Int8]
        public let weightBits: Int
        public let bias: [Int32]
        public let role: Role
        public let norm: Norm
        let conv: IntegerConv2D
        let requantizer: ChannelRequantizer

        public enum Norm: Sendable {
            /// Folded batch norm: accumulator → output (activation or residual scale), per channel.
            case folded([Requantizer])
            /// Accumulator → common 16-bit scale per channel, then i-GroupNorm to the output scale.
            case group(pre: [Requantizer], norm: IBert.GroupNorm, groups: Int, gamma: [Double], beta: [Double], outputScale: Double)
        }

        init(name: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, weights: [Int8], weightBits: Int,
             bias: [Int32], role: Role, norm: Norm) {
            self.name = name
            self.inChannels = inChannels
            self.outChannels = outChannels
            self.kernel = kernel
            self.stride = stride
            self.padding = padding
            self.weights = weights
            self.weightBits = weightBits
            self.bias = bias
            self.role = role
            self.norm = norm
            conv = IntegerConv2D(weights: weights, inChannels: inChannels, outChannels: outChannels, kernel: (kernel, kernel),
                                 stride: (stride, stride), padding: (padding, padding))
            switch norm {
            case .folded(let r), .group(let r, _, _, _, _, _):
                requantizer = ChannelRequantizer(dyadics: r.map(\.dyadic), zeroPoint: 0, clamp: r[0].clamp)
            }
        }

        func outputSize(_ size: Int) -> Int { (size + 2 * padding - kernel) / stride + 1 }

        /// Where a unit writes: bytes for ``Role/activation``, int32 for ``Role/residual``, or a
        /// block's output bytes (a ``Role/residual`` unit plus the shortcut, requantized by `output`).
        enum Output {
            case bytes(UnsafeMutablePointer<UInt8>)
            case int32(UnsafeMutablePointer<Int32>)
            /// `main` receives a folded unit's int32 values before the add (group norm never stores them).
            case block(IntegerResidual.Shortcut, output: Requantizer, main: UnsafeMutablePointer<Int32>, into: UnsafeMutablePointer<UInt8>)
        }

        /// Channels-last pass of `images` images `[size, size, inChannels]` (uint8, zero point 0).
        /// `scratch` holds `images · outputSize² · outChannels` int32 (group norm's input).
        func forward(_ x: UnsafePointer<UInt8>, images: Int, size: Int, scratch: UnsafeMutablePointer<Int32>, into out: Output) {
            bias.withUnsafeBufferPointer { pb in
                switch (norm, out) {
                case (.folded, .bytes(let o)):
                    conv.forwardChannelsLast(x, batch: images, h: size, w: size, zeroPoint: 0, bias: pb.baseAddress, requantizer: requantizer,
                                             into: .bytes(UnsafeMutableRawPointer(o)))
                case (.folded, .int32(let o)):
                    conv.forwardChannelsLast(x, batch: images, h: size, w: size, zeroPoint: 0, bias: pb.baseAddress, requantizer: requantizer,
                                             into: .int32(o))
                case (.folded, .block(let shortcut, let output, let main, let o)):
                    conv.forwardChannelsLast(x, batch: images, h: size, w: size, zeroPoint: 0, bias: pb.baseAddress, requantizer: requantizer,
                                             into: .int32(main))
                    let count = images * outputSize(size) * outputSize(size) * outChannels
                    IntegerResidual.addRequantize(main, shortcut, count: count, output: output, into: o)
                case (.group(_, let gn, _, _, _, _), _):
                    conv.forwardChannelsLast(x, batch: images, h: size, w: size, zeroPoint: 0, bias: pb.baseAddress, requantizer: requantizer,
                                             into: .int32(scratch))
                    switch out {
                    case .bytes(let o): gn.applyChannelsLast(UnsafePointer(scratch), samples: images, into: o)
                    case .int32(let o): gn.applyChannelsLast(UnsafePointer(scratch), samples: images, into: o)
                    case .block(let shortcut, let output, _, let o):
                        gn.applyChannelsLast(UnsafePointer(scratch), samples: images, adding: shortcut, output: output, into: o)
                    }
                }
            }
        }
    }

    /// A basic block: `relu(norm(conv2(relu(norm(conv1(x))))) + shortcut(x))`.
    public struct Block: Sendable {
        public let conv1: Unit, conv2: Unit
        public let shortcut: Shortcut
        /// The residual sum → the block's activations (ReLU as the clamp at 0).
        public let output: Requantizer

        public enum Shortcut: Sendable {
            /// The block's uint8 input → the residual scale (one multiplier).
            case identity(Requantizer)
            /// 1×1 convolution (stride 2 between stages) and its norm, at the residual scale.
            case projection(Unit)
        }

        /// The identity shortcut as a table over the 256 input bytes (the same integers as its requantizer).
        let identityTable: [Int32]?

        init(conv1: Unit, conv2: Unit, shortcut: Shortcut, output: Requantizer) {
            self.conv1 = conv1
            self.conv2 = conv2
            self.shortcut = shortcut
            self.output = output
            if case .identity(let r) = shortcut {
                identityTable = (0..<256).map { r.requantize(Int32($0)) }
            } else {
                identityTable = nil
            }
        }
    }

    public let modelName: String
    public let precision: IntegerPrecision
    public let imageSize: Int
    public let inputChannels: Int
    public let classes: Int
    /// Per input channel: the quantized mean `round(255·mean_c)`, the value that pads the image.
    public let inputZeroPoints: [Int32]
    /// The stem convolution, run on the image padded by one pixel of zero points (its own padding is 0).
    public let stem: Unit
    public let blocks: [Block]
    /// Per-channel spatial sum → the head's uint8 input (one multiplier: `1/(H·W)` and the rescale).
    public let pool: Requantizer
    public let head: IntegerCNN.Dense
    /// The real value of one logit unit (for reading scores; inference never uses it).
    public let logitScale: Double

    init(modelName: String, precision: IntegerPrecision, imageSize: Int, inputChannels: Int, classes: Int, inputZeroPoints: [Int32],
         stem: Unit, blocks: [Block], pool: Requantizer, head: IntegerCNN.Dense, logitScale: Double) {
        self.modelName = modelName
        self.precision = precision
        self.imageSize = imageSize
        self.inputChannels = inputChannels
        self.classes = classes
        self.inputZeroPoints = inputZeroPoints
        self.stem = stem
        self.blocks = blocks
        self.pool = pool
        self.head = head
        self.logitScale = logitScale
    }

    /// Spatial size after the blocks.
    var finalSize: Int { blocks.reduce(imageSize) { $1.conv1.outputSize($0) } }

    /// Images per chunk: the stage-1 activations of a chunk (≈ 50 KB each at 28×28×16) stay in L2.
    static let chunk = 8

    /// Integer logits `[batch, classes]` at one common scale. Equals ``logitsReference(pixels:batch:)``.
    /// - Precondition: `pixels.count == batch · inputChannels · imageSize²`.
    public func logits(pixels: [UInt8], batch: Int) -> [Int32] {
        let imageBytes = inputChannels * imageSize * imageSize
        precondition(pixels.count == batch * imageBytes, "[IntegerResNet] \(pixels.count) pixels for \(batch) images of \(inputChannels)×\(imageSize)×\(imageSize)")
        var widest = stem.outChannels * imageSize * imageSize
        var size = imageSize
        for b in blocks {
            let s = b.conv1.outputSize(size)
            widest = Swift.max(widest, b.conv1.outChannels * s * s)
            size = s
        }
        let padded = imageSize + 2
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.chunk * padded * padded * inputChannels)
        let ping = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.chunk * widest)
        let pong = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.chunk * widest)
        let inner = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.chunk * widest)
        let main = UnsafeMutablePointer<Int32>.allocate(capacity: Self.chunk * widest)
        let skip = UnsafeMutablePointer<Int32>.allocate(capacity: Self.chunk * widest)
        let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: Self.chunk * widest)
        let sums = UnsafeMutablePointer<Int32>.allocate(capacity: Self.chunk * head.inFeatures)
        defer { [UnsafeMutableRawPointer(input), .init(ping), .init(pong), .init(inner), .init(main), .init(skip), .init(scratch), .init(sums)].forEach { $0.deallocate() } }
        var features = [UInt8](repeating: 0, count: batch * head.inFeatures)
        pixels.withUnsafeBufferPointer { px in
            features.withUnsafeMutableBufferPointer { pf in
                for first in stride(from: 0, to: batch, by: Self.chunk) {
                    let images = Swift.min(Self.chunk, batch - first)
                    IntegerResidual.padChannelsLast(px.baseAddress! + first * imageBytes, images: images, channels: inputChannels,
                                                    size: imageSize, padding: 1, zeroPoints: inputZeroPoints, into: input)
                    stem.forward(input, images: images, size: padded, scratch: scratch, into: .bytes(ping))
                    var current = ping, next = pong
                    var size = imageSize
                    for block in blocks {
                        let out = block.conv1.outputSize(size)
                        block.conv1.forward(current, images: images, size: size, scratch: scratch, into: .bytes(inner))
                        // |branch| ≤ 2³⁰ − 1, so the sum of the two branches cannot wrap.
                        let shortcut: IntegerResidual.Shortcut
                        switch block.shortcut {
                        case .projection(let unit):
                            unit.forward(current, images: images, size: size, scratch: scratch, into: .int32(skip))
                            shortcut = .values(skip)
                        case .identity:
                            shortcut = .tabulated(current, table: block.identityTable!)
                        }
                        block.conv2.forward(inner, images: images, size: out, scratch: scratch,
                                            into: .block(shortcut, output: block.output, main: main, into: next))
                        swap(&current, &next)
                        size = out
                    }
                    IntegerResidual.sumPoolChannelsLast(current, images: images, spatial: size * size, channels: head.inFeatures, into: sums)
                    pool.requantize(sums, count: images * head.inFeatures, into: pf.baseAddress! + first * head.inFeatures)
                }
            }
        }
        return head.logits(features, batch: batch)
    }
}
