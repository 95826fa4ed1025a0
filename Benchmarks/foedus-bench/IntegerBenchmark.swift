@preconcurrency import Glibc
import CDNNL
import CFoedusKernels
import FoedusData
import FoedusKernels
import FoedusNN
import FoedusQuant
import FoedusTensor

// `foedus-bench integer`: the integer kernels (FoedusKernels/Integer) against the float32 oneDNN
// kernels Foedus trains with, and integer-only `cnn-gn` inference (FoedusQuant) against the float
// model, single-threaded. Speed is reported as ratios against a baseline measured in the same
// process (medians of per-repeat ratios of back-to-back samples), never asserted.

/// Settings of the `integer` benchmark.
struct IntegerBenchmarkOptions {
    /// Which parts to run: gemm, conv, int4, model, profile.
    var sections: [String] = IntegerBenchmark.sectionNames
    /// Interleaved samples per kernel case and implementation.
    var repeats: Int = 20
    /// Target wall time of one kernel sample.
    var sampleSeconds: Double = 0.050
    /// Minimum warm-up time per case and implementation.
    var warmupSeconds: Double = 0.15
    /// Passes over the test set per model (each pass is one sample).
    var modelRepeats: Int = 5
    /// Images per inference batch.
    var batch: Int = 256
    /// Batch of the convolution cases (the training batch).
    var convBatch: Int = 64
    var floatWeights = "/tmp/cnn-gn.safetensors"
    var int8Model = "/tmp/gn.w8a8.safetensors"
    var int4Model = "/tmp/gn.w4a8.safetensors"
    /// The ResNet-20 section's float model and its integer conversions.
    var resnetModel = "resnet20-bn"
    var resnetWeights = "/tmp/rn/resnet20-bn.safetensors"
    var resnetInt8Model = "/tmp/rn/bn.w8a8.safetensors"
    var resnetInt4Model = "/tmp/rn/bn.w4a8.safetensors"
    var dataDirectory: String? = nil
    var json = false
}

let integerUsage = """
    usage: foedus-bench integer [--only gemm,conv,int4,model,profile] [--repeats R] [--sample-ms MS]
                                [--model-repeats R] [--batch B] [--float-weights PATH] [--int8-model PATH]
                                [--int4-model PATH] [--resnet-model NAME] [--resnet-weights PATH]
                                [--resnet-int8-model PATH] [--resnet-int4-model PATH] [--data-dir DIR] [--json]

    Integer kernels (u8·s8 → s32) against float32 oneDNN, and integer-only cnn-gn inference against
    the float model, on 1 OpenMP thread. Every ratio is baseline time / time (> 1: faster than the
    baseline), the median of per-repeat ratios of samples taken back to back in this process.

      --only LIST          sections (default all): gemm (256/512/1024 GEMM), conv (cnn-gn's convolutions,
                           batch 64), int4 (int4 vs int8 weights), model (images/s on the Fashion-MNIST
                           test set), profile (time per stage of a copy of IntegerCNN.logits), resnet
                           (images/s of integer-only ResNet-20 against its float model)
      --repeats R          interleaved samples per kernel case (default 20)
      --sample-ms MS       target length of one kernel sample (default 50)
      --model-repeats R    passes over the 10,000 test images per model (default 5)
      --batch B            inference batch (default 256)
      --float-weights P    float cnn-gn weights (default /tmp/cnn-gn.safetensors)
      --int8-model P       `foedus quantize --bits w8a8` output (default /tmp/gn.w8a8.safetensors)
      --int4-model P       `foedus quantize --bits w4a8` output (default /tmp/gn.w4a8.safetensors)
      --resnet-model NAME  resnet20-bn or resnet20-gn (default resnet20-bn)
      --resnet-weights P   its float weights (default /tmp/rn/resnet20-bn.safetensors)
      --resnet-int8-model P, --resnet-int4-model P
                           its w8a8 / w4a8 conversions (defaults /tmp/rn/bn.w8a8.safetensors, /tmp/rn/bn.w4a8.safetensors)
      --data-dir DIR       where fashion-mnist lives (default: the catalog's search path)
      --json               also print one JSON object on stdout (tables go to stderr)
    """

