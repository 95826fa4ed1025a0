import ArgumentParser
import FoedusData
import FoedusKernels
import FoedusNN
import FoedusQuant
import FoedusTensor
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate saved weights on a dataset's test split.")

    @Option(help: "Model: \(ModelCatalog.names.joined(separator: ", ")).") var model = "cnn-gn"
    @Option(help: "ResNet width.") var width = 16
    @Option(help: "Weights file (safetensors): float weights, or with --integer an integer model from `foedus quantize`.") var weights: String
    @Flag(help: "Run the integer-only model written by `foedus quantize` (raw pixels in, no floating point).") var integer = false
    @Option(help: "Images per integer-inference batch.") var batchSize = 500
    @Option(help: "Dataset.") var dataset = "fashion-mnist"
    @Option(help: "Directory holding the dataset files.") var dataDir: String?
    @Option(help: "oneDNN threads.") var threads = 2
    @Flag(help: "Print one JSON summary on stdout.") var json = false

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be positive") }
        if threads < 1 { throw ValidationError("--threads must be positive") }
    }

    func run() throws {
        DNNLKernels.setIntraOpThreads(threads)
        let test = try DatasetCatalog.load(dataset, split: .test, dataDirectory: dataDir)
        if integer { return try runInteger(test) }
        let layer = try ModelCatalog.make(model, classes: test.classes, inputChannels: test.channels, imageSize: test.height, width: width)
        let (tensors, _) = try SafeTensors.read(path: weights)
        let state = try ModelState(layer, key: RandomKey(seed: 0)).loading(tensors)
        let start = Date()
        let accuracy = Evaluation.accuracy(Model(layer, state: state), on: test, normalization: try Normalization.preset(for: dataset))
        let seconds = Date().timeIntervalSince(start)
        if json {
            try printJSON(["command": "eval", "model": model, "dataset": dataset, "weights": weights, "test_accuracy": accuracy,
                           "examples": test.count, "seconds": seconds])
        } else {
            Log.stderr(String(format: "test accuracy %.2f%% on %d examples (%.1f s)", accuracy * 100, test.count, seconds))
        }
    }

    func runInteger(_ test: Dataset) throws {
        let model = try IntegerModelFile.read(path: weights)
        guard test.channels == model.inputChannels, test.height == model.imageSize, test.width == model.imageSize else {
            throw ValidationError("the integer model takes \(model.inputChannels)×\(model.imageSize)×\(model.imageSize) images; \(dataset) has \(test.channels)×\(test.height)×\(test.width)")
        }
        let start = Date()
        let correct = IntegerInference.correct(model, on: test, batchSize: batchSize)
        let seconds = Date().timeIntervalSince(start)
        let accuracy = Double(correct) / Double(test.count)
        if json {
            try printJSON(["command": "eval", "integer": true, "model": model.modelName, "precision": model.precision.rawValue, "dataset": dataset,
                           "weights": weights, "test_accuracy": accuracy, "examples": test.count, "seconds": seconds,
                           "images_per_second": Double(test.count) / seconds])
        } else {
            Log.stderr(String(format: "integer-only %@ %@: test accuracy %.2f%% on %d examples (%.1f s, %.0f images/s)", model.modelName,
                              model.precision.rawValue, accuracy * 100, test.count, seconds, Double(test.count) / seconds))
        }
    }
}

/// Integer-only evaluation over a dataset, split into batches.
enum IntegerInference {
    static func correct(_ model: any IntegerClassifier, on dataset: Dataset, batchSize: Int) -> Int {
        var correct = 0
        var start = 0
        while start < dataset.count {
            let end = min(dataset.count, start + batchSize)
            let pixels = Array(dataset.images[(start * dataset.imageByteCount)..<(end * dataset.imageByteCount)])
            let predicted = model.predict(pixels: pixels, batch: end - start)
            for (i, p) in predicted.enumerated() where p == Int(dataset.labels[start + i]) { correct += 1 }
            start = end
        }
        return correct
    }
}
