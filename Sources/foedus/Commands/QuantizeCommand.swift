import ArgumentParser
import FoedusData
import FoedusKernels
import FoedusNN
import FoedusQuant
import FoedusTensor
import Foundation

struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert trained float weights into an integer-only model (dyadic scales, no floating point at inference).",
        discussion: "Example: foedus quantize --weights model.safetensors --model cnn-gn --bits w8a8 --calibration 512 --out model.int.safetensors")

    @Option(help: "Float weights (safetensors).") var weights: String
    @Option(help: "Model: cnn-gn, cnn-bn, resnet20-gn or resnet20-bn.") var model = "cnn-gn"
    @Option(help: "ResNet width (channels of the first stage), as trained.") var width = 16
    @Option(help: "Precision: w8a8, w4a8 or w4a4 (first and last layer keep 8-bit weights).") var bits = "w8a8"
    @Option(help: "Training images used to calibrate activation ranges.") var calibration = 512
    @Option(help: "Dataset (for calibration, normalisation and the accuracy check).") var dataset = "fashion-mnist"
    @Option(help: "Directory holding the dataset files.") var dataDir: String?
    @Option(help: "Seed of the calibration sample.") var seed: UInt64 = 0
    @Option(help: "Output file.") var out: String
    @Flag(help: "Also evaluate the float and the integer model on the test split.") var evaluate = false
    @Flag(help: "Print one JSON summary on stdout.") var json = false

    func validate() throws {
        guard ["cnn-gn", "cnn-bn", "resnet20-gn", "resnet20-bn"].contains(model) else {
            throw ValidationError("--model must be cnn-gn, cnn-bn, resnet20-gn or resnet20-bn")
        }
        guard IntegerPrecision(rawValue: bits) != nil else { throw ValidationError("--bits must be w8a8, w4a8 or w4a4") }
        guard calibration >= 1 else { throw ValidationError("--calibration must be positive") }
    }

    func run() throws {
        DNNLKernels.setIntraOpThreads(2)
        let precision = IntegerPrecision(rawValue: bits)!
        let train = try DatasetCatalog.load(dataset, split: .train, dataDirectory: dataDir)
        let layer = try ModelCatalog.make(model, classes: train.classes, inputChannels: train.channels, imageSize: train.height, width: width)
        let (tensors, _) = try SafeTensors.read(path: weights)
        let state = try ModelState(layer, key: RandomKey(seed: 0)).loading(tensors)
        let normalization = try Normalization.preset(for: dataset)
        let isResNet = model.hasPrefix("resnet20")
        guard isResNet || normalization.mean.count == 1 else { throw ValidationError("\(model)'s integer conversion expects a single-channel dataset") }
        var stream = RandomStream(key: RandomKey(seed: seed).derived("calibration"))
        let sample = Array(stream.permutation(train.count).prefix(calibration))
        let loader = DataLoader(dataset: train, batchSize: calibration, shuffle: false, key: RandomKey(seed: seed), normalization: normalization)
        let images = loader.makeBatch(sample).images
        let started = Date()
        let integer: any IntegerClassifier
        if isResNet {
            let float = IntegerResNet.FloatModel(name: model, parameters: state.parameters, buffers: state.buffers,
                                                 mean: normalization.mean.map(Double.init), std: normalization.std.map(Double.init),
                                                 imageSize: train.height)
            integer = try IntegerResNet.convert(float, precision: precision, calibration: images)
        } else {
            let float = IntegerCNN.FloatModel(name: model, parameters: state.parameters, buffers: state.buffers, mean: Double(normalization.mean[0]),
                                              std: Double(normalization.std[0]), classes: train.classes, imageSize: train.height)
            integer = try IntegerCNN.convert(float, precision: precision, calibration: images)
        }
        try integer.write(to: out)
        let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        var summary: [String: Any] = ["command": "quantize", "model": model, "precision": bits, "out": out, "bytes": size,
                                      "calibration_images": calibration, "seconds": Date().timeIntervalSince(started)]
        Log.stderr("wrote \(out) (\(size) bytes, \(bits))")
        if evaluate {
            let test = try DatasetCatalog.load(dataset, split: .test, dataDirectory: dataDir)
            let floatAccuracy = Evaluation.accuracy(Model(layer, state: state), on: test, normalization: normalization)
            let integerAccuracy = Double(IntegerInference.correct(integer, on: test, batchSize: 500)) / Double(test.count)
            summary["float_test_accuracy"] = floatAccuracy
            summary["integer_test_accuracy"] = integerAccuracy
            Log.stderr(String(format: "test accuracy: float %.2f%%, integer-only %.2f%% (%+.2f points)", floatAccuracy * 100, integerAccuracy * 100,
                              (integerAccuracy - floatAccuracy) * 100))
        }
        if json { try printJSON(summary) }
    }
}
