import ArgumentParser
import FoedusData
import FoedusKernels
import FoedusNN
import FoedusTensor
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate saved weights on a dataset's test split.")

    @Option(help: "Model: \(ModelCatalog.names.joined(separator: ", ")).") var model = "cnn-gn"
    @Option(help: "ResNet width.") var width = 16
    @Option(help: "Weights file (safetensors).") var weights: String
    @Option(help: "Dataset.") var dataset = "fashion-mnist"
    @Option(help: "Directory holding the dataset files.") var dataDir: String?
    @Option(help: "oneDNN threads.") var threads = 2
    @Flag(help: "Print one JSON summary on stdout.") var json = false

    func run() throws {
        DNNLKernels.setIntraOpThreads(threads)
        let test = try DatasetCatalog.load(dataset, split: .test, dataDirectory: dataDir)
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
}
