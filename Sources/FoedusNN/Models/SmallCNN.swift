import FoedusTensor

/// The project's reference CNN for 28×28 grayscale images and its batch-norm twin:
/// conv(1→32, 3×3, pad 1) → norm → ReLU → max-pool 2 → conv(32→64, 3×3, pad 1) → norm → ReLU →
/// max-pool 2 → flatten (C, H, W) → fc(3136→128) → ReLU → fc(128→classes).
///
/// Parameter names match the equivalent PyTorch module's `state_dict`: `conv1`, `gn1`/`bn1`,
/// `conv2`, `gn2`/`bn2`, `fc1`, `fc2`.
public struct SmallCNN: Layer {
    /// Which normalization follows each convolution.
    public enum Norm: String, Sendable {
        /// GroupNorm with 8 groups (`cnn-gn`).
        case group
        /// BatchNorm2d (`cnn-bn`).
        case batch
    }

    public let norm: Norm
    public let inputChannels: Int, imageSize: Int, classes: Int
    let body: Sequential

    public init(norm: Norm, inputChannels: Int = 1, imageSize: Int = 28, classes: Int = 10) {
        precondition(imageSize % 4 == 0, "[SmallCNN] image size \(imageSize) must be divisible by 4")
        self.norm = norm
        self.inputChannels = inputChannels
        self.imageSize = imageSize
        self.classes = classes
        let prefix = norm == .group ? "gn" : "bn"
        func normLayer(_ c: Int) -> any Layer { norm == .group ? GroupNorm(groups: 8, channels: c) : BatchNorm2d(c) }
        let flat = 64 * (imageSize / 4) * (imageSize / 4)
        body = Sequential([
            ("conv1", Conv2d(inputChannels, 32, kernelSize: 3, padding: 1)), ("\(prefix)1", normLayer(32)), ("relu1", ReLU()), ("pool1", MaxPool2d(2)),
            ("conv2", Conv2d(32, 64, kernelSize: 3, padding: 1)), ("\(prefix)2", normLayer(64)), ("relu2", ReLU()), ("pool2", MaxPool2d(2)),
            ("flatten", Flatten()), ("fc1", Linear(flat, 128)), ("relu3", ReLU()), ("fc2", Linear(128, classes)),
        ])
    }

    public func declare(into b: inout ParameterBuilder) { body.declare(into: &b) }
    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor { body.forward(x, context: &c) }
}
