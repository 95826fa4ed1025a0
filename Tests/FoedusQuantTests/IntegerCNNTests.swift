import Foundation
import XCTest
import FoedusKernels
import FoedusNN
import FoedusTensor
@testable import FoedusQuant

final class QuantizerTests: XCTestCase {
    func testPerChannelScalesAndRoundingError() {
        // Oracle: analytic. Rows with different ranges (one all-zero) get their own scale
        // max|w|/127, and every value is reconstructed within half a step.
        let w = Tensor(shape: [3, 5], scalars: [0.5, -1.27, 0.3, 0.01, -0.2, 0, 0, 0, 0, 0, 12.7, -3.3, 6.35, 0.05, -12.0] as [Double])
        let q = Quantizer(bits: 8, granularity: .perChannel)
        let scales = q.scales(for: w)
        XCTAssertEqual(scales[0], 0.01, accuracy: 1e-15)
        XCTAssertEqual(scales[1], 1)
        XCTAssertEqual(scales[2], 0.1, accuracy: 1e-15)
        let values = q.quantize(w, scales: scales)
        XCTAssertEqual(values[1], -127)
        XCTAssertEqual(values[10], 127)
        for (i, v) in w.doubles.enumerated() {
            XCTAssertLessThanOrEqual(abs(Double(values[i]) * scales[i / 5] - v), scales[i / 5] / 2 + 1e-12)
        }
        XCTAssertEqual(Quantizer(bits: 4).qmax, 7)
        XCTAssertEqual(Quantizer(bits: 4, signed: false).qmax, 15)
        XCTAssertEqual(Quantizer(bits: 4, signed: false).quantize(Tensor([-1.0, 3.0, 100.0] as [Double]), scales: [1]), [0, 3, 15])
    }

    func testFakeQuantizeForwardsTheGridAndPassesGradientsStraightThrough() {
        let x = Tensor([0.26, -0.74, 1.5, -2.0] as [Double])
        let q = Quantizer(bits: 4)
        let y = q.fakeQuantize(x, scales: [0.25])
        XCTAssertEqual(y.doubles, [0.25, -0.75, 1.5, -1.75])  // −2/0.25 = −8 clamps to −7
        // Oracle: the straight-through estimator's gradient of Σ fakeQuant(x)·c is c.
        let c = Tensor([1.0, -2.0, 3.0, 0.5] as [Double])
        let g = gradient(of: { (q.fakeQuantize($0, scales: [0.25]) * c).sum() }, at: x)
        XCTAssertEqual(g.doubles, c.doubles)
    }

    func testRangeTrackers() {
        var minMax = RangeTracker(.minMax), ema = RangeTracker(.ema(momentum: 0.9))
        for batch in [[-1.0, 2.0], [-3.0, 1.0], [0.5, 0.7]] {
            minMax.observe(Tensor(batch))
            ema.observe(Tensor(batch))
        }
        XCTAssertEqual(minMax.minimum, -3)
        XCTAssertEqual(minMax.maximum, 2)
        XCTAssertEqual(minMax.magnitude, 3)
        // Oracle: the EMA recursion by hand.
        XCTAssertEqual(ema.minimum, 0.9 * (0.9 * -1 + 0.1 * -3) + 0.1 * 0.5, accuracy: 1e-12)
        XCTAssertEqual(ema.maximum, 0.9 * (0.9 * 2 + 0.1 * 1) + 0.1 * 0.7, accuracy: 1e-12)
    }

    func testBatchNormFoldingEqualsConvolutionThenEvalBatchNorm() {
        // Oracle: the unfolded computation in Float64; tolerance 1e-12 (rounding of two products).
        var stream = RandomStream(key: RandomKey(seed: 3))
        func random(_ shape: [Int], low: Double = -1, high: Double = 1) -> Tensor {
            var v = [Double](repeating: 0, count: shape.reduce(1, *))
            v.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: low, high: high) }
            return Tensor(shape: shape, scalars: v)
        }
        let x = random([2, 3, 7, 5]), w = random([4, 3, 3, 3]), b = random([4])
        let gamma = random([4], low: -2, high: 2), beta = random([4]), mean = random([4]), variance = random([4], low: 0.1, high: 3)
        let y = Tensor.conv2d(x, weight: w, bias: b, stride: (1, 1), padding: (1, 1))
        let shape = [1, 4, 1, 1]
        let expected = (y - mean.reshaped(shape)) / (variance.reshaped(shape) + 1e-5).sqrt() * gamma.reshaped(shape) + beta.reshaped(shape)
        let folded = BatchNormFolding.fold(weight: w, bias: b, gamma: gamma, beta: beta, mean: mean, variance: variance)
        let got = Tensor.conv2d(x, weight: folded.weight, bias: folded.bias, stride: (1, 1), padding: (1, 1))
        for (a, e) in zip(got.doubles, expected.doubles) { XCTAssertEqual(a, e, accuracy: 1e-12) }
    }
}

