import FoedusTensor

/// The CIFAR-style ResNet-20 for 32×32×3 inputs (He et al. 2016, §4.2): a 3×3 stem, three
/// stages of three basic blocks with `w`, `2w`, `4w` channels (stride 2 between stages), global
/// average pooling and a linear classifier. Projection shortcuts (1×1 conv + norm) where the
/// shape changes. Names follow the common PyTorch layout: `conv1`, `bn1`, `layer1.0.conv1`,
/// `layer1.0.bn1`, …, `layer2.0.shortcut.0`, `layer2.0.shortcut.1`, `linear` (the GN variant keeps
/// the `bn` names, as SSFL's models do).
public struct ResNet20: Layer {
    public let norm: SmallCNN.Norm
    public let width: Int, classes: Int, groups: Int, inputChannels: Int
    let stem: Sequential
    let stages: [(String, Sequential)]

    /// - Parameters:
    ///   - width: channels of the first stage (16 in the paper).
    ///   - groups: GroupNorm groups (GN variant only); must divide `width`.
    ///   - inputChannels: image channels (3 for CIFAR, 1 for Fashion-MNIST; any image size works,
    ///     the head pools globally).
    public init(norm: SmallCNN.Norm, width: Int = 16, classes: Int = 10, groups: Int = 8, inputChannels: Int = 3) {
        precondition(width > 0 && (norm == .batch || width % groups == 0), "[ResNet20] width \(width) with \(groups) groups")
        self.norm = norm
        self.width = width
        self.classes = classes
        self.groups = groups
        self.inputChannels = inputChannels
        func normLayer(_ c: Int) -> any Layer { norm == .group ? GroupNorm(groups: groups, channels: c) : BatchNorm2d(c) }
        stem = Sequential([("conv1", Conv2d(inputChannels, width, kernelSize: 3, padding: 1, bias: false)), ("bn1", normLayer(width)), ("relu", ReLU())])
        var stages: [(String, Sequential)] = []
        var inC = width
        for (s, outC) in [width, 2 * width, 4 * width].enumerated() {
            var blocks: [(String, any Layer)] = []
            for i in 0..<3 {
                let stride = (s > 0 && i == 0) ? 2 : 1
                blocks.append((String(i), BasicBlock(inC, outC, stride: stride, norm: normLayer)))
                inC = outC
            }
            stages.append(("layer\(s + 1)", Sequential(blocks)))
        }
        self.stages = stages
    }

    public func declare(into b: inout ParameterBuilder) {
        stem.declare(into: &b)
        for (name, stage) in stages { b.child(name, stage) }
        b.child("linear", Linear(4 * width, classes))
    }

    public func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inputChannels, "[ResNet20] needs [N, \(inputChannels), H, W] input, got \(x.shape)")
        var h = stem.forward(x, context: &c)
        for (name, stage) in stages { h = c.child(name, stage, h) }
        return c.child("linear", Linear(4 * width, classes), h.globalAvgPool2d())
    }
}

/// conv3×3 → norm → ReLU → conv3×3 → norm, plus the (projected) input, then ReLU.
struct BasicBlock: Layer {
    let conv1: Conv2d, bn1: any Layer, conv2: Conv2d, bn2: any Layer
    let shortcut: Sequential?

    init(_ inC: Int, _ outC: Int, stride: Int, norm: (Int) -> any Layer) {
        conv1 = Conv2d(inC, outC, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = norm(outC)
        conv2 = Conv2d(outC, outC, kernelSize: 3, padding: 1, bias: false)
        bn2 = norm(outC)
        shortcut = (stride != 1 || inC != outC)
            ? Sequential([Conv2d(inC, outC, kernelSize: 1, stride: stride, bias: false), norm(outC)]) : nil
    }

    func declare(into b: inout ParameterBuilder) {
        b.child("conv1", conv1)
        b.child("bn1", bn1)
        b.child("conv2", conv2)
        b.child("bn2", bn2)
        if let shortcut { b.child("shortcut", shortcut) }
    }

    func forward(_ x: Tensor, context c: inout LayerContext) -> Tensor {
        var h = c.child("conv1", conv1, x)
        h = c.child("bn1", bn1, h).relu()
        h = c.child("conv2", conv2, h)
        h = c.child("bn2", bn2, h)
        let skip = shortcut.map { c.child("shortcut", $0, x) } ?? x
        return (h + skip).relu()
    }
}
