import FoedusKernels
import FoedusNN
import FoedusQuant
import FoedusTensor

// Where the time of an FQT training step goes: each conv/linear layer's inputs, weights and
// output gradient are captured from one real training step of the benchmark's models, then
// every stage of `IntegerTrainingArithmetic` (FoedusQuant/Training) is re-run on them alone —
// the same `IntegerTraining` / `GradientCodes` calls it makes, one stage at a time — next to the
// float32 layer (`Tensor.conv2d` / `Tensor.linear` and their pullback).

/// What one conv/linear layer saw in a training step.
struct CapturedLayer {
    var x: Tensor
    var weight: Tensor
    var bias: Tensor?
    var inputTracked: Bool
    var geometry: ConvolutionGeometry?
    var gradient: Tensor?
}

/// Where ``CapturingArithmetic`` writes (single-threaded use only).
final class LayerCapture: @unchecked Sendable {
    var layers: [CapturedLayer] = []
}

/// Runs another arithmetic (nil: float) and records each layer's operands and, during the
/// backward pass, its output gradient.
struct CapturingArithmetic: LayerArithmetic {
    let inner: (any LayerArithmetic)?
    let capture: LayerCapture

    func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry, mode: Mode, key: RandomKey?) -> Tensor {
        let index = record(x, weight, bias, geometry)
        let y = inner?.conv2d(x, weight: weight, bias: bias, geometry: geometry, mode: mode, key: key)
            ?? Tensor.conv2d(x, weight: weight, bias: bias, stride: geometry.stride, padding: geometry.padding,
                             dilation: geometry.dilation, groups: geometry.groups)
        return tap(y, index)
    }

    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, mode: Mode, key: RandomKey?) -> Tensor {
        let index = record(x, weight, bias, nil)
        return tap(inner?.linear(x, weight: weight, bias: bias, mode: mode, key: key) ?? Tensor.linear(x, weight: weight, bias: bias), index)
    }

    private func record(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ geometry: ConvolutionGeometry?) -> Int {
        capture.layers.append(CapturedLayer(x: x.detached, weight: weight.detached, bias: bias?.detached, inputTracked: x.isTracked,
                                            geometry: geometry, gradient: nil))
        return capture.layers.count - 1
    }

    /// Identity whose pullback stores the cotangent.
    private func tap(_ y: Tensor, _ index: Int) -> Tensor {
        guard y.isTracked else { return y }
        let capture = self.capture
        return Tensor.customOperation("capture", inputs: [y], value: y) { g in
            capture.layers[index].gradient = g
            return [g]
        }
    }
}

/// One training step of `runner`'s model (on copies of its state and optimizer) with every
/// conv/linear layer captured, in forward order.
func captureLayers(_ runner: FQTStepRunner) -> [CapturedLayer] {
    let capture = LayerCapture()
    var model = runner.model
    var optimizer = runner.optimizer
    model.arithmetic = CapturingArithmetic(inner: runner.config.arithmetic(), capture: capture)
    let batch = runner.nextBatch
    Sink.consume(Float(model.trainStep(x: batch.x, labels: batch.labels, optimizer: &optimizer, key: runner.root.derived("capture"))))
    precondition(capture.layers.allSatisfy { $0.gradient != nil }, "fqt profile: a layer received no gradient")
    return capture.layers
}

/// The stages of one layer under one FQT configuration, each callable alone on the captured
/// data; the intermediate results each stage needs are computed once at construction.
final class FQTLayerStages {
    let config: QuantizedTraining
    let key: RandomKey
    let x: [Float], g: [Float], bias: [Float]?, weight: [Float]
    let n: Int, o: Int, k: Int, l: Int
    let window: WindowGeometry?
    let needsInput: Bool
    // Intermediates, as the library computes them.
    let scale: IntegerTraining.ActivationScale
    let codes: [UInt8]
    let cols: [Int8]
    let weights: Weights
    let weightCodes: AffineCodes
    /// The packed codes the step uses when the fused kernel applies (nil: `weightCodes`).
    let packedWeightCodes: PackedGradientCodes?
    let inputCodes: AffineCodes?
    let transform: BlockHouseholder?
    let columnGradient: [Float]?

