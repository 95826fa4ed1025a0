import ArgumentParser
import FoedusKernels
import FoedusNN
import FoedusTensor
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (not tests): a training step, or the coordinator's per-update overhead.",
        subcommands: [TrainStep.self, Coordinator.self], defaultSubcommand: TrainStep.self)
}

struct TrainStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-step",
        abstract: "Measure a training step (forward, backward, SGD update) on synthetic data.",
        discussion: "A benchmark, not a test: it reports the median of --steps timed steps after --warmup steps. Compare it with a baseline measured in the same run (see benchmarks/train-step).")

    @Option(help: "Model.") var model = "cnn-gn"
    @Option(help: "Batch size.") var batchSize = 64
    @Option(help: "Input channels and size (default: 1x28 for cnn-*, 3x32 for resnet20-*).") var image: Int?
    @Option(help: "Timed steps.") var steps = 50
    @Option(help: "Warm-up steps.") var warmup = 5
    @Option(help: "oneDNN threads.") var threads = 2
    @Option(help: "Model precision: float32 or float64.") var dtype = "float32"
    @Flag(help: "Print one JSON object on stdout.") var json = false

    func run() throws {
        DNNLKernels.setIntraOpThreads(threads)
        let isResNet = model.hasPrefix("resnet")
        let channels = isResNet ? 3 : 1, size = image ?? (isResNet ? 32 : 28)
        let layer = try ModelCatalog.make(model, classes: 10, inputChannels: channels, imageSize: size)
        guard let dt = DType(rawValue: dtype), dt.isFloatingPoint else { throw ValidationError("--dtype must be float32 or float64") }
        var net = Model(layer, key: RandomKey(seed: 1), dtype: dt)
        let x = Tensor.random(.normal(mean: 0, std: 1), shape: [batchSize, channels, size, size], key: RandomKey(seed: 2), dtype: dt)
        let labels = Tensor(shape: [batchSize], scalars: (0..<batchSize).map { Int32($0 % 10) })
        var optimizer = SGD(learningRate: 0.01, momentum: 0.9)
        var times: [Double] = []
        for i in 0..<(warmup + steps) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            net.trainStep(x: x, labels: labels, optimizer: &optimizer)
            let t = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            if i >= warmup { times.append(t) }
        }
        times.sort()
        let median = times[times.count / 2]
        if json {
            try printJSON(["model": model, "batch_size": batchSize, "threads": threads, "dtype": dtype, "steps": steps,
                           "median_ms": median, "min_ms": times.first!, "max_ms": times.last!, "images_per_second": Double(batchSize) / median * 1000])
        } else {
            Log.stderr(String(format: "%@ batch %d, %d threads: median %.2f ms/step (min %.2f, max %.2f), %.0f img/s",
                              model, batchSize, threads, median, times.first!, times.last!, Double(batchSize) / median * 1000))
        }
    }
}
