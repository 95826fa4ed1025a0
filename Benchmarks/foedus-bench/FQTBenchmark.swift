@preconcurrency import Glibc
import CDNNL
import FoedusKernels
import FoedusNN
import FoedusQuant
import FoedusTensor

// `foedus-bench fqt`: one `cnn-gn` training step at batch 64 in float32, QAT and fully quantized
// training (FQT, FoedusQuant's `IntegerTrainingArithmetic`), interleaved in one run; then the FQT
// steps taken apart per layer and stage (FQTBenchmark+Stages.swift). Speed is reported as ratios
// against the float32 step measured in the same process, never asserted.

/// Settings of the `fqt` benchmark.
struct FQTBenchmarkOptions {
    /// Interleaved samples per step contender, and per stage of the profile.
    var repeats: Int = 15
    /// oneDNN (OpenMP) threads; the integer kernels always run on the calling thread.
    var threads: Int = 1
    /// Target wall time of one stage sample.
    var sampleSeconds: Double = 0.020
    /// Images per training step.
    var batch: Int = 64
    var json = false
    /// When set, only this contender's steps run (`repeats` of them, no profile): a workload for `perf record`.
    var only: String?
}

let fqtUsage = """
    usage: foedus-bench fqt [--repeats R] [--threads N] [--sample-ms MS] [--json] [--only CONTENDER]

    One cnn-gn training step (forward, backward, SGD momentum 0.9 update) at batch 64 in float32, QAT-8 and
    fully quantized training (FQT: int8 forward, weight-gradient and input-gradient GEMMs with stochastic
    gradient quantizers), interleaved in one run; then the FQT-8 PTQ and FQT-5 BHQ steps taken apart per layer
    (conv1, conv2, fc1, fc2) and stage, next to the float32 oneDNN layers. Every ratio is fp32 step time /
    step time (> 1: faster than fp32), the median of per-repeat ratios of samples taken back to back.

      --repeats R      interleaved samples per step contender and per profiled stage (default 15)
      --threads N      oneDNN OpenMP threads (default 1; the integer kernels are single-threaded)
      --sample-ms MS   target length of one stage sample (default 20)
      --json           also print one JSON object on stdout (tables go to stderr)
      --only NAME      run only that contender's steps, R of them, and print their median (for perf record;
                       names: fp32, qat-8, fqt-8 ptq, fqt-8 psq, fqt-5 bhq)
    """

/// Parses the options after `foedus-bench fqt`.
func parseFQTOptions(_ arguments: ArraySlice<String>) throws(UsageError) -> FQTBenchmarkOptions {
    var options = FQTBenchmarkOptions()
    var scanner = OptionScanner(arguments)
    while let option = scanner.next() {
        switch option.name {
        case "--repeats": options.repeats = try scanner.positive(option)
        case "--threads": options.threads = try scanner.positive(option)
        case "--sample-ms": options.sampleSeconds = Double(try scanner.positive(option)) / 1000
        case "--json":
            try scanner.flag(option)
            options.json = true
        case "--only": options.only = try scanner.value(option)
        default:
            throw scanner.unknown(option)
        }
    }
    return options
}

/// One model trained step after step with one arithmetic: its own parameters, momentum buffers
/// and step counter; every step gets a new key derived from the step number.
final class FQTStepRunner {
    let name: String
    let config: QuantizedTraining
    var model: Model
    var optimizer = SGD(learningRate: 0.01, momentum: 0.9)
    let batches: [(x: Tensor, labels: Tensor)]
    let root: RandomKey
    private(set) var steps = 0
    /// Minor page faults of each step (getrusage around it), warm-up steps included.
    private(set) var minorFaults: [Double] = []

    init(name: String, config: QuantizedTraining, batches: [(x: Tensor, labels: Tensor)], root: RandomKey) {
        self.name = name
        self.config = config
        self.batches = batches
        self.root = root
        model = Model(SmallCNN(norm: .group), key: RandomKey(seed: 1))
        model.arithmetic = config.arithmetic()
    }

    /// The batch the next step trains on.
    var nextBatch: (x: Tensor, labels: Tensor) { batches[steps % batches.count] }