    typealias Weights = IntegerTraining.WeightCodes

    init(_ layer: CapturedLayer, config: QuantizedTraining, key: RandomKey) {
        self.config = config
        self.key = key
        x = layer.x.scalars(as: Float.self)
        g = layer.gradient!.scalars(as: Float.self)
        bias = layer.bias?.scalars(as: Float.self)
        weight = layer.weight.scalars(as: Float.self)
        n = layer.x.shape[0]
        o = layer.weight.shape[0]
        if let geometry = layer.geometry {
            let s = layer.x.shape, w = layer.weight.shape
            let window = WindowGeometry(channels: s[1], height: s[2], width: s[3], kernel: (w[2], w[3]), stride: geometry.stride,
                                        padding: geometry.padding, dilation: geometry.dilation)
            self.window = window
            k = s[1] * w[2] * w[3]
            l = window.outHeight * window.outWidth
        } else {
            window = nil
            k = layer.x.shape[1]
            l = 1
        }
        needsInput = layer.inputTracked
        precondition(g.count == n * o * l, "fqt profile: gradient of \(g.count) values for \(n)x\(o)x\(l)")
        // The chain of intermediates.
        (scale, codes) = Self.activationQuantization(x, bits: config.activationBits)
        cols = Self.im2col(codes, zeroPoint: scale.zeroPoint, n: n, k: k, l: l, window: window)
        weights = Self.weightQuantization(weight, o: o, k: k, bits: config.weightBits, transposing: window != nil)
        weightCodes = Self.weightGradientCodes(g, n: n, o: o, l: l, config: config, key: key.derived("weight-gradient"))
        packedWeightCodes = Self.packedWeightGradientCodes(g, n: n, o: o, l: l, config: config, key: key.derived("weight-gradient"))
        if needsInput {
            let (codes, transform) = Self.inputGradientCodes(g, n: n, o: o, l: l, steps: weights.steps, config: config,
                                                             key: key.derived("input-gradient"))
            inputCodes = codes
            self.transform = transform
            columnGradient = Self.inputGradientGEMM(codes, n: n, o: o, l: l, k: k, weights: weights, window: window)
        } else {
            inputCodes = nil
            transform = nil
            columnGradient = nil
        }
    }

