import XCTest
import FoedusNN

/// Learning-rate schedules at chosen steps against values worked out by hand (PyTorch's
/// `StepLR` and the closed form of `CosineAnnealingLR`, after a linear warm-up). Tolerance
/// 1e-15 absolute: each value is a handful of Float64 operations on rates ≤ 0.3.
final class LearningRateScheduleTests: XCTestCase {
    func testConstant() {
        for step in [0, 1, 17, 100_000] { XCTAssertEqual(LearningRateSchedule.constant.rate(at: step, base: 0.3), 0.3) }
    }

    /// `base·γ^⌊step/stepSize⌋`.
    func testStep() {
        let s = LearningRateSchedule.step(stepSize: 3, gamma: 0.5)
        let expected: [(Int, Double)] = [(0, 0.2), (2, 0.2), (3, 0.1), (5, 0.1), (6, 0.05), (9, 0.025), (11, 0.025)]
        for (step, rate) in expected { XCTAssertEqual(s.rate(at: step, base: 0.2), rate, accuracy: 1e-15, "step \(step)") }
    }

    /// Warm-up `base·(step+1)/warmup` for the first 2 steps, then
    /// `min + (base − min)·½(1 + cos(π·(step − 2)/8))` to step 10, then `min`.
    func testCosineWithWarmupAndMinimum() {
        let s = LearningRateSchedule.cosine(totalSteps: 10, warmupSteps: 2, minimum: 0.01)
        let expected: [(Int, Double)] = [
            (0, 0.05), (1, 0.1), (2, 0.1),
            (4, 0.01 + 0.045 * (1 + 0.5.squareRoot())),   // cos(π/4)
            (6, 0.055),                                   // cos(π/2) = 0
            (8, 0.01 + 0.045 * (1 - 0.5.squareRoot())),   // cos(3π/4)
            (10, 0.01), (15, 0.01),
        ]
        for (step, rate) in expected { XCTAssertEqual(s.rate(at: step, base: 0.1), rate, accuracy: 1e-15, "step \(step)") }
        XCTAssertEqual(s.rate(at: 4, base: 0.1), 0.086819805153394637, accuracy: 1e-15)
    }

    func testCosineWithoutWarmup() {
        let s = LearningRateSchedule.cosine(totalSteps: 4)
        let expected: [(Int, Double)] = [(0, 0.2), (1, 0.1 * (1 + 0.5.squareRoot())), (2, 0.1), (3, 0.1 * (1 - 0.5.squareRoot())), (4, 0)]
        for (step, rate) in expected { XCTAssertEqual(s.rate(at: step, base: 0.2), rate, accuracy: 1e-15, "step \(step)") }
    }
}
