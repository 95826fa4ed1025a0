import Foundation
import XCTest
import FoedusNN
import FoedusTensor

/// Parameter and buffer names and shapes of the catalog models against the `state_dict` of the
/// equivalent PyTorch modules (`scripts/pytorch/cnn_gn.py`, `scripts/pytorch/resnet20.py`, whose
/// `named_parameters()`/`named_buffers()` these lists were checked against; PyTorch's
/// BatchNorm `num_batches_tracked` counters are the one key Foedus does not keep). Oracle: exact
/// equality of names, order and shapes; parameter counts from PyTorch.
final class ModelCatalogTests: XCTestCase {
    func shapes(_ set: ParameterSet) -> [String] { set.pairs.map { "\($0.0) \($0.1.shape)" } }

    func smallCNNParameters(_ norm: String) -> [String] {
        ["conv1.weight [32, 1, 3, 3]", "conv1.bias [32]", "\(norm)1.weight [32]", "\(norm)1.bias [32]",
         "conv2.weight [64, 32, 3, 3]", "conv2.bias [64]", "\(norm)2.weight [64]", "\(norm)2.bias [64]",
         "fc1.weight [128, 3136]", "fc1.bias [128]", "fc2.weight [10, 128]", "fc2.bias [10]"]
    }

    func testCNNGroupNormMatchesPyTorchStateDict() throws {
        let state = ModelState(try ModelCatalog.make("cnn-gn"), key: RandomKey(seed: 1))
        XCTAssertEqual(shapes(state.parameters), smallCNNParameters("gn"))
        XCTAssertTrue(state.buffers.isEmpty)
        XCTAssertEqual(state.parameters.scalarCount, 421_834)
        XCTAssertTrue(state.parameters.tensors.allSatisfy { $0.dtype == .float32 })
    }

    func testCNNBatchNormMatchesPyTorchStateDict() throws {
        let state = ModelState(try ModelCatalog.make("cnn-bn"), key: RandomKey(seed: 1))
        XCTAssertEqual(shapes(state.parameters), smallCNNParameters("bn"))
        XCTAssertEqual(shapes(state.buffers), ["bn1.running_mean [32]", "bn1.running_var [32]", "bn2.running_mean [64]", "bn2.running_var [64]"])
        XCTAssertEqual(state.parameters.scalarCount, 421_834)
        XCTAssertEqual(state.buffers["bn1.running_mean"]!.doubles, Array(repeating: 0, count: 32))
        XCTAssertEqual(state.buffers["bn2.running_var"]!.doubles, Array(repeating: 1, count: 64))
        XCTAssertEqual(state.stateDict.names, state.parameters.names + state.buffers.names)
    }

    /// PyTorch's `named_parameters()` / `named_buffers()` order for the CIFAR ResNet-20 with
    /// projection shortcuts in blocks `layer2.0` and `layer3.0`.
    func resNetNames(batchNorm: Bool, width w: Int = 16) -> (parameters: [String], buffers: [String]) {
        var parameters: [String] = [], buffers: [String] = []
        func norm(_ name: String, _ c: Int) {
            parameters += ["\(name).weight [\(c)]", "\(name).bias [\(c)]"]
            if batchNorm { buffers += ["\(name).running_mean [\(c)]", "\(name).running_var [\(c)]"] }
        }
        parameters.append("conv1.weight [\(w), 3, 3, 3]")
        norm("bn1", w)
        var inC = w
        for (s, outC) in [w, 2 * w, 4 * w].enumerated() {
            for i in 0..<3 {
                let block = "layer\(s + 1).\(i)"
                parameters.append("\(block).conv1.weight [\(outC), \(inC), 3, 3]")
                norm("\(block).bn1", outC)
                parameters.append("\(block).conv2.weight [\(outC), \(outC), 3, 3]")
                norm("\(block).bn2", outC)
                if inC != outC {
                    parameters.append("\(block).shortcut.0.weight [\(outC), \(inC), 1, 1]")
                    norm("\(block).shortcut.1", outC)
                }
                inC = outC
            }
        }
        parameters += ["linear.weight [10, \(4 * w)]", "linear.bias [10]"]
        return (parameters, buffers)
    }

    func testResNet20MatchesPyTorchStateDict() throws {
        for (name, batchNorm) in [("resnet20-gn", false), ("resnet20-bn", true)] {
            // The PyTorch reference is the CIFAR variant: 3 input channels.
            let state = ModelState(try ModelCatalog.make(name, inputChannels: 3), key: RandomKey(seed: 1))
            let expected = resNetNames(batchNorm: batchNorm)
            XCTAssertEqual(shapes(state.parameters), expected.parameters, name)
            XCTAssertEqual(shapes(state.buffers), expected.buffers, name)
            XCTAssertEqual(state.parameters.count, 65, name)
            XCTAssertEqual(state.parameters.scalarCount, 272_474, name)
            XCTAssertEqual(state.buffers.count, batchNorm ? 42 : 0, name)
        }
    }

    /// Every catalog model against `Fixtures/pytorch-state-dicts.tsv`, written by PyTorch itself
    /// (`scripts/pytorch/dump_state_dicts.py`). PyTorch interleaves each module's parameters and
    /// buffers; Foedus lists parameters, then buffers: each order is compared separately.
    func testAllModelsMatchStateDictsWrittenByPyTorch() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/pytorch-state-dicts.tsv").path
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        for name in ModelCatalog.names {
            let entries = rows.filter { $0[0] == name }.map { "\($0[1]) [\($0[2].split(separator: ",").joined(separator: ", "))]" }
            XCTAssertFalse(entries.isEmpty, name)
            let isBuffer = { (entry: String) in entry.contains(".running_") }
            let state = ModelState(try ModelCatalog.make(name, inputChannels: name.hasPrefix("resnet") ? 3 : 1), key: RandomKey(seed: 1))
            XCTAssertEqual(shapes(state.parameters), entries.filter { !isBuffer($0) }, name)
            XCTAssertEqual(shapes(state.buffers), entries.filter(isBuffer), name)
        }
    }

    func testUnknownModelThrowsWithTheKnownNames() {
        assertThrows(.unknownModel(name: "vgg", known: ["cnn-gn", "cnn-bn", "resnet20-gn", "resnet20-bn"])) { try ModelCatalog.make("vgg") }
    }

    /// Both catalog CNNs map a batch of 28×28 images to 10 logits; the ResNets map 32×32×3.
    func testForwardShapes() throws {
        let images = Tensor.random(.normal(mean: 0, std: 1), shape: [2, 1, 28, 28], key: RandomKey(seed: 4))
        for name in ["cnn-gn", "cnn-bn"] {
            let model = Model(try ModelCatalog.make(name), key: RandomKey(seed: 1))
            XCTAssertEqual(model.predict(images).shape, [2, 10], name)
        }
        let colour = Tensor.random(.normal(mean: 0, std: 1), shape: [2, 3, 32, 32], key: RandomKey(seed: 4))
        let resnet = Model(try ModelCatalog.make("resnet20-gn", inputChannels: 3), key: RandomKey(seed: 1))
        XCTAssertEqual(resnet.predict(colour).shape, [2, 10])
        // The same architecture on grayscale Fashion-MNIST (any image size: the head pools globally).
        let gray = Model(try ModelCatalog.make("resnet20-bn", inputChannels: 1), key: RandomKey(seed: 1))
        XCTAssertEqual(gray.predict(images).shape, [2, 10])
    }
}