    /// The timed stages: (name, closure) in the order the step runs them.
    var stages: [(String, () -> Float)] {
        var list: [(String, () -> Float)] = [
            ("activation quant (scale + codes)", { [self] in
                let (s, q) = Self.activationQuantization(x, bits: config.activationBits)
                return s.step + Float(q[q.count / 2])
            }),
            (window == nil ? "transpose codes (transposedColumns)" : "im2col of codes (columns)", { [self] in
                Float(Self.im2col(codes, zeroPoint: scale.zeroPoint, n: n, k: k, l: l, window: window)[k * n * l / 2])
            }),
            ("weight quant (+ sums, wᵀ)", { [self] in
                let w = Self.weightQuantization(weight, o: o, k: k, bits: config.weightBits, transposing: window != nil)
                return w.steps[0] + Float(w.transposedSums[0])
            }),
            ("forward GEMM (IntegerTraining.forward)", { [self] in
                Self.forwardGEMM(cols, scale: scale, weights: weights, bias: bias, n: n, o: o, k: k, l: l)[n * o * l / 2]
            }),
            ("w-grad quant (Q_w into the packed GEMM operand)", { [self] in
                if window != nil, packedWeightCodes != nil, let c = Self.packedWeightGradientCodes(g, n: n, o: o, l: l, config: config, key: key.derived("weight-gradient")) {
                    return c.step[0] + Float(c.packed.columnSums[0])
                }
                let c = Self.weightGradientCodes(g, n: n, o: o, l: l, config: config, key: key.derived("weight-gradient"))
                return c.step[0] + Float(c.codes[c.codes.count / 2])
            }),
            ("  unfused: transpose to [N·L, O] + Q_w", { [self] in
                let c = Self.weightGradientCodes(g, n: n, o: o, l: l, config: config, key: key.derived("weight-gradient"))
                return c.step[0] + Float(c.codes[c.codes.count / 2])
            }),
            ("w-grad GEMM (weightGradient)", { [self] in
                if window == nil {
                    let (dw, db) = IntegerTraining.linearWeightGradient(activationCodes: codes, activation: scale, codes: weightCodes)
                    return dw[dw.count / 2] + db[0]
                }
                if let packedWeightCodes {
                    let (dw, db) = IntegerTraining.weightGradient(columns: cols, k: k, activation: scale, codes: packedWeightCodes)
                    return dw[dw.count / 2] + db[0]
                }
                return Self.weightGradientGEMM(cols, scale: scale, codes: weightCodes, n: n, o: o, k: k, l: l)
            }),
        ]
        guard needsInput, let inputCodes, let columnGradient else { return list }
        if let window, config.gradientQuantizer != .bhq {
            // What the step runs for a convolution under PTQ/PSQ: quantization and GEMM fused per
            // sample; the unfused stages below are shown as parts for comparison.
            // The step hands over the per-(sample, channel) ranges of G from its finiteness pass.
            let ranges = g.withUnsafeBufferPointer { GradientQuantizer.finiteRowRanges($0, rows: n * o, cols: l) }
            list.append(("in-grad Q_in + GEMM → image (fused per sample)", { [self] in
                var dx = [Float](repeating: 0, count: x.count)
                g.withUnsafeBufferPointer { gp in
                    dx.withUnsafeMutableBufferPointer {
                        IntegerTraining.inputGradientImages(gradient: gp, window: window, weights: weights, bits: config.gradientBits,
                                                            grouping: config.gradientQuantizer == .ptq ? .tensor : .rows, key: key.derived("input-gradient"),
                                                            channelRanges: ranges, into: $0.baseAddress!)
                    }
                }
                return dx[dx.count / 2]
            }))
            list.append(("  unfused: scale by Δw + Q_in", { [self] in
                let (c, _) = Self.inputGradientCodes(g, n: n, o: o, l: l, steps: weights.steps, config: config, key: key.derived("input-gradient"))
                return c.step[0] + Float(c.codes[c.codes.count / 2])
            }))
            list.append(("  unfused: GEMM → image (inputGradientImages)", { [self] in
                let dx = Self.inputGradientGEMM(inputCodes, n: n, o: o, l: l, k: k, weights: weights, window: window)
                return dx[dx.count / 2]
            }))
            return list
        }
        list.append(("in-grad quant (scale by Δw + Q_in)", { [self] in
            let (c, t) = Self.inputGradientCodes(g, n: n, o: o, l: l, steps: weights.steps, config: config, key: key.derived("input-gradient"))
            return c.step[0] + Float(c.codes[c.codes.count / 2]) + Float(t?.rows ?? 0)
        }))
        list.append(("  of which scale by Δw", { [self] in
            let t = Self.scaleByWeightSteps(g, n: n, o: o, l: l, steps: weights.steps)
            return t[t.count / 2]
        }))
        list.append((window == nil ? "in-grad GEMM (inputGradient)" : "in-grad GEMM → image (inputGradientImages)", { [self] in
            let dx = Self.inputGradientGEMM(inputCodes, n: n, o: o, l: l, k: k, weights: weights, window: window)
            return dx[dx.count / 2]
        }))
        if let transform {
            list.append(("BHQ inverse (applyInverse)", { [self] in
                var mixed = [Float](repeating: 0, count: columnGradient.count)
                columnGradient.withUnsafeBufferPointer { src in mixed.withUnsafeMutableBufferPointer { transform.applyInverse(src, cols: src.count / n, into: $0) } }
                return mixed[mixed.count / 2]
            }))
        }
        return list
    }

    // MARK: The stages of QuantizedOperands and IntegerTrainingArithmetic (FoedusQuant/Training), one call each

    static func activationQuantization(_ x: [Float], bits: Int) -> (IntegerTraining.ActivationScale, [UInt8]) {
        x.withUnsafeBufferPointer { p in
            let scale = IntegerTraining.ActivationScale(p, bits: bits)
            var codes = [UInt8](repeating: 0, count: p.count)
            codes.withUnsafeMutableBufferPointer { scale.quantize(p, into: $0.baseAddress!) }
            return (scale, codes)
        }
    }

