import FoedusKernels
import FoedusTensor

/// A random image transformation whose every draw comes from a caller-chosen ``RandomKey``.
///
/// The same image and key always give the same output, so a batch is bit-identical whichever
/// thread builds it. Callers name a stream per example, e.g.
/// `run.derived(round).derived(client).derived(step).derived("weak").derived(index)`.
public protocol ImageAugmentation: Sendable {
    /// The transformed image, of the same geometry as `image`.
    func apply(_ image: ByteImage, key: RandomKey) -> ByteImage
}

extension ImageAugmentation {
    /// ``apply(_:key:)`` on raw CHW bytes (for instance ``Dataset/image(at:)``).
    /// - Precondition: `image.count == channels · height · width`, sizes positive.
    public func apply(_ image: ArraySlice<UInt8>, channels: Int, height: Int, width: Int, key: RandomKey) -> [UInt8] {
        apply(ByteImage(channels: channels, height: height, width: width, pixels: Array(image)), key: key).pixels
    }

    /// ``apply(_:key:)`` on raw CHW bytes.
    /// - Precondition: `image.count == channels · height · width`, sizes positive.
    public func apply(_ image: [UInt8], channels: Int, height: Int, width: Int, key: RandomKey) -> [UInt8] {
        apply(ByteImage(channels: channels, height: height, width: width, pixels: image), key: key).pixels
    }

    /// The examples at `indices`, each augmented with `key.derived(UInt64(index))` (its
    /// dataset index, so the same example gets the same draw wherever it sits in the batch),
    /// then normalised: images `float32 [B, C, H, W]`, labels `int32 [B]`.
    ///
    /// - Precondition: every index is in `0 ..< dataset.count`;
    ///   `normalization.channels == dataset.channels`.
    /// - Complexity: O(B · C · H · W) plus the augmentation's own cost.
    public func makeBatch(_ indices: [Int], from dataset: Dataset, key: RandomKey, normalization: Normalization) -> Batch {
        makeBatch(indices, from: dataset, keys: indices.map { key.derived(UInt64($0)) }, normalization: normalization)
    }

    /// ``makeBatch(_:from:key:normalization:)`` with an explicit key per example.
    /// - Precondition: `keys.count == indices.count`, plus those of the keyed form.
    public func makeBatch(_ indices: [Int], from dataset: Dataset, keys: [RandomKey], normalization: Normalization) -> Batch {
        precondition(keys.count == indices.count, "[ImageAugmentation.makeBatch] \(keys.count) keys for \(indices.count) indices")
        precondition(normalization.channels == dataset.channels,
                     "[ImageAugmentation.makeBatch] \(normalization.channels)-channel normalisation for \(dataset.channels)-channel \(dataset.name)")
        let size = dataset.imageByteCount, plane = dataset.height * dataset.width
        let table = normalization.lookupTable()
        var images = Tensor.zeros([indices.count, dataset.channels, dataset.height, dataset.width], dtype: .float32)
        images.withUnsafeMutableBufferPointer(as: Float.self) { out in
            for (slot, index) in indices.enumerated() {
                let source = ByteImage(channels: dataset.channels, height: dataset.height, width: dataset.width,
                                       pixels: Array(dataset.image(at: index)))
                let augmented = apply(source, key: keys[slot]).pixels
                for c in 0..<dataset.channels {
                    let lookup = c * 256, start = c * plane, target = slot * size + start
                    for p in 0..<plane { out[target + p] = table[lookup + Int(augmented[start + p])] }
                }
            }
        }
        let labels = Tensor(shape: [indices.count], scalars: indices.map { dataset.labels[$0] })
        return Batch(images: images, labels: labels, indices: indices)
    }
}
