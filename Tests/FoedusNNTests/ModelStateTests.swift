import XCTest
import FoedusNN
import FoedusTensor

/// Loading state dicts into catalog models (each failure throws its specific ``FoedusNNError``),
/// safetensors persistence of trained models, and deterministic initialisation. Oracle: exact
/// equality — error values, names, and bit patterns of every tensor and prediction.
final class ModelStateTests: XCTestCase {
    func fresh(_ name: String, seed: UInt64 = 1) throws -> ModelState {
        ModelState(try ModelCatalog.make(name), key: RandomKey(seed: seed))
    }

    func bits(_ set: ParameterSet) -> [String: [UInt64]] {
        Dictionary(uniqueKeysWithValues: set.pairs.map { ($0.0, $0.1.doubles.map(\.bitPattern)) })
    }

    // MARK: Loading

    func testLoadingACompleteStateDictReturnsItsTensors() throws {
        let source = try fresh("cnn-bn", seed: 2)
        let loaded = try fresh("cnn-bn", seed: 1).loading(source.stateDict)
        XCTAssertEqual(bits(loaded.stateDict), bits(source.stateDict))
        XCTAssertEqual(loaded.parameters.names, source.parameters.names)
        XCTAssertEqual(loaded.buffers.names, source.buffers.names)
    }

    func testMissingTensorThrows() throws {
        let target = try fresh("cnn-gn")
        var dict = target.stateDict
        dict.remove("fc1.bias")
        assertThrows(.missingTensor(name: "fc1.bias")) { try target.loading(dict) }

        let bn = try fresh("cnn-bn")
        var noBuffer = bn.stateDict
        noBuffer.remove("bn2.running_var")
        assertThrows(.missingTensor(name: "bn2.running_var")) { try bn.loading(noBuffer) }
    }

    func testExtraTensorThrows() throws {
        let target = try fresh("cnn-gn")
        var dict = target.stateDict
        dict.append("fc3.weight", .zeros([2, 2]))
        assertThrows(.unexpectedTensor(name: "fc3.weight")) { try target.loading(dict) }
        // A batch-norm model's weights do not fit the group-norm model.
        assertThrows(.unexpectedTensor(name: "bn1.weight")) { try target.loading(try self.fresh("cnn-bn").stateDict) }
    }

    func testWrongShapeThrows() throws {
        let target = try fresh("cnn-gn")
        var dict = target.stateDict
        dict["fc2.weight"] = .zeros([10, 127])
        assertThrows(.shapeMismatch(name: "fc2.weight", expected: [10, 128], found: [10, 127])) { try target.loading(dict) }
    }

    func testWrongDTypeThrows() throws {
        let target = try fresh("cnn-gn")
        var dict = target.stateDict
        dict["gn1.bias"] = .zeros([32], dtype: .float64)
        assertThrows(.dtypeMismatch(name: "gn1.bias", expected: .float32, found: .float64)) { try target.loading(dict) }
    }

    // MARK: Persistence

    /// Two SGD steps, so parameters, momentum-moved weights and batch-norm running statistics all
    /// differ from their initial values.
    func trained(_ name: String) throws -> Model {
        var model = Model(try ModelCatalog.make(name), key: RandomKey(seed: 5))
        var optimizer = SGD(learningRate: 0.05, momentum: 0.9)
        for step in 0..<2 {
            let x = Tensor.random(.normal(mean: 0, std: 1), shape: [8, 1, 28, 28], key: RandomKey(seed: 100 + UInt64(step)))
            let labels = Tensor(shape: [8], scalars: (0..<8).map { Int32(($0 + step) % 10) })
            model.trainStep(x: x, labels: labels, optimizer: &optimizer)
        }
        return model
    }

    func testSafeTensorsRoundTripOfATrainedModelIsBitExact() throws {
        let directory = try makeTemporaryDirectory("model-state")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let images = Tensor.random(.normal(mean: 0, std: 1), shape: [6, 1, 28, 28], key: RandomKey(seed: 77))
        for name in ["cnn-gn", "cnn-bn"] {
            let model = try trained(name)
            let initial = try fresh(name, seed: 5)
            XCTAssertNotEqual(bits(model.state.parameters)["fc1.weight"], bits(initial.parameters)["fc1.weight"], "\(name) trained")
            if name == "cnn-bn" {
                XCTAssertNotEqual(bits(model.state.buffers)["bn1.running_var"], bits(initial.buffers)["bn1.running_var"], "running statistics updated")
            }
            let path = directory + "/\(name).safetensors"
            try SafeTensors.write(model.state.stateDict, metadata: ["model": name], to: path)
            let (tensors, metadata) = try SafeTensors.read(path: path)
            XCTAssertEqual(metadata["model"], name)
            let restored = Model(model.layer, state: try fresh(name, seed: 9).loading(tensors))
            XCTAssertEqual(bits(restored.state.stateDict), bits(model.state.stateDict), name)
            XCTAssertEqual(restored.predict(images).scalars(as: Float.self).map(\.bitPattern),
                           model.predict(images).scalars(as: Float.self).map(\.bitPattern), "\(name) predictions")
        }
    }

    // MARK: Initialisation

    func testInitialisationIsDeterministicInTheKey() throws {
        for name in ModelCatalog.names {
            let a = try fresh(name, seed: 3), b = try fresh(name, seed: 3), c = try fresh(name, seed: 4)
            XCTAssertEqual(bits(a.stateDict), bits(b.stateDict), "\(name): same key, same state")
            for (weight, tensor) in a.parameters.pairs where weight.hasSuffix("conv1.weight") || weight.hasSuffix("linear.weight") || weight.hasSuffix("fc2.weight") {
                XCTAssertNotEqual(tensor.doubles, c.parameters[weight]!.doubles, "\(name) \(weight): another key, other values")
            }
        }
        // Each parameter draws from the key derived from its own name, so models that share a
        // parameter name share its initial value.
        XCTAssertEqual(bits(try fresh("cnn-gn", seed: 3).parameters)["conv1.weight"], bits(try fresh("cnn-bn", seed: 3).parameters)["conv1.weight"])
    }

    /// PyTorch's defaults: conv/linear uniform within `1/√fanIn`, norm weights 1 and biases 0.
    func testInitialValuesFollowPyTorchDefaults() throws {
        let state = try fresh("cnn-gn")
        let bounds = ["conv1": 1 / 3.0, "conv2": 1 / (32.0 * 9).squareRoot(), "fc1": 1 / 3136.0.squareRoot(), "fc2": 1 / 128.0.squareRoot()]
        for (layer, bound) in bounds {
            for suffix in [".weight", ".bias"] {
                let values = state.parameters[layer + suffix]!.doubles
                XCTAssertTrue(values.allSatisfy { abs($0) <= bound }, "\(layer + suffix) within ±\(bound)")
            }
        }
        XCTAssertEqual(state.parameters["gn2.weight"]!.doubles, Array(repeating: 1, count: 64))
        XCTAssertEqual(state.parameters["gn2.bias"]!.doubles, Array(repeating: 0, count: 64))
    }
}