    static func im2col(_ codes: [UInt8], zeroPoint: Int32, n: Int, k: Int, l: Int, window: WindowGeometry?) -> [Int8] {
        var cols = [Int8](repeating: 0, count: k * n * l)
        codes.withUnsafeBufferPointer { q in
            cols.withUnsafeMutableBufferPointer { c in
                if let window {
                    IntegerTraining.columns(q.baseAddress!, samples: n, geometry: window, zeroPoint: zeroPoint, into: c.baseAddress!)
                } else {
                    IntegerTraining.transposedColumns(q.baseAddress!, samples: n, features: k, into: c.baseAddress!)
                }
            }
        }
        return cols
    }

    /// `QuantizedOperands`' weight codes, then the layer's weight sums and `wᵀ` with its sums.
    static func weightQuantization(_ weight: [Float], o: Int, k: Int, bits: Int, transposing: Bool = true) -> Weights {
        weight.withUnsafeBufferPointer { IntegerTraining.WeightCodes($0, outChannels: o, bits: bits, transposing: transposing) }
    }

    static func forwardGEMM(_ cols: [Int8], scale: IntegerTraining.ActivationScale, weights: Weights, bias: [Float]?,
                            n: Int, o: Int, k: Int, l: Int) -> [Float] {
        var y = [Float](repeating: 0, count: n * o * l)
        cols.withUnsafeBufferPointer { c in
            weights.codes.withUnsafeBufferPointer { w in
                weights.sums.withUnsafeBufferPointer { ws in
                    weights.steps.withUnsafeBufferPointer { st in
                        y.withUnsafeMutableBufferPointer { yp in
                            let out = yp.baseAddress!
                            let forward = { (bp: UnsafePointer<Float>?) in
                                IntegerTraining.forward(columns: c.baseAddress!, k: k, samples: n, pixels: l, zeroPoint: scale.zeroPoint,
                                                        activationStep: scale.step, weights: w.baseAddress!, weightSums: ws.baseAddress!,
                                                        weightSteps: st.baseAddress!, outChannels: o, bias: bp, into: out)
                            }
                            if let bias { bias.withUnsafeBufferPointer { forward($0.baseAddress!) } } else { forward(nil) }
                        }
                    }
                }
            }
        }
        return y
    }

    /// `GradientCodes.forWeights`: G `[N, O, L]` transposed to `[N·L, O]`, then quantized.
    static func weightGradientCodes(_ g: [Float], n: Int, o: Int, l: Int, config: QuantizedTraining, key: RandomKey) -> AffineCodes {
        g.withUnsafeBufferPointer { GradientCodes.forWeights($0, samples: n, channels: o, pixels: l, config: config, key: key) }
    }

    /// `GradientCodes.forWeightsPacked`: the same codes written into the GEMM's packed operand.
    static func packedWeightGradientCodes(_ g: [Float], n: Int, o: Int, l: Int, config: QuantizedTraining, key: RandomKey) -> PackedGradientCodes? {
        g.withUnsafeBufferPointer { GradientCodes.forWeightsPacked($0, samples: n, channels: o, pixels: l, config: config, key: key) }
    }

    static func transposeToPixelsByChannels(_ g: [Float], n: Int, o: Int, l: Int) -> [Float] {
        g.withUnsafeBufferPointer { GradientCodes.weightLayout($0, samples: n, channels: o, pixels: l) }
    }

    static func weightGradientGEMM(_ cols: [Int8], scale: IntegerTraining.ActivationScale, codes wc: AffineCodes,
                                   n: Int, o: Int, k: Int, l: Int) -> Float {
        let (dw, db) = IntegerTraining.weightGradient(columns: cols, k: k, activation: scale, codes: wc)
        return dw[dw.count / 2] + db[0]
    }

    /// `GradientCodes.forInputs`: `G·diag(Δw)` as `[N, O·L]`, then quantized.
    static func inputGradientCodes(_ g: [Float], n: Int, o: Int, l: Int, steps: [Float], config: QuantizedTraining,
                                   key: RandomKey) -> (AffineCodes, BlockHouseholder?) {
        g.withUnsafeBufferPointer { GradientCodes.forInputs($0, samples: n, channels: o, pixels: l, weightSteps: steps, config: config, key: key) }
    }

