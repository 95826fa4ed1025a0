import FoedusKernels
import FoedusNN
import FoedusTensor

/// Quantized training simulated in float: the forward pass uses the dequantized codes of
/// ``IntegerTrainingArithmetic`` (same quantizers, same rounding) through the float kernels.
///
/// - `quantizeGradients == false`: quantization-aware training (QAT) — straight-through
///   gradients, the backward pass in float.
/// - `quantizeGradients == true`: the float oracle of FQT — the output gradient is quantized
///   by the same ``GradientCodes`` with the same random keys and dequantized, and the float
///   convolution/matmul pullbacks compute ∇W and ∇X from it. The integer path equals this up
///   to float rounding.
public struct FakeQuantizedArithmetic: LayerArithmetic {
    public let config: QuantizedTraining
    public let quantizeGradients: Bool

    public init(_ config: QuantizedTraining, quantizeGradients: Bool) {
        self.config = config
        self.quantizeGradients = quantizeGradients
    }

    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry, mode: Mode, key: RandomKey?) -> Tensor {
        let g = geometry.window(input: x.shape, weight: weight.shape, layer: "fake-quant.conv2d")
        let op: @Sendable (Tensor, Tensor, Tensor?) -> Tensor = { a, w, b in
            Tensor.conv2d(a, weight: w, bias: b, stride: geometry.stride, padding: geometry.padding, dilation: geometry.dilation)
        }
        return layer("fake-quant.conv2d", x: x, weight: weight, bias: bias, pixels: g.outHeight * g.outWidth, mode: mode, key: key, op: op)
    }

    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, mode: Mode, key: RandomKey?) -> Tensor {
        precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1], "[fake-quant.linear] input \(x.shape) does not match weight \(weight.shape)")
        return layer("fake-quant.linear", x: x, weight: weight, bias: bias, pixels: 1, mode: mode, key: key) { a, w, b in
            Tensor.linear(a, weight: w, bias: b)
        }
    }

    private func layer(_ name: String, x: Tensor, weight: Tensor, bias: Tensor?, pixels l: Int, mode: Mode, key: RandomKey?,
                       op: @escaping @Sendable (Tensor, Tensor, Tensor?) -> Tensor) -> Tensor {
        let ops = QuantizedOperands(x: x, weight: weight, config: config, layer: name)
        let xq = ops.dequantizedInput(shape: x.shape), wq = ops.dequantizedWeight(shape: weight.shape)
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        guard mode == .train, inputs.contains(where: \.isTracked) else { return op(xq, wq, bias?.detached).detached }
        guard quantizeGradients else {
            // Straight-through: the value of the quantized operands, the gradient of the float ones.
            return op(x + (xq - x.detached), weight + (wq - weight.detached), bias)
        }
        guard let key else { preconditionFailure("[\(name)] fully quantized training needs a random key in the layer context") }
        let value = op(xq, wq, bias?.detached).detached
        let config = self.config, steps = ops.weightSteps, activationStep = ops.scale.step, o = ops.outChannels, n = x.shape[0]
        let hasBias = bias != nil
        let shapes = inputs.map(\.shape)
        return Tensor.customOperation(name, inputs: inputs, value: value) { cotangent in
            let shape = cotangent.shape
            let g = cotangent.scalars(as: Float.self)
            // The gradient quantizers need finite ranges; a diverged step passes NaN on.
            if !g.allSatisfy(\.isFinite) || !steps.allSatisfy(\.isFinite) || !activationStep.isFinite { return shapes.map { Tensor.full(.nan, shape: $0) } }
            // ∇W and ∇b from the weight-gradient codes, [N·L, O] back to the output's layout.
            let wc = g.withUnsafeBufferPointer { GradientCodes.forWeights($0, samples: n, channels: o, pixels: l, config: config, key: key.derived("weight-gradient")) }
            let wDeq = wc.dequantized()
            var gw = [Float](repeating: 0, count: g.count), db = [Float](repeating: 0, count: o)
            for s in 0..<n {
                for c in 0..<o {
                    for p in 0..<l {
                        let v = wDeq[(s * l + p) * o + c]
                        gw[(s * o + c) * l + p] = v
                        db[c] += v
                    }
                }
            }
            let dw = valueAndPullback(of: { t in op(t[0], t[1], nil) }, at: [xq, wq], cotangent: Tensor(shape: shape, scalars: gw)).pullback[1]
            var dx: Tensor?
            if x.isTracked {
                let (xc, transform) = g.withUnsafeBufferPointer {
                    GradientCodes.forInputs($0, samples: n, channels: o, pixels: l, weightSteps: steps, config: config, key: key.derived("input-gradient"))
                }
                var gx = xc.dequantized()
                if let transform {
                    var mixed = [Float](repeating: 0, count: gx.count)
                    gx.withUnsafeBufferPointer { src in mixed.withUnsafeMutableBufferPointer { transform.applyInverse(src, cols: o * l, into: $0) } }
                    gx = mixed
                }
                for s in 0..<n {
                    for c in 0..<o {
                        for p in 0..<l { gx[(s * o + c) * l + p] /= steps[c] }
                    }
                }
                dx = valueAndPullback(of: { t in op(t[0], t[1], nil) }, at: [xq, wq], cotangent: Tensor(shape: shape, scalars: gx)).pullback[0]
            }
            var grads: [Tensor?] = [dx, dw]
            if hasBias { grads.append(Tensor(shape: [o], scalars: db)) }
            return grads
        }
    }
}