/// Parses the options after `foedus-bench integer`.
func parseIntegerOptions(_ arguments: ArraySlice<String>) throws(UsageError) -> IntegerBenchmarkOptions {
    var options = IntegerBenchmarkOptions()
    var scanner = OptionScanner(arguments)
    while let option = scanner.next() {
        switch option.name {
        case "--only":
            let names = try scanner.value(option).split(separator: ",").map(String.init)
            if let unknown = names.first(where: { !IntegerBenchmark.sectionNames.contains($0) }) {
                throw UsageError(message: "--only: unknown section '\(unknown)' (known: \(IntegerBenchmark.sectionNames.joined(separator: ", ")))")
            }
            if names.isEmpty { throw UsageError(message: "--only: no section given") }
            options.sections = names
        case "--repeats": options.repeats = try scanner.positive(option)
        case "--sample-ms": options.sampleSeconds = Double(try scanner.positive(option)) / 1000
        case "--model-repeats": options.modelRepeats = try scanner.positive(option)
        case "--batch": options.batch = try scanner.positive(option)
        case "--float-weights": options.floatWeights = try scanner.value(option)
        case "--int8-model": options.int8Model = try scanner.value(option)
        case "--int4-model": options.int4Model = try scanner.value(option)
        case "--resnet-model": options.resnetModel = try scanner.value(option)
        case "--resnet-weights": options.resnetWeights = try scanner.value(option)
        case "--resnet-int8-model": options.resnetInt8Model = try scanner.value(option)
        case "--resnet-int4-model": options.resnetInt4Model = try scanner.value(option)
        case "--data-dir": options.dataDirectory = try scanner.value(option)
        case "--json":
            try scanner.flag(option)
            options.json = true
        default:
            throw scanner.unknown(option)
        }
    }
    return options
}

/// One way of running a case; returns a value read from its result (for the sink).
struct Contender {
    let name: String
    let run: () -> Float
}

/// A measured case: every contender's time per call and its speed relative to the first.
struct IntegerCase {
    let section: String
    let name: String
    let shape: String
    /// Arithmetic per call, 2 per multiply-add (GEMM, conv), or images per call (model).
    let work: Double
    /// Unit of `work / second`: "GOP/s" or "img/s".
    let unit: String
    let iterations: Int
    let contenders: [String]
    let times: [String: Summary]
    /// Per-repeat `baseline time / contender time` (the first contender is the baseline).
    let speedups: [String: Summary]

    func rate(_ contender: String) -> Double {
        let perSecond = work / times[contender]!.median
        return unit == "GOP/s" ? perSecond / 1e9 : perSecond
    }
}

enum IntegerBenchmark {
    static let sectionNames = ["gemm", "conv", "int4", "model", "profile", "resnet"]

    static func run(_ options: IntegerBenchmarkOptions) {
        DNNLKernels.setIntraOpThreads(1)
        // FOEDUS_BENCH_AMX=off forbids the AMX forms (every kernel then runs its VNNI form).
        if let amx = getenv("FOEDUS_BENCH_AMX"), String(cString: amx) == "off" { IntegerGEMM.allowAMX(false) }
        let amx = IntegerGEMM.amxAvailable ? (IntegerGEMM.allowAMX(true) ? "on" : "off") : "unavailable"
        if amx == "off" { IntegerGEMM.allowAMX(false) }
        let version = dnnl_version().pointee
        let loadBefore = oneMinuteLoadAverage()
        let start = monotonicNanoseconds()
        let header = "foedus-bench integer — \(utcTimestamp()), 1 thread, oneDNN \(version.major).\(version.minor).\(version.patch), "
            + "integer backend .automatic = .\(IntegerBackend.automatic.resolved), AMX \(amx), load avg \(describe(loadBefore)) at start"
        emit(header, options)
        var cases: [IntegerCase] = []
        var notes: [(String, JSON)] = []
        func report(_ c: IntegerCase) {
            cases.append(c)
            emit(table([c]), options)
        }
        if options.sections.contains("gemm") {
            for n in [256, 512, 1024] { report(gemmCase(n, options)) }
        }
        if options.sections.contains("conv") {
            report(convCase("conv1", batch: options.convBatch, inChannels: 1, outChannels: 32, size: 28, zeroPoint: 73, options))
            report(convCase("conv2", batch: options.convBatch, inChannels: 32, outChannels: 64, size: 14, zeroPoint: 0, options))
        }
        if options.sections.contains("int4") {
            for n in [512, 1024] { report(int4Case(n, options)) }
        }
        if options.sections.contains("model") || options.sections.contains("profile") {
            do {
                let setup = try ModelSetup(options, model: "cnn-gn", floatWeights: options.floatWeights, int8: options.int8Model,
                                           int4: options.int4Model)
                emit("test set: \(setup.dataset.count) images; accuracy float \(percent(setup.floatAccuracy)), "
                     + "w8a8 \(percent(setup.accuracy(setup.int8))), w4a8 \(percent(setup.accuracy(setup.int4))) (sanity check)", options)
                notes.append(("accuracy", .object([("float", .number(setup.floatAccuracy)), ("w8a8", .number(setup.accuracy(setup.int8))),
                                                   ("w4a8", .number(setup.accuracy(setup.int4)))])))
                if options.sections.contains("model") { report(modelCase(setup, options)) }
                if options.sections.contains("profile") {
                    if let profile = StageProfile.measure(setup, options) {
                        emit(profile.table, options)
                        notes.append(("profile_w8a8", profile.json))
                    } else {
                        printError("foedus-bench integer: profile skipped: \(options.int8Model) is not an integer cnn-gn")
                    }
                }
            } catch {
                printError("foedus-bench integer: model sections skipped: \(error)")
            }
        }
        if options.sections.contains("resnet") {
            do {
                let setup = try ModelSetup(options, model: options.resnetModel, floatWeights: options.resnetWeights, int8: options.resnetInt8Model,
                                           int4: options.resnetInt4Model)
                emit("\(options.resnetModel) test set: accuracy float \(percent(setup.floatAccuracy)), w8a8 \(percent(setup.accuracy(setup.int8))), "
                     + "w4a8 \(percent(setup.accuracy(setup.int4))) (sanity check)", options)
                notes.append(("resnet_accuracy", .object([("float", .number(setup.floatAccuracy)), ("w8a8", .number(setup.accuracy(setup.int8))),
                                                          ("w4a8", .number(setup.accuracy(setup.int4)))])))
                report(modelCase(setup, options))
            } catch {
                printError("foedus-bench integer: resnet section skipped: \(error)")
            }
        }
        let loadAfter = oneMinuteLoadAverage()
        let wall = Double(monotonicNanoseconds() - start) / 1e9
        emit("load avg \(describe(loadBefore)) → \(describe(loadAfter)), \(Format.fixed(wall, 1)) s (\(benchClockName) clock); checksum \(Sink.checksum)", options)
        if options.json {
            print(JSON.object([
                ("benchmark", .string("integer")), ("date", .string(utcTimestamp())),
                ("onednn", .string("\(version.major).\(version.minor).\(version.patch)")),
                ("backend", .string("\(IntegerBackend.automatic.resolved)")), ("threads", .integer(1)),
                ("load_before", .optional(loadBefore)), ("load_after", .optional(loadAfter)), ("wall_seconds", .number(wall)), ("clock", .string(benchClockName)),
                ("repeats", .integer(options.repeats)), ("model_repeats", .integer(options.modelRepeats)),
                ("cases", .array(cases.map(caseJSON))),
            ] + notes).text)
        }
    }

