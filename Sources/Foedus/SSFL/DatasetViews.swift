import FoedusData
import FoedusKernels
import FoedusTensor

/// The ``ViewMaker`` of a dataset: plain (normalisation only), weak (crop with reflect padding,
/// optional flip) and strong (weak + RandAugment + Cutout) views.
public struct DatasetViews: ViewMaker {
    public let dataset: Dataset
    public let normalization: Normalization
    let weak: WeakAugmentation
    let strong: StrongAugmentation
    let plain: DataLoader

    /// - Parameters:
    ///   - flip: horizontal flips in both augmentations (the SSFL reference flips every
    ///     dataset; configs choose with `training.augmentation.flip`).
    ///   - strong: the strong augmentation; `nil` is the reference's, with geometric ops filling
    ///     with 0 (black) as the reference's PIL calls do (the augmentation's default is grey).
    public init(dataset: Dataset, normalization: Normalization, flip: Bool, strong: StrongAugmentation? = nil) {
        self.dataset = dataset
        self.normalization = normalization
        weak = WeakAugmentation(horizontalFlip: flip)
        var strong = strong ?? StrongAugmentation(horizontalFlip: flip, fill: 0)
        strong.weak = weak
        self.strong = strong
        plain = DataLoader(dataset: dataset, batchSize: 1, shuffle: false, key: RandomKey(seed: 0), normalization: normalization)
    }

    public func batch(_ indices: [Int], view: View, key: RandomKey) -> Tensor {
        switch view {
        case .plain: return plain.makeBatch(indices).images
        case .weak: return weak.makeBatch(indices, from: dataset, key: key, normalization: normalization).images
        case .strong: return strong.makeBatch(indices, from: dataset, key: key, normalization: normalization).images
        }
    }

    public func labels(_ indices: [Int]) -> Tensor {
        Tensor(shape: [indices.count], scalars: indices.map { dataset.labels[$0] })
    }
}
