import Foundation
import XCTest
import Foedus
import FoedusTensor

final class ConsistencyLossTests: XCTestCase {
    /// Logits whose softmax has maximum `p` on class 0 and the rest spread evenly over 9 classes.
    private func logits(confidence p: Double) -> [Double] {
        let rest = (1 - p) / 9
        return [Foundation.log(p)] + [Double](repeating: Foundation.log(rest), count: 9)
    }

    func testMaskingAtTheThresholdAndDivisionByBatchSize() {
        // Reference §1.9 test 2: max-softmax 0.949 contributes 0; 0.951 contributes CE/B.
        let weak = Tensor(shape: [2, 10], scalars: logits(confidence: 0.949) + logits(confidence: 0.951))
        let strongValues = (0..<20).map { Double(($0 * 7) % 11) / 5 - 1 }
        let strong = Tensor(shape: [2, 10], scalars: strongValues)
        let (loss, mask, pseudo) = ConsistencyLoss.loss(pseudoLogits: weak, studentLogits: strong, threshold: 0.95)
        XCTAssertEqual(mask.doubles, [0, 1])
        XCTAssertEqual(pseudo, [0, 0])
        // Oracle: CE of row 1 against class 0, computed directly, divided by B = 2.
        let row = Array(strongValues[10..<20])
        let m = row.max()!
        let ce = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +)) - row[0]
        XCTAssertEqual(loss.item, ce / 2, accuracy: 1e-12)
    }

    func testNoGradientFlowsIntoThePseudoLabelBranch() {
        let weak = Tensor(shape: [1, 10], scalars: logits(confidence: 0.99))
        let strong = Tensor(shape: [1, 10], scalars: (0..<10).map { Double($0) / 10 })
        let (gWeak, gStrong) = gradient(of: { w, s in
            ConsistencyLoss.loss(pseudoLogits: w, studentLogits: s, threshold: 0.95).loss
        }, at: weak, strong)
        XCTAssertEqual(gWeak.doubles, [Double](repeating: 0, count: 10))
        XCTAssertGreaterThan(gStrong.doubles.map(abs).reduce(0, +), 0)
    }
}