    private static func emit(_ text: String, _ options: IntegerBenchmarkOptions) {
        if options.json { printError(text) } else { print(text) }
    }

    private static func describe(_ load: Double?) -> String { load.map { Format.fixed($0, 2) } ?? "?" }
    private static func percent(_ x: Double) -> String { Format.fixed(100 * x, 2) + " %" }

    // MARK: Measurement

    /// Warms every contender up, calibrates calls per sample to `sampleSeconds` for the slowest,
    /// then takes `repeats` rounds of one sample per contender, rotating which goes first.
    static func measure(section: String, name: String, shape: String, work: Double, unit: String, contenders: [Contender],
                        repeats: Int, sampleSeconds: Double, warmupSeconds: Double, warmupCalls: Int = 3) -> IntegerCase {
        printError("\(section) \(name): warming up \(contenders.count) implementations")
        var warm: [[Double]] = Array(repeating: [], count: contenders.count)
        let warmStart = monotonicNanoseconds()
        while warm[0].count < warmupCalls || Double(monotonicNanoseconds() - warmStart) / 1e9 < Double(contenders.count) * warmupSeconds {
            for (i, c) in contenders.enumerated() { warm[i].append(secondsPerCall(iterations: 1, c.run)) }
        }
        let slowest = warm.map { Summary(Array($0.suffix(max(1, $0.count / 2)))).median }.max()!
        let iterations = max(1, Int((sampleSeconds / slowest).rounded()))
        var samples: [[Double]] = Array(repeating: [], count: contenders.count)
        for r in 0..<repeats {
            let shift = r % contenders.count
            for i in Array(shift..<contenders.count) + Array(0..<shift) {
                samples[i].append(secondsPerCall(iterations: iterations, contenders[i].run))
            }
        }
        var times: [String: Summary] = [:]
        var speedups: [String: Summary] = [:]
        for (i, c) in contenders.enumerated() {
            times[c.name] = Summary(samples[i])
            speedups[c.name] = Summary(zip(samples[0], samples[i]).map { $0 / $1 })
        }
        return IntegerCase(section: section, name: name, shape: shape, work: work, unit: unit, iterations: iterations,
                           contenders: contenders.map(\.name), times: times, speedups: speedups)
    }

