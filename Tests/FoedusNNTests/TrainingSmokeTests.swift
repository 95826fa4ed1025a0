import Foundation
import XCTest
import FoedusNN
import FoedusTensor

/// `cnn-gn` learns a linearly separable synthetic problem in 20 SGD steps: class 0 has a bright
/// left half, class 1 a bright right half, both under N(0, 0.5²) pixel noise. Oracle: the mean
/// loss of the last 5 steps is below half the first step's loss (which is ≈ ln 10 for a fresh
/// 10-way classifier), and ≥ 95 % of 64 held-out images are classified correctly.
final class TrainingSmokeTests: XCTestCase {
    func batch(_ count: Int, seed: UInt64) -> (images: Tensor, labels: Tensor) {
        let noise = Tensor.random(.normal(mean: 0, std: 0.5), shape: [count, 1, 28, 28], key: RandomKey(seed: seed)).scalars(as: Float.self)
        let labels = (0..<count).map { Int32(($0 * 7 + Int(seed)) % 2) }
        var pixels = noise
        for i in 0..<count {
            for r in 0..<28 {
                for c in 0..<28 where (c < 14) == (labels[i] == 0) { pixels[(i * 28 + r) * 28 + c] += 1 }
            }
        }
        return (Tensor(shape: [count, 1, 28, 28], scalars: pixels), Tensor(shape: [count], scalars: labels))
    }

    func testCNNGroupNormLossDecreasesOnSeparableData() throws {
        var model = Model(try ModelCatalog.make("cnn-gn"), key: RandomKey(seed: 1))
        var optimizer = SGD(learningRate: 0.05, momentum: 0.9)
        var losses: [Double] = []
        for step in 0..<20 {
            let (x, y) = batch(16, seed: 1000 + UInt64(step))
            losses.append(model.trainStep(x: x, labels: y, optimizer: &optimizer))
        }
        XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(losses)")
        XCTAssertEqual(losses[0], Foundation.log(10.0), accuracy: 0.5, "a fresh model is near uniform")
        let tail = losses.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(tail, 0.5 * losses[0], "losses \(losses)")
        let (x, y) = batch(64, seed: 99)
        XCTAssertGreaterThanOrEqual(model.correctCount(x, labels: y), 61, "held-out accuracy")
    }
}
