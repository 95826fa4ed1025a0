import XCTest
import FoedusKernels

final class IntegerPoolingTests: XCTestCase {
    func testMaxPool2MatchesTheDefinition() {
        // Oracle: the max of each 2×2 window, computed naively, over 3 planes of 6×6 with the
        // maximum in every window position and the extremes 0 and 255.
        let channels = 3, size = 6, half = 3
        var x = (0..<(channels * size * size)).map { UInt8(truncatingIfNeeded: ($0 * 97 + 13) % 256) }
        x[7] = 255
        x[size * size + 14] = 0
        let y = IntegerPooling.maxPool2(x, channels: channels, size: size)
        XCTAssertEqual(y.count, channels * half * half)
        for c in 0..<channels {
            for oy in 0..<half {
                for ox in 0..<half {
                    let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { x[c * size * size + (2 * oy + $0.0) * size + 2 * ox + $0.1] }
                    XCTAssertEqual(y[c * half * half + oy * half + ox], window.max()!)
                }
            }
        }
        XCTAssertTrue(x.contains(255) && x.contains(0))
    }
}