    /// One block per case: a line per contender with its time, rate and speed-up over the baseline.
    static func table(_ cases: [IntegerCase]) -> String {
        var lines: [String] = []
        for c in cases {
            lines.append("\(c.section) \(c.name): \(c.shape) (\(c.iterations) calls/sample)")
            lines.append("  " + Format.pad("implementation", 28, right: false) + Format.pad("median ms", 11) + Format.pad(c.unit, 10)
                         + Format.pad("× baseline", 12) + "  [p25–p75]")
            for name in c.contenders {
                let s = c.speedups[name]!
                lines.append("  " + Format.pad(name, 28, right: false) + Format.pad(Format.fixed(c.times[name]!.median * 1e3, 3), 11)
                             + Format.pad(Format.fixed(c.rate(name), c.unit == "GOP/s" ? 1 : 0), 10)
                             + Format.pad(Format.fixed(s.median, 2), 12)
                             + "  [\(Format.fixed(s.p25, 2))–\(Format.fixed(s.p75, 2))]")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func caseJSON(_ c: IntegerCase) -> JSON {
        .object([
            ("section", .string(c.section)), ("name", .string(c.name)), ("shape", .string(c.shape)),
            ("work", .number(c.work)), ("unit", .string(c.unit)), ("calls_per_sample", .integer(c.iterations)),
            ("baseline", .string(c.contenders[0])),
            ("implementations", .array(c.contenders.map { name in
                let t = c.times[name]!, s = c.speedups[name]!
                return .object([
                    ("name", .string(name)), ("median_ms", .number(t.median * 1e3)), ("p25_ms", .number(t.p25 * 1e3)),
                    ("p75_ms", .number(t.p75 * 1e3)), ("rate", .number(c.rate(name))),
                    ("speedup_median", .number(s.median)), ("speedup_p25", .number(s.p25)), ("speedup_p75", .number(s.p75)),
                ])
            })),
        ])
    }

    // MARK: GEMM

    /// Deterministic operands (a 64-bit LCG); the values only need to be representative.
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    static func gemmCase(_ n: Int, _ options: IntegerBenchmarkOptions) -> IntegerCase {
        let a = AlignedBytes(randomBytes(n * n, seed: 1))
        let bValues = randomBytes(n * n, seed: 2).map { Int8(bitPattern: $0) }
        let b = AlignedBytes(bValues.map { UInt8(bitPattern: $0) })
        // Weights are packed once, at load time.
        let packed = PackedInt8Matrix(bValues, k: n, n: n)
        let c = AlignedInt32s(count: n * n)
        let af = AlignedFloats(count: n * n), bf = AlignedFloats(count: n * n), cf = AlignedFloats(count: n * n)
        for i in 0..<(n * n) {
            af.pointer[i] = Float(a.pointer[i]) / 255
            bf.pointer[i] = Float(bValues[i]) / 128
        }
        let bSigned = UnsafeRawPointer(b.pointer).assumingMemoryBound(to: Int8.self)
        func int8(_ backend: IntegerBackend) -> Float {
            IntegerGEMM.multiply(a.pointer, lda: n, m: n, packed, into: c.pointer, ldc: n, backend: backend)
            return Float(c.pointer[0])
        }
        let contenders = [
            Contender(name: "fp32 oneDNN matmul") {
                DNNLKernels.matmul(a: af.pointer, b: bf.pointer, c: cf.pointer, batch: 1, m: n, n: n, k: n)
                return cf.pointer[0]
            },
            Contender(name: "fp32 dnnl_sgemm") {
                _ = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), Int64(n), Int64(n), Int64(n), 1,
                               af.pointer, Int64(n), bf.pointer, Int64(n), 0, cf.pointer, Int64(n))
                return cf.pointer[0]
            },
            // `.automatic` runs on AMX tiles where the CPU and the kernel allow them; the VNNI row
            // forbids AMX around its call, so the AVX-512 VNNI kernel is measured on its own.
            Contender(name: IntegerGEMM.amxAvailable ? "int8 IntegerGEMM .automatic (AMX)" : "int8 IntegerGEMM .automatic") { int8(.automatic) },
            Contender(name: "int8 IntegerGEMM VNNI (AMX off)") {
                let previous = IntegerGEMM.allowAMX(false)
                defer { IntegerGEMM.allowAMX(previous) }
                return int8(.vnni)
            },
            Contender(name: "int8 IntegerGEMM .avx2") { int8(.avx2) },
            Contender(name: "int8 oneDNN gemm_u8s8s32") {
                IntegerGEMM.oneDNNu8s8s32(a.pointer, bSigned, m: n, n: n, k: n, into: c.pointer)
                return Float(c.pointer[0])
            },
        ]
        return measure(section: "gemm", name: "\(n)", shape: "M=N=K=\(n), A u8 / f32, B s8 / f32, C s32 / f32", work: 2 * Double(n * n * n),
                       unit: "GOP/s", contenders: contenders, repeats: options.repeats, sampleSeconds: options.sampleSeconds,
                       warmupSeconds: options.warmupSeconds)
    }

    static func int4Case(_ n: Int, _ options: IntegerBenchmarkOptions) -> IntegerCase {
        let a = AlignedBytes(randomBytes(n * n, seed: 3))
        let bValues = randomBytes(n * n, seed: 4).map { Int8(Int($0 % 16) - 8) }
        let packed8 = PackedInt8Matrix(bValues, k: n, n: n)
        let packed4 = PackedInt4Matrix(bValues, k: n, n: n)
        let c = AlignedInt32s(count: n * n)
        let contenders = [
            Contender(name: "int8 weights (PackedInt8)") {
                IntegerGEMM.multiply(a.pointer, lda: n, m: n, packed8, into: c.pointer, ldc: n)
                return Float(c.pointer[0])
            },
            Contender(name: "int4 weights (PackedInt4)") {
                IntegerGEMM.multiply(a.pointer, lda: n, m: n, packed4, into: c.pointer, ldc: n)
                return Float(c.pointer[0])
            },
        ]
        return measure(section: "int4", name: "\(n)", shape: "M=N=K=\(n), A u8, B in [-8, 7], .automatic", work: 2 * Double(n * n * n),
                       unit: "GOP/s", contenders: contenders, repeats: options.repeats, sampleSeconds: options.sampleSeconds,
                       warmupSeconds: options.warmupSeconds)
    }

    // MARK: Convolution

    static func convCase(_ name: String, batch: Int, inChannels: Int, outChannels: Int, size: Int, zeroPoint: Int32,
                         _ options: IntegerBenchmarkOptions) -> IntegerCase {
        let geometry = Conv2DGeometry(batch: batch, inChannels: inChannels, height: size, width: size, outChannels: outChannels,
                                      kernelH: 3, kernelW: 3, padH: 1, padW: 1)
        let xBytes = randomBytes(geometry.inputCount, seed: 5)
        let wValues = randomBytes(geometry.weightCount, seed: 6).map { Int8(bitPattern: $0) }
        let x = AlignedBytes(xBytes)
        let y = AlignedInt32s(count: geometry.outputCount)
        let conv = IntegerConv2D(weights: wValues, inChannels: inChannels, outChannels: outChannels, kernel: (3, 3), padding: (1, 1))
        let xf = AlignedFloats(count: geometry.inputCount), wf = AlignedFloats(count: geometry.weightCount)
        let yf = AlignedFloats(count: geometry.outputCount)
        for i in 0..<geometry.inputCount { xf.pointer[i] = (Float(xBytes[i]) - Float(zeroPoint)) / 255 }
        for i in 0..<geometry.weightCount { wf.pointer[i] = Float(wValues[i]) / 128 }
        let xt = Tensor(shape: [batch, inChannels, size, size], scalars: (0..<geometry.inputCount).map { xf.pointer[$0] })
        let wt = Tensor(shape: [outChannels, inChannels, 3, 3], scalars: (0..<geometry.weightCount).map { wf.pointer[$0] })
        func integer(_ backend: IntegerBackend) -> Float {
            conv.forward(x.pointer, signed: false, batch: batch, h: size, w: size, zeroPoint: zeroPoint, bias: nil, into: y.pointer,
                         backend: backend)
            return Float(y.pointer[0])
        }
        // The same bytes read as NHWC (the layout does not change the work).
        func channelsLast() -> Float {
            conv.forwardChannelsLast(x.pointer, signed: false, batch: batch, h: size, w: size, zeroPoint: zeroPoint, bias: nil,
                                     into: y.pointer)
            return Float(y.pointer[0])
        }
        // NHWC with the per-channel requantization to uint8 fused into the GEMM: the int8 layer as
        // an integer-only model runs it (the next layer reads bytes; fp32 hands on floats).
        let requantizer = ChannelRequantizer(ratios: (0..<outChannels).map { 1e-3 * Double(1 + $0 % 7) }, zeroPoint: 0, clamp: 0...255)
        let bytesOut = AlignedBytes([UInt8](repeating: 0, count: geometry.outputCount))
        func channelsLastRequantized() -> Float {
            conv.forwardChannelsLast(x.pointer, batch: batch, h: size, w: size, zeroPoint: zeroPoint, bias: nil,
                                     requantizer: requantizer, into: .bytes(UnsafeMutableRawPointer(bytesOut.pointer)))
            return Float(bytesOut.pointer[0])
        }
        let contenders = [
            Contender(name: "fp32 DNNLKernels.conv2d") {
                DNNLKernels.conv2dForward(x: xf.pointer, w: wf.pointer, y: yf.pointer, geometry: geometry)
                return yf.pointer[0]
            },
            Contender(name: "fp32 Tensor.conv2d") {
                Tensor.conv2d(xt, weight: wt, padding: (1, 1)).withUnsafeBufferPointer(as: Float.self) { $0[0] }
            },
            Contender(name: "int8 IntegerConv2D .automatic") { integer(.automatic) },
            Contender(name: "int8 IntegerConv2D NHWC .automatic") { channelsLast() },
            Contender(name: "int8 NHWC → u8 (fused requant)") { channelsLastRequantized() },
            Contender(name: "int8 IntegerConv2D .avx2") { integer(.avx2) },
        ]
        return measure(section: "conv", name: name,
                       shape: "x \(batch)x\(inChannels)x\(size)x\(size) u8 (z=\(zeroPoint)) / f32, w \(outChannels)x\(inChannels)x3x3, pad 1",
                       work: 2 * Double(geometry.multiplyAdds), unit: "GOP/s", contenders: contenders, repeats: options.repeats,
                       sampleSeconds: options.sampleSeconds, warmupSeconds: options.warmupSeconds)
    }

    // MARK: Whole model

    static func modelCase(_ setup: ModelSetup, _ options: IntegerBenchmarkOptions) -> IntegerCase {
        let contenders = [
            Contender(name: "float \(setup.name) (oneDNN)") { setup.runFloat() },
            Contender(name: "integer-only w8a8") { setup.runInteger(setup.int8) },
            Contender(name: "integer-only w4a8") { setup.runInteger(setup.int4) },
        ]
        return measure(section: "model", name: setup.name, shape: "\(setup.dataset.count) Fashion-MNIST test images, batch \(options.batch), argmax included",
                       work: Double(setup.dataset.count), unit: "img/s", contenders: contenders, repeats: options.modelRepeats,
                       sampleSeconds: 0, warmupSeconds: 0, warmupCalls: 1)
    }
}

/// 64-byte-aligned bytes.
final class AlignedBytes {
    let pointer: UnsafeMutablePointer<UInt8>
    init(_ values: [UInt8]) {
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(values.count, 1), alignment: 64)
            .bindMemory(to: UInt8.self, capacity: max(values.count, 1))
        values.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: values.count) }
    }
    deinit { pointer.deallocate() }
}

