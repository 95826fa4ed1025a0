import FoedusKernels

/// Settings of the `tensor` benchmark.
struct TensorBenchmarkOptions {
    /// OpenMP thread counts to measure, one full run each.
    var threads: [Int] = [1]
    /// Interleaved samples per implementation and case; medians are taken over these.
    var repeats: Int = 40
    /// Target wall time of one sample (the calls per sample are calibrated to it).
    var sampleSeconds: Double = 0.040
    /// Minimum warm-up time per case and implementation, before calibration.
    var warmupSeconds: Double = 0.15
    /// Batch size of the reference CNN shapes.
    var batch: Int = 64
    /// Names of the operations to measure; nil for all.
    var operations: [String]? = nil
    /// Also measure direct calls into per-call output buffers.
    var freshOutputs: Bool = false
    /// Emit one JSON object on stdout (the table then goes to stderr).
    var json: Bool = false

    /// The implementations each case is measured with, in the order of the first repeat.
    var implementations: [Implementation] {
        freshOutputs ? [.tensor, .direct, .directFreshOutputs] : [.tensor, .direct]
    }
}

/// Measurements of one operation and pass. Times are seconds per call.
struct CaseResult {
    let operation: String
    let shape: String
    let pass: Pass
    /// Floating-point operations per call.
    let flops: Double
    /// Calls per sample.
    let iterations: Int
    /// Seconds per call, for each measured implementation.
    let times: [Implementation: Summary]
    /// Per-repeat time ratios of samples taken back to back (paired, so load drifts cancel),
    /// keyed by numerator and denominator.
    let ratios: [Ratio: Summary]
}

/// A pair of implementations whose per-repeat time ratio is reported.
struct Ratio: Hashable {
    let numerator: Implementation
    let denominator: Implementation

    /// `tensor/direct`, the headline overhead.
    static let overhead = Ratio(numerator: .tensor, denominator: .direct)
    /// What per-call output allocation alone costs oneDNN calls.
    static let allocation = Ratio(numerator: .directFreshOutputs, denominator: .direct)
    /// What remains of the tensor layer's overhead once outputs are allocated the same way.
    static let bookkeeping = Ratio(numerator: .tensor, denominator: .directFreshOutputs)

    var label: String { "\(numerator.rawValue)/\(denominator.rawValue)" }
}

/// All cases measured at one thread count.
struct ThreadCountResult {
    let threads: Int
    let loadBefore: Double?
    let loadAfter: Double?
    let wallSeconds: Double
    let implementations: [Implementation]
    let cases: [CaseResult]
}

/// The tensor-core benchmark: the reference CNN's convolutions and linear layers through
/// `FoedusTensor` and as bare oneDNN calls, interleaved in one process.
enum TensorBenchmark {
    private struct Case {
        let operation: OperationBenchmark
        let pass: Pass
        var iterations = 1
        var samples: [Implementation: [Double]] = [:]
    }

    /// Measures every case at `threads` OpenMP threads.
    static func run(threads: Int, options: TensorBenchmarkOptions) -> ThreadCountResult {
        DNNLKernels.setIntraOpThreads(threads)
        let loadBefore = oneMinuteLoadAverage()
        let start = monotonicNanoseconds()
        let implementations = options.implementations
        let operations = referenceCNNOperations(batch: options.batch)
            .filter { op in options.operations.map { $0.contains(op.name) } ?? true }
        var cases = operations.flatMap { op in Pass.allCases.map { Case(operation: op, pass: $0) } }

        printError("threads \(threads): warming up and calibrating \(cases.count) cases")
        for index in cases.indices {
            cases[index].iterations = calibrate(cases[index], implementations, options: options)
        }

        for repeatIndex in 0..<options.repeats {
            // Rotate which implementation goes first so none always inherits a warmer cache.
            let shift = repeatIndex % implementations.count
            let order = Array(implementations[shift...] + implementations[..<shift])
            for index in cases.indices {
                let c = cases[index]
                for implementation in order {
                    let seconds = secondsPerCall(iterations: c.iterations) { c.operation.run(implementation, c.pass) }
                    cases[index].samples[implementation, default: []].append(seconds)
                }
            }
            if (repeatIndex + 1).isMultiple(of: 10) || repeatIndex + 1 == options.repeats {
                let elapsed = Double(monotonicNanoseconds() - start) / 1e9
                printError("threads \(threads): repeat \(repeatIndex + 1)/\(options.repeats) (\(Format.fixed(elapsed, 1)) s)")
            }
        }

        let ratioPairs = options.freshOutputs ? [Ratio.overhead, .allocation, .bookkeeping] : [.overhead]
        let results = cases.map { c in
            CaseResult(operation: c.operation.name, shape: c.operation.shapeDescription, pass: c.pass,
                       flops: c.operation.forwardFlops * c.pass.flopMultiplier, iterations: c.iterations,
                       times: c.samples.mapValues(Summary.init),
                       ratios: Dictionary(uniqueKeysWithValues: ratioPairs.map { pair in
                           let ratios = zip(c.samples[pair.numerator]!, c.samples[pair.denominator]!).map { $0 / $1 }
                           return (pair, Summary(ratios))
                       }))
        }
        return ThreadCountResult(threads: threads, loadBefore: loadBefore, loadAfter: oneMinuteLoadAverage(),
                                 wallSeconds: Double(monotonicNanoseconds() - start) / 1e9,
                                 implementations: implementations, cases: results)
    }

    /// Warms every implementation up (primitive creation, caches, allocator) and returns how
    /// many calls make a sample of about `options.sampleSeconds` for the slowest one.
    private static func calibrate(_ c: Case, _ implementations: [Implementation], options: TensorBenchmarkOptions) -> Int {
        var times: [Implementation: [Double]] = [:]
        let start = monotonicNanoseconds()
        let minimumSeconds = Double(implementations.count) * options.warmupSeconds
        while times[.tensor, default: []].count < 5 || Double(monotonicNanoseconds() - start) / 1e9 < minimumSeconds {
            for implementation in implementations {
                times[implementation, default: []].append(secondsPerCall(iterations: 1) { c.operation.run(implementation, c.pass) })
            }
        }
        // The first calls compile primitives and fault pages in; estimate from the later half.
        let slowest = times.values.map { Summary(Array($0.suffix($0.count / 2))).median }.max()!
        return max(1, Int((options.sampleSeconds / slowest).rounded()))
    }
}