final class IntegerCNNTests: XCTestCase {
    static let mean = 0.2860, std = 0.3530

    /// Smooth random "images": blobs, so activations look like real ones (not white noise).
    static func pixels(_ n: Int, seed: UInt64) -> [UInt8] {
        var stream = RandomStream(key: RandomKey(seed: seed))
        var out: [UInt8] = []
        for _ in 0..<n {
            let cx = 6 + Double(stream.uniformInt(below: 16)), cy = 6 + Double(stream.uniformInt(below: 16))
            let r = 4 + Double(stream.uniformInt(below: 8)), level = 120 + Double(stream.uniformInt(below: 135))
            for y in 0..<28 {
                for x in 0..<28 {
                    let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
                    out.append(UInt8(max(0, min(255, level * max(0, 1 - d / r) + Double(stream.uniformInt(below: 20))))))
                }
            }
        }
        return out
    }

    static func normalized(_ pixels: [UInt8]) -> Tensor {
        Tensor(shape: [pixels.count / 784, 1, 28, 28], scalars: pixels.map { (Float($0) / 255 - Float(mean)) / Float(std) })
    }

    /// A float model with non-trivial normalisation parameters and statistics.
    static func floatModel(_ name: String) throws -> (Model, IntegerCNN.FloatModel) {
        let layer = try ModelCatalog.make(name)
        var state = ModelState(layer, key: RandomKey(seed: 9))
        var stream = RandomStream(key: RandomKey(seed: 10))
        func perturb(_ set: ParameterSet, low: Double, high: Double, where matches: (String) -> Bool) -> ParameterSet {
            set.replacingTensors(zip(set.names, set.tensors).map { name, t in
                guard matches(name) else { return t }
                var v = [Double](repeating: 0, count: t.scalarCount)
                v.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: low, high: high) }
                return Tensor(shape: t.shape, scalars: v).cast(to: t.dtype)
            })
        }
        state.parameters = perturb(state.parameters, low: 0.5, high: 1.5) { $0.hasSuffix("n1.weight") || $0.hasSuffix("n2.weight") }
        state.parameters = perturb(state.parameters, low: -0.3, high: 0.3) { $0.hasSuffix("n1.bias") || $0.hasSuffix("n2.bias") }
        state.buffers = perturb(state.buffers, low: -0.2, high: 0.2) { $0.hasSuffix("running_mean") }
        state.buffers = perturb(state.buffers, low: 0.05, high: 0.5) { $0.hasSuffix("running_var") }
        return (Model(layer, state: state), IntegerCNN.FloatModel(name: name, parameters: state.parameters, buffers: state.buffers, mean: mean, std: std))
    }

    func testW8A8LogitsTrackTheFloatModel() throws {
        // Oracle: the float model's logits on the same images. 8-bit weights and activations through
        // four layers: dequantized logits within 6 % of the logit range, and the same argmax on ≥ 90 %
        // of images (random weights give close logits, which real models separate more clearly).
        for name in ["cnn-gn", "cnn-bn"] {
            let (model, float) = try Self.floatModel(name)
            let calibration = Self.pixels(64, seed: 1), test = Self.pixels(48, seed: 2)
            let integer = try IntegerCNN.convert(float, precision: .w8a8, calibration: Self.normalized(calibration))
            let expected = model.predict(Self.normalized(test)).doubles
            let got = integer.logits(pixels: test, batch: 48).map { Double($0) * integer.logitScale }
            let range = expected.max()! - expected.min()!
            let worst = zip(got, expected).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 0.06 * range, "\(name): worst logit error \(worst) of range \(range)")
            let predicted = integer.predict(pixels: test, batch: 48)
            let reference = (0..<48).map { n in (0..<10).max { expected[n * 10 + $0] < expected[n * 10 + $1] }! }
            XCTAssertGreaterThanOrEqual(zip(predicted, reference).filter { $0 == $1 }.count, 43, name)
        }
    }

    func testChannelsLastInferenceEqualsTheChannelFirstTwin() throws {
        // Oracle: IntegerCNN.logitsChannelsFirst (whole-batch NCHW stages, the float model's
        // flattening), exactly. 11 images: two full chunks of 4 and a partial one.
        for name in ["cnn-gn", "cnn-bn"] {
            let (_, float) = try Self.floatModel(name)
            let calibration = Self.normalized(Self.pixels(32, seed: 1)), test = Self.pixels(11, seed: 3)
            for precision in [IntegerPrecision.w8a8, .w4a4] {
                let m = try IntegerCNN.convert(float, precision: precision, calibration: calibration)
                let expected = m.logitsChannelsFirst(pixels: test, batch: 11)
                XCTAssertEqual(m.logits(pixels: test, batch: 11), expected, "\(name) \(precision)")
                XCTAssertGreaterThan(Set(expected).count, 50, "logits vary")
            }
        }
    }

    func testFourBitVariantsUseFourBitWeightsExceptFirstAndLast() throws {
        let (_, float) = try Self.floatModel("cnn-gn")
        let calibration = Self.normalized(Self.pixels(32, seed: 1))
        for precision in [IntegerPrecision.w4a8, .w4a4] {
            let m = try IntegerCNN.convert(float, precision: precision, calibration: calibration)
            XCTAssertEqual(m.stages.map(\.weightBits), [8, 4])
            XCTAssertEqual(m.hidden.weightBits, 4)
            XCTAssertEqual(m.output.weightBits, 8)
            XCTAssertTrue(m.stages[1].weights.allSatisfy { (-7...7).contains($0) })
            XCTAssertTrue(m.hidden.weights.allSatisfy { (-7...7).contains($0) })
            XCTAssertTrue(m.stages[0].weights.contains { abs($0) > 7 })
        }
        // A4: inner activations (after ReLU) in 0…15; the last layer's input stays at 8 bits (0…255).
        let a4 = try IntegerCNN.convert(float, precision: .w4a4, calibration: calibration)
        if case .group(_, _, _, _, _) = a4.stages[0].norm {} else { XCTFail("cnn-gn should use i-GroupNorm") }
        XCTAssertEqual(a4.hidden.requantizers[0].clamp, 0...255)
        guard case .group(_, let norm, _, _, _) = a4.stages[1].norm else { return XCTFail("i-GroupNorm expected") }
        let out = norm([Int32](repeating: 5, count: 64 * 14 * 14).enumerated().map { Int32($0.offset % 97) * 300 - 9000 })
        XCTAssertEqual(out.min(), 0)
        XCTAssertLessThanOrEqual(out.max()!, 15)
    }

    func testFileRoundTripIsExactAndCorruptionIsATypedError() throws {
        for (name, precision) in [("cnn-gn", IntegerPrecision.w8a8), ("cnn-bn", .w4a8)] {
            let (_, float) = try Self.floatModel(name)
            let m = try IntegerCNN.convert(float, precision: precision, calibration: Self.normalized(Self.pixels(16, seed: 1)))
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("int-\(UUID().uuidString).safetensors").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try m.write(to: path)
            let back = try IntegerCNN.read(path: path)
            let test = Self.pixels(8, seed: 5)
            XCTAssertEqual(back.logits(pixels: test, batch: 8), m.logits(pixels: test, batch: 8), name)
            XCTAssertEqual(back.logitScale, m.logitScale)
            // int4 weights are stored packed: the 4-bit file is smaller.
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes.removeLast(100)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try IntegerCNN.read(path: path)) { error in
                guard case QuantError.badFile(let p, let reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(p, path)
                XCTAssertTrue(reason.contains("offsets") || reason.contains("exceeds"), reason)
            }
        }
    }

    func testUnsupportedModelsAreRefused() throws {
        let layer = try ModelCatalog.make("resnet20-gn", inputChannels: 1)
        let state = ModelState(layer, key: RandomKey(seed: 1))
        let float = IntegerCNN.FloatModel(name: "resnet20-gn", parameters: state.parameters, buffers: state.buffers, mean: 0.5, std: 0.5)
        XCTAssertThrowsError(try IntegerCNN.convert(float, precision: .w8a8, calibration: Tensor.zeros([1, 1, 28, 28]))) { error in
            guard case QuantError.unsupportedModel = error else { return XCTFail("\(error)") }
        }
    }
}