/// 64-byte-aligned, zeroed Int32s.
final class AlignedInt32s {
    let pointer: UnsafeMutablePointer<Int32>
    init(count: Int) {
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            .bindMemory(to: Int32.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: count)
    }
    deinit { pointer.deallocate() }
}

/// The test set, the float model with normalised batches and the two integer models with raw
/// pixel batches, all prepared outside the timed region (the same images, the same batching).
final class ModelSetup {
    let dataset: Dataset
    let model: Model
    let floatBatches: [Tensor]
    let pixelBatches: [[UInt8]]
    let batchSizes: [Int]
    let name: String
    let int8: any IntegerClassifier
    let int4: any IntegerClassifier
    private(set) var floatAccuracy = 0.0

    init(_ options: IntegerBenchmarkOptions, model name: String, floatWeights: String, int8: String, int4: String) throws {
        let dataset = try DatasetCatalog.load("fashion-mnist", split: .test, dataDirectory: options.dataDirectory)
        self.dataset = dataset
        self.name = name
        let layer = try ModelCatalog.make(name, classes: dataset.classes, inputChannels: dataset.channels, imageSize: dataset.height)
        let (tensors, _) = try SafeTensors.read(path: floatWeights)
        let model = Model(layer, state: try ModelState(layer, key: RandomKey(seed: 0)).loading(tensors))
        self.model = model
        let loader = DataLoader(dataset: dataset, batchSize: options.batch, shuffle: false, key: RandomKey(seed: 0),
                                normalization: try Normalization.preset(for: "fashion-mnist"))
        let batches = loader.batches(epoch: 0)
        let floatBatches = batches.map { loader.makeBatch($0).images }
        self.floatBatches = floatBatches
        batchSizes = batches.map(\.count)
        let bytes = dataset.imageByteCount
        pixelBatches = batches.map { Array(dataset.images[($0.first! * bytes)..<(($0.last! + 1) * bytes)]) }
        self.int8 = try IntegerModelFile.read(path: int8)
        self.int4 = try IntegerModelFile.read(path: int4)
        for m in [self.int8, self.int4] where m.modelName != name {
            throw UsageError(message: "an integer \(m.modelName) model was given where \(name) is benchmarked")
        }
        var correct = 0
        for (batch, indices) in zip(floatBatches, batches) {
            for (p, i) in zip(model.predict(batch).argmax(axis: 1), indices) where p == Int(dataset.labels[i]) { correct += 1 }
        }
        floatAccuracy = Double(correct) / Double(dataset.count)
    }

