import FoedusData
import FoedusKernels
import FoedusNN
import FoedusTensor

/// Test-set evaluation of a model in eval mode, split over workers; sums are combined in chunk
/// order, so results do not depend on the worker count.
public enum Evaluator {
    /// Top-1 accuracy and mean cross-entropy of `model` on `dataset`.
    public static func evaluate(_ model: Model, on dataset: Dataset, normalization: Normalization, workers: Int = 1, batchSize: Int = 500) -> (accuracy: Double, loss: Double) {
        let loader = DataLoader(dataset: dataset, batchSize: batchSize, shuffle: false, key: RandomKey(seed: 0), normalization: normalization)
        let batches = loader.batches(epoch: 0)
        var correct = 0
        var lossSum = 0.0
        WorkerPool.run(count: batches.count, workers: workers, job: { i -> (Int, Double) in
            let batch = loader.makeBatch(batches[i])
            let logits = model.predict(batch.images)
            let loss = Tensor.crossEntropy(logits: logits, labels: batch.labels).sum().item
            let predicted = logits.argmax(axis: 1)
            let hits = zip(predicted, batch.labels.scalars(as: Int32.self)).filter { $0 == Int($1) }.count
            return (hits, loss)
        }, consume: { _, r in
            correct += r.0
            lossSum += r.1
        })
        let n = Double(max(dataset.count, 1))
        return (Double(correct) / n, lossSum / n)
    }
}
