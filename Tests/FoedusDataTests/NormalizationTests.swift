import FoedusData
import XCTest

/// Normalisation. Oracle: the formula `(Float(x) / 255 − mean) / std` evaluated independently
/// in the test with the published constants (exact Float equality), and a Float64 evaluation
/// within 1e-6 (a few Float ulps of values ≤ 3 in magnitude).
final class NormalizationTests: XCTestCase {
    func testPresetsHoldThePublishedConstants() throws {
        XCTAssertEqual(Normalization.fashionMNIST, Normalization(mean: [0.2860], std: [0.3530]))
        XCTAssertEqual(Normalization.mnist, Normalization(mean: [0.1307], std: [0.3081]))
        XCTAssertEqual(Normalization.cifar10, Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616]))
        XCTAssertEqual(try Normalization.preset(for: "fashion-mnist"), .fashionMNIST)
        XCTAssertEqual(try Normalization.preset(for: "mnist"), .mnist)
        XCTAssertEqual(try Normalization.preset(for: "emnist-balanced"), .mnist)
        XCTAssertEqual(try Normalization.preset(for: "CIFAR10"), .cifar10)
        assertThrows(.unknownDataset(name: "svhn", known: DatasetCatalog.knownNames)) { try Normalization.preset(for: "svhn") }
    }

    func testLookupTableMatchesTheFormulaExactly() {
        let n = Normalization.cifar10
        let table = n.lookupTable()
        XCTAssertEqual(table.count, 3 * 256)
        let means: [Float] = [0.4914, 0.4822, 0.4465], stds: [Float] = [0.2470, 0.2435, 0.2616]
        for c in 0..<3 {
            for x in 0..<256 {
                let expected = (Float(x) / 255 - means[c]) / stds[c]
                XCTAssertEqual(table[c * 256 + x], expected)
                XCTAssertEqual(n.normalize(UInt8(x), channel: c), expected)
                let reference = (Double(x) / 255 - Double(means[c])) / Double(stds[c])
                XCTAssertEqual(Double(table[c * 256 + x]), reference, accuracy: 1e-6)
            }
        }
    }

    func testFashionMNISTEndPoints() {
        // 0 ↦ −0.2860/0.3530 ≈ −0.81020, 255 ↦ 0.7140/0.3530 ≈ 2.02266 (Float64 oracle).
        XCTAssertEqual(Double(Normalization.fashionMNIST.normalize(0, channel: 0)), -0.2860 / 0.3530, accuracy: 1e-6)
        XCTAssertEqual(Double(Normalization.fashionMNIST.normalize(255, channel: 0)), 0.7140 / 0.3530, accuracy: 1e-6)
    }

    func testFittingComputesPopulationStatistics() {
        // Channel 0 holds bytes {0, 255} ⇒ mean 0.5, std 0.5; channel 1 holds {51, 51, 102, 102}
        // ⇒ mean 76.5/255 = 0.3, std 25.5/255 = 0.1.
        let dataset = Dataset(name: "toy", images: [0, 255, 51, 102, 255, 0, 51, 102], labels: [0, 1],
                              channels: 2, height: 1, width: 2, classes: 2)
        let fitted = Normalization(fitting: dataset)
        XCTAssertEqual(Double(fitted.mean[0]), 0.5, accuracy: 1e-7)
        XCTAssertEqual(Double(fitted.std[0]), 0.5, accuracy: 1e-7)
        XCTAssertEqual(Double(fitted.mean[1]), 0.3, accuracy: 1e-7)
        XCTAssertEqual(Double(fitted.std[1]), 0.1, accuracy: 1e-7)
        XCTAssertEqual(Normalization.unitRange(channels: 2).lookupTable()[256 + 51], Float(51) / 255)
    }
}
