import FoedusKernels
import FoedusNN
import FoedusTensor

/// Fully quantized training on the int8 kernels: the forward GEMM, the weight-gradient GEMM and
/// the input-gradient GEMM of every conv and linear layer run as integer GEMMs with int32
/// accumulation (``IntegerTraining``); gradients are quantized by the configured stochastic
/// quantizer, twice and independently; bias, normalization, activations and pooling stay float.
///
/// Evaluation mode runs the same integer forward pass.
public struct IntegerTrainingArithmetic: LayerArithmetic {
    public let config: QuantizedTraining

    public init(_ config: QuantizedTraining) {
        self.config = config
    }

    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry, mode: Mode, key: RandomKey?) -> Tensor {
        let g = geometry.window(input: x.shape, weight: weight.shape, layer: "fqt.conv2d")
        let ops = QuantizedOperands(x: x, weight: weight, config: config, layer: "fqt.conv2d")
        let n = x.shape[0], k = g.channels * g.kernelH * g.kernelW, l = g.outHeight * g.outWidth
        let cols = [Int8](unsafeUninitializedCapacity: k * n * l) { c, initialized in
            if let base = c.baseAddress {
                ops.codes.withUnsafeBufferPointer { q in
                    IntegerTraining.columns(q.baseAddress!, samples: n, geometry: g, zeroPoint: ops.scale.zeroPoint, into: base)
                }
            }
            initialized = k * n * l
        }
        let config = self.config
        // PTQ and PSQ quantize the input gradient sample by sample straight into the GEMM; BHQ's
        // transform mixes samples and takes the batched path.
        let fused: (@Sendable (UnsafeBufferPointer<Float>, IntegerTraining.WeightCodes, RandomKey, [(min: Float, max: Float)]?) -> Tensor)?
        let inputShape = x.shape
        switch config.gradientQuantizer {
        case .ptq, .psq:
            fused = { gp, weights, key, channelRanges in
                Tensor(shape: inputShape) { (dx: UnsafeMutableBufferPointer<Float>) in
                    guard let base = dx.baseAddress else { return }
                    IntegerTraining.inputGradientImages(gradient: gp, window: g, weights: weights, bits: config.gradientBits,
                                                        grouping: config.gradientQuantizer == .ptq ? .tensor : .rows, key: key,
                                                        channelRanges: channelRanges, into: base)
                }
            }
        case .bhq:
            fused = nil
        }
        return layer("fqt.conv2d", x: x, weight: weight, bias: bias, ops: ops, columns: cols, samples: n, k: k, pixels: l,
                     outputShape: [n, ops.outChannels, g.outHeight, g.outWidth], mode: mode, key: key, fusedInputGradient: fused) { codes, weights in
            IntegerTraining.inputGradientImages(codes: codes, outChannels: weights.outChannels, window: g,
                                                weightsTransposed: weights.transposed, transposedSums: weights.transposedSums)
        }
    }

    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, mode: Mode, key: RandomKey?) -> Tensor {
        precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1], "[fqt.linear] input \(x.shape) does not match weight \(weight.shape)")
        let ops = QuantizedOperands(x: x, weight: weight, config: config, layer: "fqt.linear")
        let n = x.shape[0], k = x.shape[1]
        let cols = [Int8](unsafeUninitializedCapacity: k * n) { c, initialized in
            if let base = c.baseAddress {
                ops.codes.withUnsafeBufferPointer { q in IntegerTraining.transposedColumns(q.baseAddress!, samples: n, features: k, into: base) }
            }
            initialized = k * n
        }
        return layer("fqt.linear", x: x, weight: weight, bias: bias, ops: ops, columns: cols, samples: n, k: k, pixels: 1,
                     outputShape: [n, ops.outChannels], mode: mode, key: key, linearCodes: ops.codes) { codes, weights in
            IntegerTraining.linearInputGradient(codes: codes, weights: weights)
        }
    }

    /// The integer forward pass and, when anything is tracked in training mode, the integer
    /// backward pass. `inputGradient` maps the input-gradient codes `[N, O·L]` to `∇X` as
    /// `[N, input size]` (before BHQ's inverse, which acts on the sample axis and so commutes
    /// with it). `fusedInputGradient`, when given, maps the float output gradient to `∇X` itself
    /// (quantizing on the way) and replaces that batched path. `linearCodes` (a linear layer's
    /// activation codes `[N, K]`) selects the linear weight-gradient GEMM, which needs no columns.
    private func layer(_ name: String, x: Tensor, weight: Tensor, bias: Tensor?, ops: QuantizedOperands, columns: [Int8],
                       samples n: Int, k: Int, pixels l: Int, outputShape: [Int], mode: Mode, key: RandomKey?,
                       fusedInputGradient: (@Sendable (UnsafeBufferPointer<Float>, IntegerTraining.WeightCodes, RandomKey,
                                                       [(min: Float, max: Float)]?) -> Tensor)? = nil,
                       linearCodes: [UInt8]? = nil,
                       inputGradient: @escaping @Sendable (AffineCodes, IntegerTraining.WeightCodes) -> [Float]) -> Tensor {
        let o = ops.outChannels
        let weightSums = ops.weights.sums
        let biasValues = bias.map { b -> [Float] in
            precondition(b.shape == [o], "[\(name)] bias \(b.shape) for \(o) outputs")
            return b.scalars(as: Float.self)
        }
        // The forward epilogue writes every output element straight into the tensor.
        let value = Tensor(shape: outputShape) { (yp: UnsafeMutableBufferPointer<Float>) in
            columns.withUnsafeBufferPointer { c in
                ops.weightCodes.withUnsafeBufferPointer { w in
                    weightSums.withUnsafeBufferPointer { ws in
                        ops.weightSteps.withUnsafeBufferPointer { st in
                            guard let out = yp.baseAddress else { return }
                            let forward = { (bp: UnsafePointer<Float>?) in
                                IntegerTraining.forward(columns: c.baseAddress!, k: k, samples: n, pixels: l, zeroPoint: ops.scale.zeroPoint,
                                                        activationStep: ops.scale.step, weights: w.baseAddress!, weightSums: ws.baseAddress!,
                                                        weightSteps: st.baseAddress!, outChannels: o, bias: bp, into: out)
                            }
                            if let biasValues { biasValues.withUnsafeBufferPointer { forward($0.baseAddress!) } } else { forward(nil) }
                        }
                    }
                }
            }
        }
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        guard mode == .train, inputs.contains(where: \.isTracked) else { return value }
        guard let key else { preconditionFailure("[\(name)] fully quantized training needs a random key in the layer context") }

        let weights = ops.weights, inputShape = x.shape
        let config = self.config, scale = ops.scale, steps = ops.weightSteps
        let needsInput = x.isTracked, hasBias = bias != nil, weightShape = weight.shape
        let shapes = inputs.map(\.shape)
        return Tensor.customOperation(name, inputs: inputs, value: value) { cotangent in
            // Read the cotangent in place: it is the size of the layer's output.
            cotangent.withUnsafeBufferPointer(as: Float.self) { gp in
                // The gradient quantizers need finite ranges; a diverged step passes NaN on. For a
                // convolution the same pass gives the per-(sample, channel) ranges, from which
                // follow G's range (PTQ's weight-gradient codes), the per-channel ranges (PSQ's and
                // BHQ's) and, quantized sample by sample, the input gradient's ranges.
                let channelRanges = linearCodes == nil && l > 1 ? GradientQuantizer.finiteRowRanges(gp, rows: n * o, cols: l) : nil
                let known = channelRanges.map { r in (min: r.map(\.min).min() ?? 0, max: r.map(\.max).max() ?? 0) }
                guard let range = known ?? GradientQuantizer.finiteRange(gp), steps.allSatisfy(\.isFinite), scale.step.isFinite else {
                    return shapes.map { Tensor.full(.nan, shape: $0) }
                }
                var dx: Tensor?
                let wkey = key.derived("weight-gradient")
                let (dw, db): ([Float], [Float])
                if let linearCodes, n <= IntegerTraining.maxReduction {
                    let wc = GradientCodes.forWeights(gp, samples: n, channels: o, pixels: l, config: config, key: wkey)
                    (dw, db) = IntegerTraining.linearWeightGradient(activationCodes: linearCodes, activation: scale, codes: wc)
                } else if let packed = GradientCodes.forWeightsPacked(gp, samples: n, channels: o, pixels: l, config: config, key: wkey, range: range,
                                                                      rowRanges: channelRanges) {
                    (dw, db) = IntegerTraining.weightGradient(columns: columns, k: k, activation: scale, codes: packed)
                } else {
                    let wc = GradientCodes.forWeights(gp, samples: n, channels: o, pixels: l, config: config, key: wkey)
                    (dw, db) = IntegerTraining.weightGradient(columns: columns, k: k, activation: scale, codes: wc)
                }
                if needsInput, let fusedInputGradient {
                    dx = fusedInputGradient(gp, weights, key.derived("input-gradient"), channelRanges)
                } else if needsInput {
                    let (xc, transform) = GradientCodes.forInputs(gp, samples: n, channels: o, pixels: l, weightSteps: steps, config: config,
                                                                  key: key.derived("input-gradient"))
                    var dxValues = inputGradient(xc, weights)
                    if let transform {
                        var mixed = [Float](repeating: 0, count: dxValues.count)
                        dxValues.withUnsafeBufferPointer { src in
                            mixed.withUnsafeMutableBufferPointer { transform.applyInverse(src, cols: src.count / n, into: $0) }
                        }
                        dxValues = mixed
                    }
                    dx = Tensor(shape: inputShape, scalars: dxValues)
                }
                var grads: [Tensor?] = [dx, Tensor(shape: weightShape, scalars: dw)]
                if hasBias { grads.append(Tensor(shape: [o], scalars: db)) }
                return grads
            }
        }
    }
}