    func accuracy(_ model: any IntegerClassifier) -> Double {
        var correct = 0, offset = 0
        for (pixels, count) in zip(pixelBatches, batchSizes) {
            for (i, p) in model.predict(pixels: pixels, batch: count).enumerated() where p == Int(dataset.labels[offset + i]) { correct += 1 }
            offset += count
        }
        return Double(correct) / Double(dataset.count)
    }

    /// One pass of the float model over the test set; returns the sum of the predicted classes.
    func runFloat() -> Float {
        var sum = 0
        for batch in floatBatches { for p in model.predict(batch).argmax(axis: 1) { sum += p } }
        return Float(sum)
    }

    /// One pass of an integer model over the test set; returns the sum of the predicted classes.
    func runInteger(_ model: any IntegerClassifier) -> Float {
        var sum = 0
        for (pixels, count) in zip(pixelBatches, batchSizes) { for p in model.predict(pixels: pixels, batch: count) { sum += p } }
        return Float(sum)
    }
}

/// Where the time of `IntegerCNN.logits` goes: a copy of its code (FoedusQuant's
/// `IntegerCNN.logits`, `Stage.forwardChannelsLast`, `Dense`, and `IntegerConv2D.forwardChannelsLast`,
/// same calls in the same order) with a clock read around each step. Checked to give the same predictions.
struct StageProfile {
    var steps: [String] = []
    /// Per step, seconds per pass over the test set, one entry per repeat.
    var samples: [String: [Double]] = [:]
    var predictTimes: [Double] = []

