import XCTest
import Foedus
import FoedusQuant

final class ConfigTests: XCTestCase {
    let yaml = """
    name: test
    seed: 3
    data:
      dataset: fashion-mnist
      partition: {kind: ssfl, K: 10, R: 0.4, Ns: 1000}
    model: {name: cnn-gn}
    federation: {method: grouping, objective: crl, rounds: 20, local_steps: 8, groups: 2}
    training: {lr: 0.05}
    """

    func testParsesAndAppliesOverrides() throws {
        let c = try SimulationConfig.parse(yaml: yaml, overrides: ["data.partition.R=0.8", "federation.method=fedavg", "run.workers=1"])
        XCTAssertEqual(c.nonIID, 0.8)
        XCTAssertEqual(c.method, .fedavg)
        XCTAssertEqual(c.workers, 1)
        XCTAssertEqual(c.rounds, 20)
        XCTAssertEqual(c.clientsPerRound, 10)
        XCTAssertEqual(c.seed, 3)
    }

    func testUnknownFieldIsRejectedWithItsPath() {
        XCTAssertThrowsError(try SimulationConfig.parse(yaml: yaml + "\nfederation2: 1\n")) { error in
            guard case FoedusError.unknownConfigField(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "federation2")
        }
        XCTAssertThrowsError(try SimulationConfig.parse(yaml: yaml, overrides: ["data.partition.RR=0.1"])) { error in
            guard case FoedusError.unknownConfigField(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "data.partition.RR")
        }
    }

    func testInvalidValuesNameTheField() {
        for (override, field) in [("data.partition.R=1.5", "data.partition.R"), ("federation.rounds=0", "federation.rounds"),
                                  ("federation.method=magic", "federation.method"), ("training.lr=fast", "training.lr"),
                                  ("federation.groups=11", "federation.groups")] {
            XCTAssertThrowsError(try SimulationConfig.parse(yaml: yaml, overrides: [override]), override) { error in
                guard case FoedusError.invalidConfig(let path, _) = error else { return XCTFail("\(override): \(error)") }
                XCTAssertEqual(path, field)
            }
        }
        XCTAssertThrowsError(try SimulationConfig.parse(yaml: "a: [1, 2")) { error in
            guard case FoedusError.malformedConfig = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try SimulationConfig.parse(yaml: yaml, overrides: ["novalue"])) { error in
            guard case FoedusError.invalidOverride = error else { return XCTFail("\(error)") }
        }
    }

    func testStrongAugmentationStrengthFields() throws {
        let c = try SimulationConfig.parse(yaml: yaml, overrides: ["training.augmentation.cutout=7", "training.augmentation.ops=1",
                                                                   "training.augmentation.magnitude=5"])
        XCTAssertEqual(c.cutoutSize, 7)
        XCTAssertEqual(c.strongAugmentationSettings.operations, 1)
        XCTAssertEqual(c.strongAugmentationSettings.maxMagnitude, 5)
        XCTAssertEqual(c.strongAugmentationSettings.cutoutSize, 7)
        let defaults = try SimulationConfig.parse(yaml: yaml)
        XCTAssertNil(defaults.cutoutSize)
        XCTAssertEqual(defaults.strongAugmentationSettings.operations, 2)
        XCTAssertEqual(defaults.strongAugmentationSettings.maxMagnitude, 9)
        // Defaults add no keys to the stored configuration (its hash, hence sweeps' run matching,
        // is what it was before these fields existed); set fields appear.
        let augmentation = (defaults.dictionary["training"] as! [String: Any])["augmentation"] as! [String: Any]
        XCTAssertEqual(Set(augmentation.keys), ["weak", "flip", "strong"])
        let set = (c.dictionary["training"] as! [String: Any])["augmentation"] as! [String: Any]
        XCTAssertEqual(set["cutout"] as? Int, 7)
        XCTAssertEqual(set["ops"] as? Int, 1)
        XCTAssertEqual(set["magnitude"] as? Int, 5)
        for (override, field) in [("training.augmentation.magnitude=10", "training.augmentation.magnitude"),
                                  ("training.augmentation.cutout=-1", "training.augmentation.cutout"),
                                  ("training.augmentation.ops=x", "training.augmentation.ops")] {
            XCTAssertThrowsError(try SimulationConfig.parse(yaml: yaml, overrides: [override])) { error in
                XCTAssertTrue("\(error)".contains(field), "\(override): \(error)")
            }
        }
    }

    func testQuantizedTrainingFields() throws {
        let fp32 = try SimulationConfig.parse(yaml: yaml)
        XCTAssertEqual(fp32.userTraining.precision, .fp32)
        XCTAssertEqual(fp32.wire, "fp32")
        let fqt = try SimulationConfig.parse(yaml: yaml, overrides: ["training.precision=fqt", "training.gradient_quantizer=bhq",
                                                                     "training.gradient_bits=5", "training.weight_gradient_bits=6"])
        XCTAssertEqual(fqt.userTraining, QuantizedTraining(precision: .fqt, gradientQuantizer: .bhq, gradientBits: 5, weightGradientBits: 6))
        XCTAssertEqual(fqt.wire, "int8", "quantized clients ship integer weights by default")
        XCTAssertEqual(try SimulationConfig.parse(yaml: yaml, overrides: ["training.precision=qat", "federation.wire=fp32"]).wire, "fp32")
        for (override, field) in [("training.precision=int8", "training.precision"), ("training.gradient_bits=9", "training.gradient_bits"),
                                  ("training.gradient_quantizer=hadamard", "training.gradient_quantizer"),
                                  ("training.weight_gradient_bits=1", "training.weight_gradient_bits")] {
            XCTAssertThrowsError(try SimulationConfig.parse(yaml: yaml, overrides: [override]), override) { error in
                guard case FoedusError.invalidConfig(let path, _) = error else { return XCTFail("\(override): \(error)") }
                XCTAssertEqual(path, field)
            }
        }
    }
}
