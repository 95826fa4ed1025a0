import XCTest
@testable import FoedusReport

/// Oracle: tick lists worked out by hand with the 1-2-5 rule (smallest step ≥ range / 5),
/// compared exactly, since ticks are built as integer / 10^k and must equal the decimal literals.
final class AxisTests: XCTestCase {
    func testUnitRangeStepsByTwoTenths() {
        XCTAssertEqual(Axis.niceTicks(lower: 0, upper: 1), [0, 0.2, 0.4, 0.6, 0.8, 1])
    }

    func testNarrowAccuracyRangeStepsByTwoHundredths() {
        // range 0.059 → rough step 0.0118 → 0.02; 0.853 rounds down to 0.84, 0.912 up to 0.92.
        XCTAssertEqual(Axis.niceTicks(lower: 0.853, upper: 0.912), [0.84, 0.86, 0.88, 0.9, 0.92])
    }

    func testPercentAndLargerRanges() {
        XCTAssertEqual(Axis.niceTicks(lower: 0, upper: 100), [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(Axis.niceTicks(lower: 1, upper: 200), [0, 50, 100, 150, 200])
        XCTAssertEqual(Axis.niceTicks(lower: -3.2, upper: 7.9), [-5, 0, 5, 10])
        XCTAssertEqual(Axis.niceTicks(lower: 0.00012, upper: 0.00019), [0.00012, 0.00014, 0.00016, 0.00018, 0.0002])
        XCTAssertEqual(Axis.niceTicks(lower: 0.3, upper: 0.7), [0.3, 0.4, 0.5, 0.6, 0.7])
    }

    func testLabelsUseTheStepsDecimals() {
        let axis = Axis(lower: 0.853, upper: 0.912)
        XCTAssertEqual(axis.ticks.map(axis.label(for:)), ["0.84", "0.86", "0.88", "0.90", "0.92"])
        let percent = Axis(lower: 12, upper: 87)
        XCTAssertEqual(percent.ticks.map(percent.label(for:)), ["0", "20", "40", "60", "80", "100"])
    }

    func testIntegerStepsNeverGoBelowOne() {
        XCTAssertEqual(Axis(lower: 1, upper: 3, integerSteps: true).ticks, [1, 2, 3])
        XCTAssertEqual(Axis(lower: 1, upper: 1, integerSteps: true).ticks, [0, 1, 2])
    }

    func testDegenerateRangesStillGiveAnAxis() {
        XCTAssertEqual(Axis.niceTicks(lower: 0, upper: 0), [-1, -0.5, 0, 0.5, 1])
        // 5 ± 10 % = 4.5...5.5, step 0.2, widened outward to multiples of the step.
        XCTAssertEqual(Axis.niceTicks(lower: 5, upper: 5), [4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6])
        XCTAssertEqual(Axis.niceTicks(lower: .nan, upper: 1), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(Axis.niceTicks(lower: -.infinity, upper: .infinity), [0, 0.2, 0.4, 0.6, 0.8, 1])
    }

    func testFractionMapsDomainEndsToZeroAndOne() {
        let axis = Axis(lower: 0.853, upper: 0.912)
        XCTAssertEqual(axis.fraction(of: 0.84), 0, accuracy: 1e-12)
        XCTAssertEqual(axis.fraction(of: 0.92), 1, accuracy: 1e-12)
        XCTAssertEqual(axis.fraction(of: 0.88), 0.5, accuracy: 1e-12)
    }

    func testLogarithmicAxisTicksAtPowersOfTen() {
        let axis = Axis.logarithmic(lower: 0.004, upper: 2.3)
        XCTAssertEqual(axis.ticks, [0.001, 0.01, 0.1, 1, 10])
        XCTAssertEqual(axis.ticks.map(axis.label(for:)), ["0.001", "0.01", "0.1", "1", "10"])
        XCTAssertEqual(axis.fraction(of: 0.1), 0.5, accuracy: 1e-12)
        XCTAssertEqual(Axis.logarithmic(lower: 0.2, upper: 3).ticks, [0.1, 0.2, 0.5, 1, 2, 5, 10])
    }
}