    var table: String {
        let totals = (0..<predictTimes.count).map { r in steps.reduce(0) { $0 + samples[$1]![r] } }
        let total = Summary(totals).median
        var lines = ["profile: copy of IntegerCNN.logits (w8a8), seconds per pass over the test set, medians of \(predictTimes.count) passes",
                     "  " + Format.pad("step", 34, right: false) + Format.pad("ms", 10) + Format.pad("share", 8)]
        for step in steps {
            let median = Summary(samples[step]!).median
            lines.append("  " + Format.pad(step, 34, right: false) + Format.pad(Format.fixed(median * 1e3, 1), 10)
                         + Format.pad(Format.fixed(100 * median / total, 1) + " %", 8))
        }
        lines.append("  " + Format.pad("sum of steps", 34, right: false) + Format.pad(Format.fixed(total * 1e3, 1), 10))
        lines.append("  " + Format.pad("model.predict (same passes)", 34, right: false)
                     + Format.pad(Format.fixed(Summary(predictTimes).median * 1e3, 1), 10))
        return lines.joined(separator: "\n")
    }

    var json: JSON {
        .object([
            ("predict_ms", .number(Summary(predictTimes).median * 1e3)),
            ("steps", .array(steps.map { .object([("step", .string($0)), ("ms", .number(Summary(samples[$0]!).median * 1e3))]) })),
        ])
    }

    static func measure(_ setup: ModelSetup, _ options: IntegerBenchmarkOptions) -> StageProfile? {
        guard let model = setup.int8 as? IntegerCNN else { return nil }
        let convs = model.stages.map {
            IntegerConv2D(weights: $0.weights, inChannels: $0.inChannels, outChannels: $0.outChannels, kernel: (3, 3), padding: (1, 1))
        }
        // The hidden layer's weights with input features in NHWC order (h, w, c), as IntegerCNN packs them.
        let channels = model.stages.last!.outChannels, spatial = model.hidden.inFeatures / channels
        var permuted = model.hidden.weights
        for o in 0..<model.hidden.outFeatures {
            for c in 0..<channels { for p in 0..<spatial { permuted[o * model.hidden.inFeatures + p * channels + c] = model.hidden.weights[o * model.hidden.inFeatures + c * spatial + p] } }
        }
        let hiddenPacked = PackedInt8Matrix(permuted, k: model.hidden.inFeatures, n: model.hidden.outFeatures, transposed: true)
        let outputPacked = PackedInt8Matrix(model.output.weights, k: model.output.inFeatures, n: model.output.outFeatures, transposed: true)
        var profile = StageProfile()
        // Warm-up pass, also the equality check against the library.
        var clock = StepClock()
        for (pixels, count) in zip(setup.pixelBatches, setup.batchSizes) {
            let mine = predict(model, convs, hiddenPacked, outputPacked, pixels, count, &clock)
            precondition(mine == model.predict(pixels: pixels, batch: count), "profile copy disagrees with IntegerCNN.predict")
        }
        printError("profile: copy of IntegerCNN.logits agrees with predict on all \(setup.dataset.count) images")
        for _ in 0..<options.modelRepeats {
            var clock = StepClock()
            for (pixels, count) in zip(setup.pixelBatches, setup.batchSizes) {
                Sink.consume(Float(predict(model, convs, hiddenPacked, outputPacked, pixels, count, &clock).reduce(0, +)))
            }
            for step in clock.order { profile.samples[step, default: []].append(clock.seconds[step]!) }
            profile.steps = clock.order
            let start = monotonicNanoseconds()
            Sink.consume(setup.runInteger(model))
            profile.predictTimes.append(Double(monotonicNanoseconds() - start) / 1e9)
        }
        return profile
    }

    /// Accumulates time per named step.
    struct StepClock {
        var order: [String] = []
        var seconds: [String: Double] = [:]
        var last = monotonicNanoseconds()

        mutating func reset() { last = monotonicNanoseconds() }
        mutating func lap(_ step: String) {
            let now = monotonicNanoseconds()
            if seconds[step] == nil { order.append(step) }
            seconds[step, default: 0] += Double(now - last) / 1e9
            last = now
        }
    }