    static func scaleByWeightSteps(_ g: [Float], n: Int, o: Int, l: Int, steps: [Float]) -> [Float] {
        g.withUnsafeBufferPointer { GradientCodes.scaledByWeightSteps($0, samples: n, channels: o, pixels: l, weightSteps: steps) }
    }

    /// The input gradient as the step computes it: per sample into image layout for a conv
    /// (GEMM, rescale and col2im fused), batched `[N, K]` for a linear layer.
    static func inputGradientGEMM(_ xc: AffineCodes, n: Int, o: Int, l: Int, k: Int, weights: Weights, window: WindowGeometry?) -> [Float] {
        if let window {
            return IntegerTraining.inputGradientImages(codes: xc, outChannels: o, window: window, weightsTransposed: weights.transposed,
                                                       transposedSums: weights.transposedSums)
        }
        return IntegerTraining.linearInputGradient(codes: xc, weights: weights)
    }
}

/// The float32 layer on captured data: forward alone, and forward + pullback (what the float
/// step runs for the layer; the input gradient only when the input is tracked).
struct FP32LayerStages {
    let forward: () -> Float
    let forwardBackward: () -> Float

    init(_ layer: CapturedLayer) {
        let x = layer.x, w = layer.weight, b = layer.bias, g = layer.gradient!
        let op: ([Tensor]) -> Tensor
        if let geometry = layer.geometry {
            op = { t in Tensor.conv2d(t[0], weight: t[1], bias: t.count > 2 ? t[2] : nil, stride: geometry.stride, padding: geometry.padding,
                                      dilation: geometry.dilation, groups: geometry.groups) }
        } else {
            op = { t in Tensor.linear(t[0], weight: t[1], bias: t.count > 2 ? t[2] : nil) }
        }
        let all = [x, w] + (b.map { [$0] } ?? [])
        forward = { op(all).withUnsafeBufferPointer(as: Float.self) { $0[$0.count / 2] } }
        if layer.inputTracked {
            forwardBackward = {
                valueAndPullback(of: op, at: all, cotangent: g).pullback[0].withUnsafeBufferPointer(as: Float.self) { $0[$0.count / 2] }
            }
        } else {
            let parameters = Array(all.dropFirst())
            forwardBackward = {
                valueAndPullback(of: { t in op([x] + t) }, at: parameters, cotangent: g).pullback[0]
                    .withUnsafeBufferPointer(as: Float.self) { $0[$0.count / 2] }
            }
        }
    }
}

/// The per-layer, per-stage profile and its table.
struct FQTStageProfile {
    enum Column: String, CaseIterable {
        case ptq = "fqt-8 ptq", bhq = "fqt-5 bhq", fp32 = "fp32"

        var jsonKey: String {
            switch self {
            case .ptq: return "fqt8_ptq"
            case .bhq: return "fqt5_bhq"
            case .fp32: return "fp32"
            }
        }
    }

    struct Row {
        var layer: String
        var stage: String
        /// Seconds per call, median over repeats, per column (absent: not run in that step).
        var seconds: [Column: Double] = [:]
        /// A part of the stage above it ("of which …"), not added to totals.
        var isPart: Bool { stage.hasPrefix("  ") }
    }

    var rows: [Row] = []
    /// The whole-step medians of part 1, per column.
    var stepSeconds: [Column: Double] = [:]
    var repeats = 0
    var notes: [String] = []

    static let layerNames = ["conv1", "conv2", "fc1", "fc2"]

