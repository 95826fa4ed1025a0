import XCTest
import FoedusKernels

final class WindowGeometryTests: XCTestCase {
    func testValidColumnsMatchTheBruteForceDefinition() {
        // Oracle: the definition, column by column (0 ≤ ox·s − p + j·d < W), over every small
        // geometry — strides, dilations and paddings larger than the kernel included.
        for width in 1...9 {
            for kernel in 1...4 {
                for stride in 1...3 {
                    for dilation in 1...3 {
                        for pad in 0...4 {
                            let g = WindowGeometry(channels: 1, height: 5, width: width, kernel: (1, kernel), stride: (1, stride),
                                                   padding: (0, pad), dilation: (1, dilation))
                            guard g.problem == nil else { continue }
                            for j in 0..<kernel {
                                let expected = (0..<g.outWidth).filter { ox in
                                    let ix = ox * stride - pad + j * dilation
                                    return ix >= 0 && ix < width
                                }
                                XCTAssertEqual(Array(g.validColumns(kernelColumn: j)), expected, "\(g) j \(j)")
                            }
                        }
                    }
                }
            }
        }
    }
}
