import FoedusKernels
import FoedusTensor

/// Which part of an operation a measurement covers.
enum Pass: String, CaseIterable {
    /// The op alone.
    case forward = "fwd"
    /// The op plus its full VJP: cotangents for the input and the weight.
    case forwardBackward = "fwd+bwd"

    /// How many forward passes' worth of arithmetic the pass does (each backward GEMM or
    /// convolution costs what the forward does).
    var flopMultiplier: Double { self == .forward ? 1 : 3 }
}

/// How a measurement runs an operation.
enum Implementation: String, CaseIterable {
    /// Through `Tensor` and its autodiff.
    case tensor
    /// `DNNLKernels` calls on buffers allocated once.
    case direct
    /// `DNNLKernels` calls writing into output buffers allocated for the call and freed after
    /// it, as the tensor layer does: separates allocation and cache effects from bookkeeping.
    case directFreshOutputs = "direct-fresh"
}

/// A 64-byte-aligned Float buffer owned by the direct (oneDNN-only) path.
final class AlignedFloats {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// Allocates `count` floats, zeroed unless `zeroed` is false (then, like tensor storage,
    /// the memory is left as the allocator returns it).
    init(count: Int, zeroed: Bool = true) {
        self.count = count
        // The same allocation call and alignment as TensorStorage.
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    /// A copy of `tensor`'s elements, so both paths read identical inputs.
    convenience init(copying tensor: Tensor) {
        self.init(count: tensor.scalarCount)
        tensor.withUnsafeBufferPointer(as: Float.self) { source in
            pointer.update(from: source.baseAddress!, count: count)
        }
    }

    deinit { pointer.deallocate() }
}

/// One operation of the reference CNN at its training shape, runnable through the tensor layer
/// or directly on oneDNN with preallocated buffers. Both paths do the same kernel calls.
protocol OperationBenchmark: AnyObject {
    /// Short name, e.g. `conv2`.
    var name: String { get }
    /// Operand shapes, e.g. `x 64x32x14x14, w 64x32x3x3, pad 1`.
    var shapeDescription: String { get }
    /// Floating-point operations of one forward pass (2 per multiply-add).
    var forwardFlops: Double { get }
    /// Runs `pass` through `Tensor` and its autodiff; returns a value read from every result.
    func runTensor(_ pass: Pass) -> Float
    /// Runs `pass` as bare `DNNLKernels` calls; returns a value read from every result. With
    /// `freshOutputs`, results go to buffers allocated for this call only.
    func runDirect(_ pass: Pass, freshOutputs: Bool) -> Float
}

extension OperationBenchmark {
    /// Runs `pass` the way `implementation` says.
    func run(_ implementation: Implementation, _ pass: Pass) -> Float {
        switch implementation {
        case .tensor: runTensor(pass)
        case .direct: runDirect(pass, freshOutputs: false)
        case .directFreshOutputs: runDirect(pass, freshOutputs: true)
        }
    }
}

@inline(__always)
private func firstElement(_ tensor: Tensor) -> Float {
    tensor.withUnsafeBufferPointer(as: Float.self) { $0[0] }
}

/// `conv2d(x, w)` without bias, stride 1, symmetric padding.
final class ConvolutionBenchmark: OperationBenchmark {
    let name: String
    let shapeDescription: String
    let forwardFlops: Double
    private let padding: Int
    private let geometry: Conv2DGeometry
    private let x, w, gy: Tensor
    private let xBuffer, wBuffer, gyBuffer, yBuffer, gxBuffer, gwBuffer: AlignedFloats

    init(name: String, input: [Int], weight: [Int], padding: Int, key: RandomKey) {
        self.name = name
        self.padding = padding
        geometry = Conv2DGeometry(batch: input[0], inChannels: input[1], height: input[2], width: input[3],
                                  outChannels: weight[0], kernelH: weight[2], kernelW: weight[3],
                                  padH: padding, padW: padding)
        precondition(geometry.isValid, "\(name): \(geometry.validationError ?? "")")
        shapeDescription = "x \(input.map(String.init).joined(separator: "x")), w \(weight.map(String.init).joined(separator: "x")), pad \(padding)"
        forwardFlops = 2 * Double(geometry.multiplyAdds)
        let output = [geometry.batch, geometry.outChannels, geometry.outHeight, geometry.outWidth]
        x = Tensor.random(.normal(mean: 0, std: 1), shape: input, key: key.derived("x"))
        w = Tensor.random(.normal(mean: 0, std: 0.1), shape: weight, key: key.derived("w"))
        gy = Tensor.random(.normal(mean: 0, std: 1), shape: output, key: key.derived("gy"))
        xBuffer = AlignedFloats(copying: x)
        wBuffer = AlignedFloats(copying: w)
        gyBuffer = AlignedFloats(copying: gy)
        yBuffer = AlignedFloats(count: geometry.outputCount)
        gxBuffer = AlignedFloats(count: geometry.inputCount)
        gwBuffer = AlignedFloats(count: geometry.weightCount)
    }

    func runTensor(_ pass: Pass) -> Float {
        let pad = (padding, padding)
        switch pass {
        case .forward:
            return firstElement(Tensor.conv2d(x, weight: w, padding: pad))
        case .forwardBackward:
            let (y, grads) = valueAndPullback(of: { Tensor.conv2d($0[0], weight: $0[1], padding: pad) },
                                              at: [x, w], cotangent: gy)
            return firstElement(y) + firstElement(grads[0]) + firstElement(grads[1])
        }
    }

