import FoedusKernels
import FoedusTensor

/// A dataset, a normalisation and a seeded ``BatchSampler``: turns epochs into ``Batch``es.
///
/// A value type; copying it shares the dataset's storage. Batches are built on demand, so an
/// epoch costs only the memory of the batch in hand.
public struct DataLoader: Sendable {
    /// The examples.
    public let dataset: Dataset
    /// How bytes become floats.
    public let normalization: Normalization
    /// How indices are grouped and ordered.
    public let sampler: BatchSampler
    /// `normalization.lookupTable()`, computed once.
    let table: [Float]

    /// - Precondition: `normalization.channels == dataset.channels`, `batchSize > 0`.
    public init(dataset: Dataset, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
                key: RandomKey, normalization: Normalization) {
        precondition(normalization.channels == dataset.channels,
                     "[DataLoader] \(normalization.channels)-channel normalisation for \(dataset.channels)-channel \(dataset.name)")
        self.dataset = dataset
        self.normalization = normalization
        self.sampler = BatchSampler(count: dataset.count, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, key: key)
        self.table = normalization.lookupTable()
    }

    /// Epoch `epoch`'s batches of indices (see ``BatchSampler/batches(epoch:)``).
    public func batches(epoch: Int) -> [[Int]] { sampler.batches(epoch: epoch) }

    /// Epoch `epoch`'s batches, built lazily as the sequence is iterated.
    public func epoch(_ epoch: Int) -> LazyMapSequence<[[Int]], Batch> {
        batches(epoch: epoch).lazy.map { self.makeBatch($0) }
    }

    /// The examples at `indices` as a batch: images `float32 [B, C, H, W]` normalised with
    /// ``normalization``, labels `int32 [B]`.
    ///
    /// - Precondition: every index is in `0 ..< dataset.count`.
    /// - Complexity: O(`indices.count * C * H * W`), one table look-up per pixel.
    public func makeBatch(_ indices: [Int]) -> Batch {
        let size = dataset.imageByteCount
        let plane = dataset.height * dataset.width
        let channels = dataset.channels
        for index in indices {
            precondition(index >= 0 && index < dataset.count, "[DataLoader.makeBatch] index \(index) outside 0..<\(dataset.count)")
        }
        var images = Tensor.zeros([indices.count, channels, dataset.height, dataset.width], dtype: .float32)
        images.withUnsafeMutableBufferPointer(as: Float.self) { out in
            dataset.images.withUnsafeBufferPointer { bytes in
                table.withUnsafeBufferPointer { table in
                    for (slot, index) in indices.enumerated() {
                        for c in 0..<channels {
                            let source = index * size + c * plane
                            let target = slot * size + c * plane
                            let lookup = c * 256
                            for p in 0..<plane {
                                out[target + p] = table[lookup + Int(bytes[source + p])]
                            }
                        }
                    }
                }
            }
        }
        let labels = Tensor(shape: [indices.count], scalars: indices.map { dataset.labels[$0] })
        return Batch(images: images, labels: labels, indices: indices)
    }
}
