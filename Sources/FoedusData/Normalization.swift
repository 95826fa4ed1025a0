/// Per-channel normalisation of image bytes: `x ↦ (x / 255 − mean[c]) / std[c]`, in `Float`.
public struct Normalization: Sendable, Equatable {
    /// Per-channel means of the pixel values scaled to `[0, 1]`.
    public let mean: [Float]
    /// Per-channel standard deviations of the pixel values scaled to `[0, 1]`.
    public let std: [Float]

    /// - Precondition: `mean` is non-empty, `std.count == mean.count`, every `std` is positive
    ///   and finite.
    public init(mean: [Float], std: [Float]) {
        precondition(!mean.isEmpty && mean.count == std.count,
                     "[Normalization] \(mean.count) means for \(std.count) standard deviations")
        precondition(std.allSatisfy { $0 > 0 && $0.isFinite }, "[Normalization] std must be positive and finite: \(std)")
        self.mean = mean
        self.std = std
    }

    /// Number of channels.
    public var channels: Int { mean.count }

    /// Fashion-MNIST: mean 0.2860, std 0.3530.
    public static let fashionMNIST = Normalization(mean: [0.2860], std: [0.3530])
    /// MNIST: mean 0.1307, std 0.3081.
    public static let mnist = Normalization(mean: [0.1307], std: [0.3081])
    /// CIFAR-10 (R, G, B): mean 0.4914, 0.4822, 0.4465; std 0.2470, 0.2435, 0.2616.
    public static let cifar10 = Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])

    /// Scaling only (`x / 255`) for `channels` channels.
    public static func unitRange(channels: Int) -> Normalization {
        Normalization(mean: Array(repeating: 0, count: channels), std: Array(repeating: 1, count: channels))
    }

    /// The preset for a catalog dataset name: ``fashionMNIST``, ``mnist``, ``cifar10``; the
    /// EMNIST splits use ``mnist`` (same NIST source and pre-processing; for exact statistics
    /// use ``init(fitting:)``).
    /// - Throws: ``FoedusDataError/unknownDataset(name:known:)``.
    public static func preset(for datasetName: String) throws(FoedusDataError) -> Normalization {
        switch try DatasetCatalog.entry(datasetName).name {
        case "fashion-mnist": .fashionMNIST
        case "cifar10": .cifar10
        default: .mnist
        }
    }

    /// The per-channel mean and (population) standard deviation of `dataset`'s pixels scaled
    /// to `[0, 1]`, accumulated in `Double`.
    ///
    /// - Precondition: `dataset.count > 0` and no channel is constant.
    /// - Complexity: O(`dataset.images.count`).
    public init(fitting dataset: Dataset) {
        precondition(dataset.count > 0, "[Normalization(fitting:)] empty dataset \(dataset.name)")
        let plane = dataset.height * dataset.width
        var sums = [UInt64](repeating: 0, count: dataset.channels)
        var squares = [UInt64](repeating: 0, count: dataset.channels)
        for image in 0..<dataset.count {
            for c in 0..<dataset.channels {
                let base = (image * dataset.channels + c) * plane
                var sum: UInt64 = 0, square: UInt64 = 0
                for byte in dataset.images[base..<(base + plane)] {
                    sum += UInt64(byte)
                    square += UInt64(byte) * UInt64(byte)
                }
                sums[c] += sum
                squares[c] += square
            }
        }
        let n = Double(dataset.count * plane)
        var means: [Float] = []
        var stds: [Float] = []
        for c in 0..<dataset.channels {
            // Integer sums are exact, so the variance formula loses nothing to cancellation here.
            let mean = Double(sums[c]) / n
            let variance = Double(squares[c]) / n - mean * mean
            means.append(Float(mean / 255))
            stds.append(Float(variance.squareRoot() / 255))
        }
        self.init(mean: means, std: stds)
    }

    /// `(Float(byte) / 255 − mean[channel]) / std[channel]`.
    /// - Precondition: `0 <= channel < channels`.
    @inlinable
    public func normalize(_ byte: UInt8, channel: Int) -> Float {
        (Float(byte) / 255 - mean[channel]) / std[channel]
    }

    /// The normalised value of every byte for every channel: element `c * 256 + b` is
    /// `normalize(b, channel: c)`. `channels * 256` elements.
    public func lookupTable() -> [Float] {
        var table = [Float](repeating: 0, count: channels * 256)
        for c in 0..<channels {
            for b in 0..<256 { table[c * 256 + b] = normalize(UInt8(b), channel: c) }
        }
        return table
    }
}
