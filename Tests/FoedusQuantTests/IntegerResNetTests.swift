import Foundation
import XCTest
import FoedusKernels
import FoedusNN
import FoedusTensor
@testable import FoedusQuant

final class IntegerResNetTests: XCTestCase {
    static let cifarMean = [0.4914, 0.4822, 0.4465], cifarStd = [0.2470, 0.2435, 0.2616]

    /// Smooth random images `[n, channels, size, size]`: a blob per channel plus noise.
    static func pixels(_ n: Int, channels: Int, size: Int, seed: UInt64) -> [UInt8] {
        var stream = RandomStream(key: RandomKey(seed: seed))
        var out: [UInt8] = []
        for _ in 0..<(n * channels) {
            let cx = Double(stream.uniformInt(below: size)), cy = Double(stream.uniformInt(below: size))
            let r = 2 + Double(stream.uniformInt(below: size / 2)), level = 100 + Double(stream.uniformInt(below: 155))
            for y in 0..<size {
                for x in 0..<size {
                    let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
                    out.append(UInt8(max(0, min(255, level * max(0, 1 - d / r) + Double(stream.uniformInt(below: 40))))))
                }
            }
        }
        return out
    }

    static func normalized(_ pixels: [UInt8], channels: Int, size: Int, mean: [Double], std: [Double]) -> Tensor {
        let plane = size * size
        return Tensor(shape: [pixels.count / (channels * plane), channels, size, size], scalars: pixels.enumerated().map { i, p in
            let c = (i / plane) % channels
            return (Double(p) / 255 - mean[c]) / std[c]
        })
    }