    /// One training step; returns the loss before the update.
    func step() -> Float {
        let batch = nextBatch
        let key = root.derived(UInt64(steps))
        steps += 1
        let faults = minorPageFaults()
        let loss = Float(model.trainStep(x: batch.x, labels: batch.labels, optimizer: &optimizer, key: key))
        minorFaults.append(Double(minorPageFaults() - faults))
        return loss
    }

    /// Median minor page faults per step, without the `warmup` first steps.
    func medianFaults(warmup: Int) -> Double { Summary(Array(minorFaults.dropFirst(min(warmup, minorFaults.count - 1)))).median }
}

/// Minor page faults of this process so far.
func minorPageFaults() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_minflt
}

enum FQTBenchmark {
    /// The step contenders; the first is the baseline.
    static let configurations: [(name: String, config: QuantizedTraining)] = [
        ("fp32", QuantizedTraining(precision: .fp32)),
        ("qat-8", QuantizedTraining(precision: .qat)),
        ("fqt-8 ptq", QuantizedTraining(precision: .fqt, gradientQuantizer: .ptq, gradientBits: 8)),
        ("fqt-8 psq", QuantizedTraining(precision: .fqt, gradientQuantizer: .psq, gradientBits: 8)),
        ("fqt-5 bhq (w-grad 8)", QuantizedTraining(precision: .fqt, gradientQuantizer: .bhq, gradientBits: 5, weightGradientBits: 8)),
    ]