    /// `IntegerCNN.predict(pixels:batch:)`, step by step: the channels-last stages a chunk of
    /// `IntegerCNN`'s size at a time (`IntegerConv2D.forwardChannelsLast` with the per-channel
    /// requantization fused, NHWC i-GroupNorm, NHWC max-pool), then the dense layers.
    static func predict(_ model: IntegerCNN, _ convs: [IntegerConv2D], _ hiddenPacked: PackedInt8Matrix, _ outputPacked: PackedInt8Matrix,
                        _ pixels: [UInt8], _ batch: Int, _ clock: inout StepClock) -> [Int] {
        clock.reset()
        let chunk = 4, size0 = model.imageSize
        let widest = model.stages.map { $0.outChannels * size0 * size0 }.max()!
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: chunk * widest)
        let activation = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk * widest)
        let buffers = [UnsafeMutablePointer<UInt8>.allocate(capacity: chunk * widest / 4), UnsafeMutablePointer<UInt8>.allocate(capacity: chunk * widest / 4)]
        var features = [UInt8](repeating: 0, count: batch * model.hidden.inFeatures)
        let channelRequantizers = model.stages.map { stage -> ChannelRequantizer in
            switch stage.norm {
            case .folded(let r), .group(let r, _, _, _, _): return ChannelRequantizer(dyadics: r.map(\.dyadic), zeroPoint: r[0].zeroPoint, clamp: r[0].clamp)
            }
        }
        clock.lap("buffers")
        pixels.withUnsafeBufferPointer { px in
            features.withUnsafeMutableBufferPointer { pf in
                for first in stride(from: 0, to: batch, by: chunk) {
                    let images = min(chunk, batch - first)
                    var input = UnsafePointer(px.baseAddress! + first * size0 * size0)
                    var size = size0
                    for (index, (stage, conv)) in zip(model.stages, convs).enumerated() {
                        let s = "stage\(index + 1) ", og = stage.outChannels
                        let output: IntegerGEMM.RequantizedOutput
                        switch stage.norm {
                        case .folded: output = .bytes(UnsafeMutableRawPointer(activation))
                        case .group: output = .int32(acc)
                        }
                        // IntegerConv2D.forwardChannelsLast as IntegerCNN runs it: the direct kernel for
                        // stage 1 (one channel, taps side by side), the implicit-im2col GEMM (AMX or VNNI)
                        // for the others, each with the requantization as its epilogue.
                        stage.bias.withUnsafeBufferPointer { pb in
                            conv.forwardChannelsLast(input, batch: images, h: size, w: size, zeroPoint: stage.inputZeroPoint,
                                                     bias: pb.baseAddress, requantizer: channelRequantizers[index], into: output)
                        }
                        clock.lap(s + "conv + requantize (fused)")
                        if case .group(_, let groupNorm, _, _, _) = stage.norm {
                            groupNorm.applyChannelsLast(acc, samples: images, into: activation)
                            clock.lap(s + "i-GroupNorm → UInt8")
                        }
                        let last = index == model.stages.count - 1
                        let out = last ? pf.baseAddress! + first * model.hidden.inFeatures : buffers[index % 2]
                        IntegerPooling.maxPool2ChannelsLast(activation, images: images, size: size, channels: og, into: out)
                        clock.lap(s + "max-pool")
                        input = UnsafePointer(out)
                        size /= 2
                    }
                }
            }
        }
        acc.deallocate(); activation.deallocate(); buffers.forEach { $0.deallocate() }
        // Dense.forward (hidden, weights permuted to the NHWC flattening) and Dense.logits (output).
        let hidden = model.hidden, output = model.output
        let hiddenAcc = gemm(features, batch, hidden.inFeatures, hidden.outFeatures, hiddenPacked, hidden.bias)
        clock.lap("fc1 GEMM")
        let channel = ChannelRequantizer(dyadics: hidden.requantizers.map(\.dyadic), zeroPoint: 0, clamp: hidden.requantizers[0].clamp)
        let h = channel.requantizeToUInt8(hiddenAcc, rows: batch)
        clock.lap("fc1 requantize")
        let outputAcc = gemm(h, batch, output.inFeatures, output.outFeatures, outputPacked, output.bias)
        clock.lap("fc2 GEMM")
        let logits = outputAcc.indices.map { output.requantizers[$0 % output.outFeatures].requantize(outputAcc[$0]) }
        clock.lap("fc2 requantize")
        let classes = model.classes
        let predicted = (0..<batch).map { n in
            var best = 0
            for c in 1..<classes where logits[n * classes + c] > logits[n * classes + best] { best = c }
            return best
        }
        clock.lap("argmax")
        return predicted
    }

    static func gemm(_ x: [UInt8], _ batch: Int, _ k: Int, _ n: Int, _ packed: PackedInt8Matrix, _ bias: [Int32]) -> [Int32] {
        var acc = [Int32](repeating: 0, count: batch * n)
        x.withUnsafeBufferPointer { px in
            bias.withUnsafeBufferPointer { pb in
                acc.withUnsafeMutableBufferPointer { pa in
                    IntegerGEMM.multiply(px.baseAddress!, lda: k, m: batch, packed, aZeroPoint: 0, bias: pb.baseAddress,
                                         into: pa.baseAddress!, ldc: n)
                }
            }
        }
        return acc
    }
}