    func runDirect(_ pass: Pass, freshOutputs: Bool) -> Float {
        guard freshOutputs else { return direct(pass, y: yBuffer, gx: gxBuffer, gw: gwBuffer) }
        let backward = pass == .forwardBackward
        return direct(pass, y: AlignedFloats(count: geometry.outputCount, zeroed: false),
                      gx: backward ? AlignedFloats(count: geometry.inputCount, zeroed: false) : gxBuffer,
                      gw: backward ? AlignedFloats(count: geometry.weightCount, zeroed: false) : gwBuffer)
    }

    private func direct(_ pass: Pass, y: AlignedFloats, gx: AlignedFloats, gw: AlignedFloats) -> Float {
        DNNLKernels.conv2dForward(x: xBuffer.pointer, w: wBuffer.pointer, y: y.pointer, geometry: geometry)
        guard pass == .forwardBackward else { return y.pointer[0] }
        DNNLKernels.conv2dBackwardData(gradOutput: gyBuffer.pointer, w: wBuffer.pointer, gradInput: gx.pointer,
                                       geometry: geometry)
        DNNLKernels.conv2dBackwardWeights(x: xBuffer.pointer, gradOutput: gyBuffer.pointer, gradWeight: gw.pointer,
                                          geometry: geometry)
        return y.pointer[0] + gx.pointer[0] + gw.pointer[0]
    }
}

/// A bias-free linear layer `y = x·wᵀ`, `x` `[batch, in]`, `w` `[out, in]` (PyTorch's layout).
final class LinearBenchmark: OperationBenchmark {
    let name: String
    let shapeDescription: String
    let forwardFlops: Double
    private let batch, inputs, outputs: Int
    private let x, w, gy: Tensor
    private let xBuffer, wBuffer, gyBuffer, yBuffer, gxBuffer, gwBuffer: AlignedFloats

    init(name: String, batch: Int, inputs: Int, outputs: Int, key: RandomKey) {
        self.name = name
        self.batch = batch
        self.inputs = inputs
        self.outputs = outputs
        shapeDescription = "x \(batch)x\(inputs), w \(outputs)x\(inputs) (x·wᵀ)"
        forwardFlops = 2 * Double(batch * inputs * outputs)
        x = Tensor.random(.normal(mean: 0, std: 1), shape: [batch, inputs], key: key.derived("x"))
        w = Tensor.random(.normal(mean: 0, std: 0.05), shape: [outputs, inputs], key: key.derived("w"))
        gy = Tensor.random(.normal(mean: 0, std: 1), shape: [batch, outputs], key: key.derived("gy"))
        xBuffer = AlignedFloats(copying: x)
        wBuffer = AlignedFloats(copying: w)
        gyBuffer = AlignedFloats(copying: gy)
        yBuffer = AlignedFloats(count: batch * outputs)
        gxBuffer = AlignedFloats(count: batch * inputs)
        gwBuffer = AlignedFloats(count: outputs * inputs)
    }

    func runTensor(_ pass: Pass) -> Float {
        switch pass {
        case .forward:
            return firstElement(Tensor.matmul(x, w, transposeA: false, transposeB: true))
        case .forwardBackward:
            let (y, grads) = valueAndPullback(of: { Tensor.matmul($0[0], $0[1], transposeA: false, transposeB: true) },
                                              at: [x, w], cotangent: gy)
            return firstElement(y) + firstElement(grads[0]) + firstElement(grads[1])
        }
    }

    func runDirect(_ pass: Pass, freshOutputs: Bool) -> Float {
        guard freshOutputs else { return direct(pass, y: yBuffer, gx: gxBuffer, gw: gwBuffer) }
        let backward = pass == .forwardBackward
        return direct(pass, y: AlignedFloats(count: batch * outputs, zeroed: false),
                      gx: backward ? AlignedFloats(count: batch * inputs, zeroed: false) : gxBuffer,
                      gw: backward ? AlignedFloats(count: outputs * inputs, zeroed: false) : gwBuffer)
    }

    private func direct(_ pass: Pass, y: AlignedFloats, gx: AlignedFloats, gw: AlignedFloats) -> Float {
        // The same three GEMMs (same oneDNN primitives) the tensor layer's matmul VJP issues.
        DNNLKernels.matmul(a: xBuffer.pointer, b: wBuffer.pointer, c: y.pointer,
                           batch: 1, m: batch, n: outputs, k: inputs, transposeB: true)
        guard pass == .forwardBackward else { return y.pointer[0] }
        // gx = gy · w: [batch, out] × [out, in].
        DNNLKernels.matmul(a: gyBuffer.pointer, b: wBuffer.pointer, c: gx.pointer,
                           batch: 1, m: batch, n: inputs, k: outputs)
        // gw = gyᵀ · x: [out, batch] × [batch, in].
        DNNLKernels.matmul(a: gyBuffer.pointer, b: xBuffer.pointer, c: gw.pointer,
                           batch: 1, m: outputs, n: inputs, k: batch, transposeA: true)
        return y.pointer[0] + gx.pointer[0] + gw.pointer[0]
    }
}

/// The convolution and linear layers of the reference CNN (`cnn-gn`) on 28×28 inputs.
func referenceCNNOperations(batch: Int) -> [OperationBenchmark] {
    let key = RandomKey(seed: 20_240_601)
    return [
        ConvolutionBenchmark(name: "conv1", input: [batch, 1, 28, 28], weight: [32, 1, 3, 3], padding: 1, key: key.derived("conv1")),
        ConvolutionBenchmark(name: "conv2", input: [batch, 32, 14, 14], weight: [64, 32, 3, 3], padding: 1, key: key.derived("conv2")),
        LinearBenchmark(name: "fc1", batch: batch, inputs: 3136, outputs: 128, key: key.derived("fc1")),
        LinearBenchmark(name: "fc2", batch: batch, inputs: 128, outputs: 10, key: key.derived("fc2")),
    ]
}