    static func run(_ options: FQTBenchmarkOptions) {
        DNNLKernels.setIntraOpThreads(options.threads)
        let version = dnnl_version().pointee
        let cpu = cpuModelName() ?? "?"
        let cpus = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        let loadBefore = oneMinuteLoadAverage()
        let start = monotonicNanoseconds()
        let threadWord = options.threads == 1 ? "thread" : "threads"
        emit("foedus-bench fqt — \(utcTimestamp()), \(cpu), \(cpus) CPUs, oneDNN \(version.major).\(version.minor).\(version.patch) "
             + "on \(options.threads) \(threadWord), integer backend .automatic = .\(IntegerBackend.automatic.resolved), "
             + "cnn-gn batch \(options.batch), load avg \(describe(loadBefore)) at start", options)

        // Four random batches, cycled: every contender trains on the same sequence.
        let data = RandomKey(seed: 7).derived("fqt-bench")
        let batches = (0..<4).map { b -> (x: Tensor, labels: Tensor) in
            let x = Tensor.random(.normal(mean: 0, std: 1), shape: [options.batch, 1, 28, 28], key: data.derived(UInt64(b)).derived("x"))
            var stream = RandomStream(key: data.derived(UInt64(b)).derived("labels"))
            var u = [Float](repeating: 0, count: options.batch)
            u.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: 0, high: 10) }
            return (x, Tensor(shape: [options.batch], scalars: u.map { Int32(min(Swift.max($0, 0), 9.999).rounded(.down)) }))
        }
        let root = RandomKey(seed: 1).derived("fqt-bench-steps")
        let runners = configurations.map { FQTStepRunner(name: $0.name, config: $0.config, batches: batches, root: root) }
        if let only = options.only {
            guard let runner = runners.first(where: { $0.name.hasPrefix(only) }) else {
                return printError("foedus-bench fqt: no contender named \(only)")
            }
            for _ in 0..<3 { _ = runner.step() }
            var times = [Double]()
            for _ in 0..<options.repeats {
                let t0 = monotonicNanoseconds()
                Sink.consume(runner.step())
                times.append(Double(monotonicNanoseconds() - t0) / 1e6)
            }
            return emit("\(runner.name): \(options.repeats) steps, median \(Format.fixed(Summary(times).median, 2)) ms", options)
        }

        // 1. Whole steps, interleaved.
        let steps = IntegerBenchmark.measure(
            section: "step", name: "cnn-gn", shape: "batch \(options.batch)x1x28x28, SGD lr 0.01 momentum 0.9",
            work: Double(options.batch), unit: "img/s", contenders: runners.map { r in Contender(name: r.name) { r.step() } },
            repeats: options.repeats, sampleSeconds: 0, warmupSeconds: 0, warmupCalls: 3)
        let faults = Dictionary(uniqueKeysWithValues: runners.map { ($0.name, $0.medianFaults(warmup: 3)) })
        emit(stepTable(steps, repeats: options.repeats, faults: faults), options)

        // 2. Where the time goes.
        let profile = FQTStageProfile.measure(fp32: runners[0], ptq: runners[2], bhq: runners[4], steps: steps, options: options)
        emit(profile.table, options)

        let loadAfter = oneMinuteLoadAverage()
        let wall = Double(monotonicNanoseconds() - start) / 1e9
        emit("load avg \(describe(loadBefore)) → \(describe(loadAfter)), \(Format.fixed(wall, 1)) s; "
             + "steps taken per model \(runners[0].steps); checksum \(Sink.checksum)", options)
        if options.json {
            print(JSON.object([
                ("benchmark", .string("fqt")), ("date", .string(utcTimestamp())), ("cpu", .string(cpu)),
                ("online_cpus", .integer(cpus)), ("onednn", .string("\(version.major).\(version.minor).\(version.patch)")),
                ("backend", .string("\(IntegerBackend.automatic.resolved)")), ("threads", .integer(options.threads)),
                ("batch", .integer(options.batch)), ("repeats", .integer(options.repeats)),
                ("sample_seconds", .number(options.sampleSeconds)),
                ("load_before", .optional(loadBefore)), ("load_after", .optional(loadAfter)), ("wall_seconds", .number(wall)),
                ("steps", stepJSON(steps, faults: faults)), ("profile", profile.json), ("checksum", .number(Sink.checksum)),
            ]).text)
        }
    }

    static func emit(_ text: String, _ options: FQTBenchmarkOptions) {
        if options.json { printError(text) } else { print(text) }
    }

    static func describe(_ load: Double?) -> String { load.map { Format.fixed($0, 2) } ?? "?" }

    /// ms per step with its interquartile range, and fp32 / contender.
    static func stepTable(_ c: IntegerCase, repeats: Int, faults: [String: Double]) -> String {
        var lines = ["training step, cnn-gn, \(c.shape); medians of \(repeats) interleaved steps per contender",
                     "  " + Format.pad("contender", 24, right: false) + Format.pad("ms/step", 10) + Format.pad("[p25–p75]", 18)
                         + Format.pad("min ms", 9) + Format.pad("img/s", 8) + Format.pad("fp32/this", 11) + "  [p25–p75]  "
                         + Format.pad("faults/step", 12)]
        for name in c.contenders {
            let t = c.times[name]!, s = c.speedups[name]!
            lines.append("  " + Format.pad(name, 24, right: false) + Format.pad(Format.fixed(t.median * 1e3, 2), 10)
                         + Format.pad("[\(Format.fixed(t.p25 * 1e3, 2))–\(Format.fixed(t.p75 * 1e3, 2))]", 18)
                         + Format.pad(Format.fixed(t.minimum * 1e3, 2), 9)
                         + Format.pad(Format.fixed(c.rate(name), 0), 8) + Format.pad(Format.fixed(s.median, 2), 11)
                         + "  [\(Format.fixed(s.p25, 2))–\(Format.fixed(s.p75, 2))]  " + Format.pad(Format.fixed(faults[name] ?? .nan, 0), 12))
        }
        lines.append("  (faults/step: median minor page faults of one step, getrusage)")
        return lines.joined(separator: "\n")
    }

    static func stepJSON(_ c: IntegerCase, faults: [String: Double]) -> JSON {
        .array(c.contenders.map { name in
            let t = c.times[name]!, s = c.speedups[name]!
            return .object([
                ("name", .string(name)), ("median_ms", .number(t.median * 1e3)), ("p25_ms", .number(t.p25 * 1e3)),
                ("p75_ms", .number(t.p75 * 1e3)), ("min_ms", .number(t.minimum * 1e3)), ("max_ms", .number(t.maximum * 1e3)),
                ("images_per_second", .number(c.rate(name))), ("minor_page_faults_per_step", .optional(faults[name])),
                ("fp32_over_this_median", .number(s.median)), ("fp32_over_this_p25", .number(s.p25)), ("fp32_over_this_p75", .number(s.p75)),
            ])
        })
    }

    /// The first "model name" of /proc/cpuinfo, or nil.
    static func cpuModelName() -> String? {
        guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("model name"), let colon = text.firstIndex(of: ":") else { continue }
            return String(text[text.index(after: colon)...].drop { $0 == " " || $0 == "\t" }.filter { $0 != "\n" })
        }
        return nil
    }
}
