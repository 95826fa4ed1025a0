import ArgumentParser
import FoedusData
import FoedusKernels
import FoedusNN
import FoedusQuant
import FoedusTensor
import Foundation

/// Options shared by commands that train a model centrally.
struct OptimizerOptions: ParsableArguments {
    @Option(help: "Optimizer: sgd, adam or adamw.") var optimizer = "sgd"
    @Option(help: "Base learning rate.") var lr = 0.05
    @Option(help: "SGD momentum.") var momentum = 0.9
    @Flag(help: "Nesterov momentum (SGD).") var nesterov = false
    @Option(help: "Weight decay (L2 for sgd/adam, decoupled for adamw).") var weightDecay = 0.0
    @Option(help: "Learning-rate schedule: constant, cosine or step.") var schedule = "cosine"
    @Option(help: "Linear warm-up steps (cosine schedule).") var warmupSteps = 0
    @Option(help: "Step schedule: decay every N steps.") var stepSize = 1000
    @Option(help: "Step schedule: decay factor.") var gamma = 0.1

    func makeOptimizer() throws -> any Optimizer {
        switch optimizer {
        case "sgd": return SGD(learningRate: lr, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        case "adam": return Adam(learningRate: lr, weightDecay: weightDecay)
        case "adamw": return Adam.adamW(learningRate: lr, weightDecay: weightDecay)
        default: throw ValidationError("--optimizer must be sgd, adam or adamw, got '\(optimizer)'")
        }
    }

    func makeSchedule(totalSteps: Int) throws -> LearningRateSchedule {
        switch schedule {
        case "constant": return .constant
        case "cosine": return .cosine(totalSteps: totalSteps, warmupSteps: warmupSteps)
        case "step": return .step(stepSize: stepSize, gamma: gamma)
        default: throw ValidationError("--schedule must be constant, cosine or step, got '\(schedule)'")
        }
    }

    func validate() throws {
        guard lr > 0, momentum >= 0, weightDecay >= 0, warmupSteps >= 0 else {
            throw ValidationError("--lr must be positive; --momentum, --weight-decay and --warmup-steps non-negative")
        }
        if nesterov && (optimizer != "sgd" || momentum == 0) { throw ValidationError("--nesterov needs --optimizer sgd with --momentum > 0") }
    }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train a model centrally on a dataset.")

    @Option(help: "Dataset: \(DatasetCatalog.knownNames.joined(separator: ", ")).") var dataset = "fashion-mnist"
    @Option(help: "Directory holding the dataset files (default: FOEDUS_DATA_DIR, then /usr/share/datasets).") var dataDir: String?
    @Option(help: "Model: \(ModelCatalog.names.joined(separator: ", ")).") var model = "cnn-gn"
    @Option(help: "ResNet width (channels of the first stage).") var width = 16
    @Option(help: "Epochs over the training set.") var epochs = 3
    @Option(help: "Batch size.") var batchSize = 64
    @OptionGroup var optimization: OptimizerOptions
    @Option(help: "Label smoothing ε.") var labelSmoothing = 0.0
    @Option(help: "Seed of every random stream (initialisation, shuffling, dropout).") var seed: UInt64 = 1
    @Option(help: "Train on the first N examples only (quick runs).") var limit: Int?
    @Option(help: "Training arithmetic: fp32, qat (fake-quantized 8-bit forward, float backward) or fqt (integer forward and backward GEMMs, quantized gradients).") var precision = "fp32"
    @Option(help: "FQT input-gradient quantizer: ptq (per tensor), psq (per sample) or bhq (block Householder).") var gradientQuantizer = "ptq"
    @Option(help: "FQT input-gradient bits (2…8).") var gradientBits = 8
    @Option(help: "FQT weight-gradient bits (2…8).") var weightGradientBits = 8
    @Option(help: "oneDNN threads.") var threads = 2
    @Option(help: "Where to save the trained weights (safetensors).") var out: String?
    @Flag(help: "Print one JSON summary on stdout.") var json = false
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
        guard epochs > 0, batchSize > 0, threads > 0 else { throw ValidationError("--epochs, --batch-size and --threads must be positive") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
        _ = try quantizedTraining()
    }

    func quantizedTraining() throws -> QuantizedTraining {
        guard let p = QuantizedTraining.Precision(rawValue: precision) else { throw ValidationError("--precision must be fp32, qat or fqt, got '\(precision)'") }
        guard let q = GradientQuantizerKind(rawValue: gradientQuantizer) else { throw ValidationError("--gradient-quantizer must be ptq, psq or bhq, got '\(gradientQuantizer)'") }
        let config = QuantizedTraining(precision: p, gradientQuantizer: q, gradientBits: gradientBits, weightGradientBits: weightGradientBits)
        if let problem = config.problem { throw ValidationError("--\(problem.field.replacingOccurrences(of: "_", with: "-")) \(problem.reason)") }
        return config
    }

    func run() throws {
        DNNLKernels.setIntraOpThreads(threads)
        let started = Date()
        var train = try DatasetCatalog.load(dataset, split: .train, dataDirectory: dataDir)
        let test = try DatasetCatalog.load(dataset, split: .test, dataDirectory: dataDir)
        if let limit, limit < train.count { train = train.subset(Array(0..<limit)) }
        let normalization = try Normalization.preset(for: dataset)
        let layer = try ModelCatalog.make(model, classes: train.classes, inputChannels: train.channels, imageSize: train.height, width: width)
        let root = RandomKey(seed: seed)
        var net = Model(layer, key: root.derived("init"))
        let training = try quantizedTraining()
        net.arithmetic = training.arithmetic()
        let loader = DataLoader(dataset: train, batchSize: batchSize, shuffle: true, key: root.derived("shuffle"), normalization: normalization)
        let steps = epochs * loader.sampler.batchesPerEpoch
        var optimizer = try optimization.makeOptimizer()
        let schedule = try optimization.makeSchedule(totalSteps: steps)
        if !quiet {
            Log.stderr("foedus train: \(model) (\(net.state.parameters.scalarCount) parameters) on \(dataset) (\(train.count) train / \(test.count) test), \(epochs) epochs × \(loader.sampler.batchesPerEpoch) steps, seed \(seed), \(training)")
        }

        var step = 0
        var epochSummaries: [[String: Any]] = []
        var progress = Progress(total: steps, label: "train", quiet: quiet)
        let trainStart = Date()
        var lastLoss = Double.nan
        for epoch in 0..<epochs {
            var lossSum = 0.0, seen = 0
            let epochStart = Date()
            for indices in loader.batches(epoch: epoch) {
                let batch = loader.makeBatch(indices)
                optimizer.learningRate = schedule.rate(at: step, base: optimization.lr)
                let loss = net.trainStep(x: batch.images, labels: batch.labels, optimizer: &optimizer,
                                         key: root.derived("dropout").derived(UInt64(step)), labelSmoothing: labelSmoothing)
                guard loss.isFinite else { throw TrainingError.diverged(step: step, loss: loss) }
                lossSum += loss * Double(batch.count)
                seen += batch.count
                lastLoss = loss
                step += 1
                let rate = Double(step * batchSize) / Date().timeIntervalSince(trainStart)
                progress.update(step, String(format: "epoch %d loss %.4f %.0f img/s", epoch + 1, loss, rate))
            }
            let epochTime = Date().timeIntervalSince(epochStart)
            let accuracy = Evaluation.accuracy(net, on: test, normalization: normalization)
            if !quiet { Log.stderr(String(format: "epoch %d: train loss %.4f, test accuracy %.2f%%, %.1f s", epoch + 1, lossSum / Double(seen), accuracy * 100, epochTime)) }
            epochSummaries.append(["epoch": epoch + 1, "train_loss": lossSum / Double(seen), "test_accuracy": accuracy, "seconds": epochTime])
        }
        let trainSeconds = Date().timeIntervalSince(trainStart)
        if let out {
            try SafeTensors.write(net.state.stateDict, metadata: ["model": model, "dataset": dataset, "seed": String(seed), "format": "pt"], to: out)
            if !quiet { Log.stderr("saved \(out)") }
        }
        let final = epochSummaries.last!
        if json {
            var summary: [String: Any] = [
                "command": "train", "model": model, "dataset": dataset, "seed": seed, "epochs": epochs, "batch_size": batchSize,
                "steps": step, "final_loss": lastLoss, "final_train_loss": final["train_loss"]!, "test_accuracy": final["test_accuracy"]!,
                "train_seconds": trainSeconds, "wall_seconds": Date().timeIntervalSince(started), "per_epoch": epochSummaries,
                "parameters": net.state.parameters.scalarCount, "precision": training.description,
                "seconds_per_step": trainSeconds / Double(max(step, 1)),
            ]
            if let out { summary["weights"] = out }
            try printJSON(summary)
        } else if !quiet {
            Log.stderr(String(format: "test accuracy %.2f%% after %d epochs (%.1f s training)", (final["test_accuracy"] as! Double) * 100, epochs, trainSeconds))
        }
    }
}

/// Training failures the CLI reports.
enum TrainingError: Error, CustomStringConvertible {
    case diverged(step: Int, loss: Double)

    var description: String {
        switch self {
        case let .diverged(step, loss): return "training diverged at step \(step): loss \(loss); lower --lr"
        }
    }
}

/// Test-set evaluation in batches.
enum Evaluation {
    static func accuracy(_ model: Model, on dataset: Dataset, normalization: Normalization, batchSize: Int = 500) -> Double {
        let loader = DataLoader(dataset: dataset, batchSize: batchSize, shuffle: false, key: RandomKey(seed: 0), normalization: normalization)
        var correct = 0
        for indices in loader.batches(epoch: 0) {
            let batch = loader.makeBatch(indices)
            correct += model.correctCount(batch.images, labels: batch.labels)
        }
        return Double(correct) / Double(max(dataset.count, 1))
    }
}