    static func measure(fp32: FQTStepRunner, ptq: FQTStepRunner, bhq: FQTStepRunner, steps: IntegerCase,
                        options: FQTBenchmarkOptions) -> FQTStageProfile {
        printError("profile: capturing the layers of one step per model")
        let captures: [Column: [CapturedLayer]] = [.fp32: captureLayers(fp32), .ptq: captureLayers(ptq), .bhq: captureLayers(bhq)]
        for (column, layers) in captures {
            precondition(layers.count == layerNames.count, "fqt profile: \(column.rawValue) step ran \(layers.count) conv/linear layers, expected 4")
        }
        // Probes: (row index, column, closure).
        var rows: [Row] = []
        var probes: [(row: Int, column: Column, run: () -> Float)] = []
        func rowIndex(_ layer: String, _ stage: String) -> Int {
            if let i = rows.firstIndex(where: { $0.layer == layer && $0.stage == stage }) { return i }
            rows.append(Row(layer: layer, stage: stage))
            return rows.count - 1
        }
        let stageKey = RandomKey(seed: 3).derived("fqt-profile")
        for (index, layer) in layerNames.enumerated() {
            for column in [Column.ptq, .bhq] {
                let runner = column == .ptq ? ptq : bhq
                let stages = FQTLayerStages(captures[column]![index], config: runner.config, key: stageKey.derived(layer))
                for (stage, run) in stages.stages { probes.append((rowIndex(layer, stage), column, run)) }
            }
            let float = FP32LayerStages(captures[.fp32]![index])
            probes.append((rowIndex(layer, "fp32 forward (Tensor.conv2d/linear, oneDNN)"), .fp32, float.forward))
            probes.append((rowIndex(layer, "fp32 forward + pullback"), .fp32, float.forwardBackward))
        }
        // Calibrate calls per sample per probe, then rotate through all probes `repeats` times.
        printError("profile: \(probes.count) stage probes, calibrating")
        let iterations = probes.map { probe -> Int in
            _ = secondsPerCall(iterations: 1, probe.run)
            let t = min(secondsPerCall(iterations: 1, probe.run), secondsPerCall(iterations: 1, probe.run))
            return max(1, Int((options.sampleSeconds / t).rounded()))
        }
        var samples = [[Double]](repeating: [], count: probes.count)
        for r in 0..<options.repeats {
            let shift = (r * 7) % probes.count
            for i in Array(shift..<probes.count) + Array(0..<shift) {
                samples[i].append(secondsPerCall(iterations: iterations[i], probes[i].run))
            }
            printError("profile: repeat \(r + 1)/\(options.repeats)")
        }
        for (i, probe) in probes.enumerated() { rows[probe.row].seconds[probe.column] = Summary(samples[i]).median }
        var profile = FQTStageProfile(rows: rows, repeats: options.repeats)
        profile.stepSeconds = [.fp32: steps.times[steps.contenders[0]]!.median, .ptq: steps.times[steps.contenders[2]]!.median,
                               .bhq: steps.times[steps.contenders[4]]!.median]
        profile.notes.append("Q_w / Q_in: fqt-8 ptq per tensor / per tensor (8 bits); fqt-5 bhq per column (8 bits) / "
                             + "block Householder transform + per row (5 bits).")
        if !captures[.ptq]![0].inputTracked {
            profile.notes.append("conv1's input (the image batch) is not tracked: no input gradient is computed for it, in FQT or fp32.")
        }
        return profile
    }

    /// Sum of a layer's stages per column; for fp32 the forward + pullback probe.
    func layerTotal(_ layer: String, _ column: Column) -> Double {
        if column == .fp32 { return rows.first { $0.layer == layer && $0.stage == "fp32 forward + pullback" }!.seconds[.fp32]! }
        return rows.filter { $0.layer == layer && !$0.isPart }.compactMap { $0.seconds[column] }.reduce(0, +)
    }

    func layersTotal(_ column: Column) -> Double { Self.layerNames.map { layerTotal($0, column) }.reduce(0, +) }

    /// Per-column groups: which stage kinds sum to what, over all layers.
    func kindTotals(_ column: Column) -> [(String, Double)] {
        let kinds: [(String, (String) -> Bool)] = [
            ("quantization (act, weight, w-grad, in-grad)", { $0.contains("quant") }),
            ("integer GEMMs (fwd, w-grad, in-grad)", { $0.contains("GEMM") }),
            ("im2col / transposes / BHQ inverse", { $0.contains("im2col") || $0.contains("transpose codes") || $0.contains("inverse") }),
        ]
        return kinds.map { name, match in (name, rows.filter { !$0.isPart && match($0.stage) }.compactMap { $0.seconds[column] }.reduce(0, +)) }
    }

