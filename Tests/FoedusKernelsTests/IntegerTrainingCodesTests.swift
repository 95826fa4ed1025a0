import XCTest
import FoedusKernels

final class IntegerTrainingRoundingTests: XCTestCase {
    func testRoundAwayEqualsRounded() {
        // Oracle: Float.rounded() (schoolbook rounding), on ties, their neighbours, large and
        // tiny magnitudes, and a seeded sweep.
        var values: [Float] = [0, -0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -0.49999997, 0.50000006, 8388607.5, -8388607.5,
                               8388608, 16777215, 1e-30, -1e-30, 126.5, -127.5, 254.49998, 254.5, .greatestFiniteMagnitude]
        for t in stride(from: Float(-300), through: 300, by: 0.5) { values += [t, t.nextUp, t.nextDown] }
        var stream = RandomStream(key: RandomKey(seed: 4))
        var random = [Float](repeating: 0, count: 20_000)
        random.withUnsafeMutableBufferPointer { stream.fillUniform($0, low: -1000, high: 1000) }
        for v in values + random {
            XCTAssertEqual(IntegerTraining.roundAway(v), v.rounded(), "\(v)")
        }
    }
}
