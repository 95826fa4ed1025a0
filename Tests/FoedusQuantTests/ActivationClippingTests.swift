import XCTest
import FoedusTensor
@testable import FoedusQuant

final class ActivationClippingTests: XCTestCase {
    func testUniformValuesClipAtTheAnalyticOptimum() {
        // Oracle: analytic. For x ~ U[0, 1] at L levels the error is α³/(12L²) + (1 − α)³/3, minimal
        // at α = 2L/(2L + 1): 30/31 at L = 15, 510/511 at L = 255. Tolerance 0.006: the 1/200 grid
        // of candidates and the sample (20,000 evenly spaced values).
        let values = Tensor((0..<20_000).map { (Double($0) + 0.5) / 20_000 })
        XCTAssertEqual(ActivationClipping.mseOptimal(values, levels: 15), 30.0 / 31, accuracy: 0.006)
        XCTAssertEqual(ActivationClipping.mseOptimal(values, levels: 255), 510.0 / 511, accuracy: 0.006)
    }

    func testARareOutlierIsClippedAtFourBitsButZerosStayZero() {
        // Oracle: analytic. One outlier at 100 among N = 10,000 values in [0, 1): for α ≥ 1 the error
        // is N·α²/(12L²) + (100 − α)², minimal at α = 200/(N/(6L²) + 2) = 21.26 at L = 15 (far below
        // the maximum 100). Tolerance 0.5: the candidate grid step (100/200).
        var v = (0..<10_000).map { Double($0 % 1000) / 1000 }
        v[77] = 100
        let optimum = 200 / (10_000 / (6.0 * 225) + 2)
        XCTAssertEqual(ActivationClipping.mseOptimal(Tensor(v), levels: 15), optimum, accuracy: 0.5)
        // At 255 levels the noise term is 289× smaller: α = 200/(N/(6·255²) + 2) = 98.7, near the maximum.
        XCTAssertEqual(ActivationClipping.mseOptimal(Tensor(v), levels: 255), 200 / (10_000 / (6.0 * 255 * 255) + 2), accuracy: 0.5)
        XCTAssertEqual(ActivationClipping.mseOptimal(Tensor([0, 0, 0] as [Double]), levels: 15), 0)
    }
}