    var table: String {
        let columns = Column.allCases
        func cell(_ seconds: Double?, _ column: Column) -> String {
            guard let seconds else { return Format.pad("–", 14) + Format.pad("", 8) }
            let share = stepSeconds[column].map { Format.fixed(100 * seconds / $0, 1) + " %" } ?? ""
            return Format.pad(Format.fixed(seconds * 1e3, 3), 14) + Format.pad(share, 8)
        }
        var lines = ["profile: ms per call of each stage alone on data captured from a real step (medians of \(repeats) interleaved samples); "
                     + "% of that column's whole step (part 1 median)",
                     Format.pad("layer", 7, right: false) + Format.pad("stage", 46, right: false)
                         + columns.map { Format.pad($0.rawValue + " ms", 14) + Format.pad("%", 8) }.joined()]
        for layer in Self.layerNames {
            for row in rows where row.layer == layer {
                lines.append(Format.pad(layer, 7, right: false) + Format.pad(row.stage, 46, right: false)
                             + columns.map { cell(row.seconds[$0], $0) }.joined())
            }
            let fp32Forward = rows.first { $0.layer == layer && $0.stage.hasPrefix("fp32 forward (") }!.seconds[.fp32]!
            lines.append(Format.pad(layer, 7, right: false) + Format.pad("  fp32 backward (forward + pullback − forward)", 46, right: false)
                         + cell(nil, .ptq) + cell(nil, .bhq) + cell(layerTotal(layer, .fp32) - fp32Forward, .fp32))
            lines.append(Format.pad(layer, 7, right: false) + Format.pad("= layer total", 46, right: false)
                         + columns.map { cell(layerTotal(layer, $0), $0) }.joined())
        }
        lines.append(Format.pad("all", 7, right: false) + Format.pad("conv/linear layers", 46, right: false)
                     + columns.map { cell(layersTotal($0), $0) }.joined())
        for (i, kind) in kindTotals(.ptq).enumerated() {
            let bhqKind = kindTotals(.bhq)[i].1
            lines.append(Format.pad("all", 7, right: false) + Format.pad("  " + kind.0, 46, right: false)
                         + cell(kind.1, .ptq) + cell(bhqKind, .bhq) + cell(nil, .fp32))
        }
        lines.append(Format.pad("", 7, right: false) + Format.pad("rest of step (step − layers: GN, ReLU, pool,", 46, right: false)
                     + columns.map { c in cell(stepSeconds[c].map { $0 - layersTotal(c) }, c) }.joined())
        lines.append(Format.pad("", 7, right: false) + Format.pad("  loss, SGD, autodiff, FQT glue)", 46, right: false))
        lines.append(Format.pad("", 7, right: false) + Format.pad("whole step (part 1)", 46, right: false)
                     + columns.map { cell(stepSeconds[$0], $0) }.joined())
        for note in notes { lines.append("note: " + note) }
        return lines.joined(separator: "\n")
    }

    var json: JSON {
        func ms(_ s: Double?) -> JSON { .optional(s.map { $0 * 1e3 }) }
        return .object([
            ("repeats", .integer(repeats)),
            ("columns", .array(Column.allCases.map { .string($0.jsonKey) })),
            ("step_ms", .object(Column.allCases.map { ($0.jsonKey, ms(stepSeconds[$0])) })),
            ("stages", .array(rows.map { row in
                .object([("layer", .string(row.layer)), ("stage", .string(String(row.stage.drop { $0 == " " }))), ("part_of_previous", .bool(row.isPart))] + Column.allCases.map { ($0.jsonKey + "_ms", ms(row.seconds[$0])) })
            })),
            ("layer_totals_ms", .array(Self.layerNames.map { layer in
                .object([("layer", .string(layer))] + Column.allCases.map { ($0.jsonKey, ms(layerTotal(layer, $0))) })
            })),
            ("layers_total_ms", .object(Column.allCases.map { ($0.jsonKey, ms(layersTotal($0))) })),
            ("kind_totals_ms", .object([Column.ptq, .bhq].map { c in (c.jsonKey, .object(kindTotals(c).map { ($0.0, ms($0.1)) })) })),
            ("rest_of_step_ms", .object(Column.allCases.map { c in (c.jsonKey, ms(stepSeconds[c].map { $0 - layersTotal(c) })) })),
            ("notes", .array(notes.map { .string($0) })),
        ])
    }
}