    /// A float ResNet-20 (width 8) with non-trivial norm parameters and statistics: some negative
    /// γ, shifted β, running means and variances away from 0 and 1.
    static func floatModel(_ name: String, channels: Int, size: Int) -> (Model, IntegerResNet.FloatModel) {
        let layer = ResNet20(norm: name == "resnet20-gn" ? .group : .batch, width: 8, classes: 10, groups: 4, inputChannels: channels)
        var state = ModelState(layer, key: RandomKey(seed: 21))
        var stream = RandomStream(key: RandomKey(seed: 22))
        func perturb(_ set: ParameterSet, low: Double, high: Double, where matches: (String) -> Bool) -> ParameterSet {
            set.replacingTensors(zip(set.names, set.tensors).map { name, t in
                guard matches(name) else { return t }
                var v = [Double](repeating: 0, count: t.scalarCount)
                v.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: low, high: high) }
                return Tensor(shape: t.shape, scalars: v).cast(to: t.dtype)
            })
        }
        func isNorm(_ n: String) -> Bool { n.contains("bn") || n.contains("shortcut.1") }
        state.parameters = perturb(state.parameters, low: -0.4, high: 1.5) { isNorm($0) && $0.hasSuffix(".weight") }
        state.parameters = perturb(state.parameters, low: -0.3, high: 0.3) { isNorm($0) && $0.hasSuffix(".bias") }
        state.buffers = perturb(state.buffers, low: -0.2, high: 0.2) { $0.hasSuffix("running_mean") }
        state.buffers = perturb(state.buffers, low: 0.3, high: 2) { $0.hasSuffix("running_var") }
        let mean = channels == 3 ? cifarMean : [0.2860], std = channels == 3 ? cifarStd : [0.3530]
        return (Model(layer, state: state), IntegerResNet.FloatModel(name: name, parameters: state.parameters, buffers: state.buffers,
                                                                     mean: mean, std: std, imageSize: size, groups: 4))
    }

    func testChannelsLastInferenceEqualsTheScalarTwin() throws {
        // Oracle: IntegerResNet.logitsReference (direct convolution loops, one requantizer call per
        // value, the NCHW reference i-GroupNorm, the reference GEMM), exactly. 11×11 images (odd:
        // stride 2 gives 6 then 3), 3 and 1 input channels, 10 images: a full chunk of 8 and a partial one.
        for name in ["resnet20-bn", "resnet20-gn"] {
            for (channels, precision) in [(3, IntegerPrecision.w8a8), (1, .w4a4), (3, .w4a8)] {
                let (_, float) = Self.floatModel(name, channels: channels, size: 11)
                let calibration = Self.normalized(Self.pixels(24, channels: channels, size: 11, seed: 1), channels: channels, size: 11,
                                                  mean: float.mean, std: float.std)
                let m = try IntegerResNet.convert(float, precision: precision, calibration: calibration)
                let test = Self.pixels(10, channels: channels, size: 11, seed: 3)
                let expected = m.logitsReference(pixels: test, batch: 10)
                XCTAssertEqual(m.logits(pixels: test, batch: 10), expected, "\(name) \(channels) channels \(precision)")
                XCTAssertGreaterThan(Set(expected).count, 40, "logits vary")
            }
        }
    }

    func testW8A8LogitsTrackTheFloatModel() throws {
        // Oracle: the float model's own forward pass (FoedusNN's ResNet20, eval mode) on the same
        // images. 8-bit weights and activations through 20 layers and 9 residual sums: dequantized
        // logits within 8 % of the logit range, and the same argmax on ≥ 85 % of images (random
        // weights give close logits; trained models separate them more clearly).
        for (name, channels) in [("resnet20-bn", 3), ("resnet20-gn", 3), ("resnet20-gn", 1)] {
            let size = 16
            let (model, float) = Self.floatModel(name, channels: channels, size: size)
            let calibration = Self.normalized(Self.pixels(64, channels: channels, size: size, seed: 1), channels: channels, size: size,
                                              mean: float.mean, std: float.std)
            let test = Self.pixels(40, channels: channels, size: size, seed: 2)
            let integer = try IntegerResNet.convert(float, precision: .w8a8, calibration: calibration)
            let expected = model.predict(Self.normalized(test, channels: channels, size: size, mean: float.mean, std: float.std).cast(to: .float32)).doubles
            let got = integer.logits(pixels: test, batch: 40).map { Double($0) * integer.logitScale }
            let range = expected.max()! - expected.min()!
            let worst = zip(got, expected).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 0.08 * range, "\(name)/\(channels): worst logit error \(worst) of range \(range)")
            let predicted = integer.predict(pixels: test, batch: 40)
            let reference = (0..<40).map { n in (0..<10).max { expected[n * 10 + $0] < expected[n * 10 + $1] }! }
            XCTAssertGreaterThanOrEqual(zip(predicted, reference).filter { $0 == $1 }.count, 34, "\(name)/\(channels)")
        }
    }

    func testStructurePrecisionsAndShortcuts() throws {
        let (_, float) = Self.floatModel("resnet20-gn", channels: 3, size: 11)
        let calibration = Self.normalized(Self.pixels(8, channels: 3, size: 11, seed: 1), channels: 3, size: 11, mean: float.mean, std: float.std)
        let m = try IntegerResNet.convert(float, precision: .w4a4, calibration: calibration)
        XCTAssertEqual(m.blocks.count, 9)
        XCTAssertEqual(m.inputZeroPoints, [125, 123, 114])  // round(255·mean)
        XCTAssertEqual(m.stem.weightBits, 8)
        XCTAssertEqual(m.head.weightBits, 8)
        XCTAssertTrue(m.stem.weights.contains { abs($0) > 7 })
        for b in m.blocks {
            XCTAssertEqual([b.conv1.weightBits, b.conv2.weightBits], [4, 4])
            XCTAssertTrue((b.conv1.weights + b.conv2.weights).allSatisfy { (-7...7).contains($0) })
            XCTAssertEqual(b.output.clamp, 0...15)
        }
        // Projections exactly where the shape changes (first block of stages 2 and 3), stride 2.
        let projections = m.blocks.enumerated().compactMap { i, b -> Int? in
            if case .projection(let u) = b.shortcut { XCTAssertEqual([u.kernel, u.stride, u.weightBits], [1, 2, 4]); return i }
            return nil
        }
        XCTAssertEqual(projections, [3, 6])
        XCTAssertEqual(m.blocks.map(\.conv1.outChannels), [8, 8, 8, 16, 16, 16, 32, 32, 32])
        XCTAssertEqual(m.pool.clamp, 0...255)
    }

    func testFileRoundTripIsExactAndCorruptionIsATypedError() throws {
        for (name, precision) in [("resnet20-gn", IntegerPrecision.w8a8), ("resnet20-bn", .w4a8)] {
            let (_, float) = Self.floatModel(name, channels: 3, size: 11)
            let calibration = Self.normalized(Self.pixels(8, channels: 3, size: 11, seed: 1), channels: 3, size: 11, mean: float.mean, std: float.std)
            let m = try IntegerResNet.convert(float, precision: precision, calibration: calibration)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("intres-\(UUID().uuidString).safetensors").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try m.write(to: path)
            let back = try IntegerModelFile.read(path: path)
            XCTAssertTrue(back is IntegerResNet)
            let test = Self.pixels(9, channels: 3, size: 11, seed: 5)
            XCTAssertEqual(back.logits(pixels: test, batch: 9), m.logits(pixels: test, batch: 9), name)
            XCTAssertEqual(back.modelName, name)
            XCTAssertEqual(back.inputChannels, 3)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes.removeLast(64)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try IntegerModelFile.read(path: path)) { error in
                guard case QuantError.badFile(let p, let reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(p, path)
                XCTAssertTrue(reason.contains("offsets") || reason.contains("exceeds"), reason)
            }
        }
    }

    func testStrideMismatchesInTheFileAreTypedErrors() throws {
        // A file whose block claims stride 2 without a projection names the inconsistent block; a
        // strided stem (which would shrink the image the buffers are sized for) is refused too.
        let (_, float) = Self.floatModel("resnet20-bn", channels: 1, size: 11)
        let calibration = Self.normalized(Self.pixels(8, channels: 1, size: 11, seed: 1), channels: 1, size: 11, mean: float.mean, std: float.std)
        let m = try IntegerResNet.convert(float, precision: .w8a8, calibration: calibration)
        var file = try RawTensorFile.decode(try m.encoded(), path: "x")
        file.metadata["layer1.1.conv1.stride"] = "2"
        XCTAssertThrowsError(try IntegerResNet.decode(try RawTensorFile.decode(try file.encoded(), path: "x"), path: "x")) { error in
            XCTAssertEqual(error as? QuantError, .badFile(path: "x", reason: "layer1.1 changes shape without a projection shortcut"))
        }
        file.metadata["layer1.1.conv1.stride"] = "1"
        file.metadata["conv1.stride"] = "2"
        XCTAssertThrowsError(try IntegerResNet.decode(try RawTensorFile.decode(try file.encoded(), path: "x"), path: "x")) { error in
            XCTAssertEqual(error as? QuantError, .badFile(path: "x", reason: "conv1.stride must be 1 (the stem keeps the image size)"))
        }
        file.metadata["conv1.stride"] = "1"
        XCTAssertNoThrow(try IntegerResNet.decode(try RawTensorFile.decode(try file.encoded(), path: "x"), path: "x"))
    }

    func testOtherModelsAndMismatchedNormalisationAreRefused() throws {
        let (_, float) = Self.floatModel("resnet20-bn", channels: 3, size: 11)
        var wrong = float
        wrong.mean = [0.5]
        XCTAssertThrowsError(try IntegerResNet.convert(wrong, precision: .w8a8, calibration: Tensor.zeros([1, 3, 11, 11]))) { error in
            guard case QuantError.unsupportedModel(let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("3 channels"), reason)
        }
        var cnn = float
        cnn.name = "cnn-gn"
        XCTAssertThrowsError(try IntegerResNet.convert(cnn, precision: .w8a8, calibration: Tensor.zeros([1, 3, 11, 11]))) { error in
            guard case QuantError.unsupportedModel = error else { return XCTFail("\(error)") }
        }
    }
}
