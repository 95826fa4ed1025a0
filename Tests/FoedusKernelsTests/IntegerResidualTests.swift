import XCTest
@testable import FoedusKernels

/// IntegerResidual's padding and pooling against their definitions, exact integer equality.
final class IntegerResidualTests: XCTestCase {
    func testSumPoolEqualsTheReference() {
        // Oracle: sumPoolChannelsLastReference (scalar loops) and, independently, the sum written out.
        // 16 and 48 channels take the vector kernel, 20 and 1 the portable one; 255s in every pixel
        // of one channel reach the largest sums.
        var data = IntegerTestData(seed: 95)
        for (images, spatial, c) in [(3, 49, 64), (2, 1, 16), (5, 7, 48), (2, 9, 20), (1, 25, 1)] {
            var x = data.uint8s(images * spatial * c)
            for p in 0..<spatial { x[p * c] = 255 }
            var reference = [Int32](repeating: -1, count: images * c)
            x.withUnsafeBufferPointer { px in
                reference.withUnsafeMutableBufferPointer {
                    IntegerResidual.sumPoolChannelsLastReference(px.baseAddress!, images: images, spatial: spatial, channels: c, into: $0.baseAddress!)
                }
            }
            let written = (0..<(images * c)).map { i in
                (0..<spatial).reduce(Int32(0)) { $0 + Int32(x[((i / c) * spatial + $1) * c + i % c]) }
            }
            XCTAssertEqual(reference, written, "reference \(images)×\(spatial)×\(c)")
            XCTAssertEqual(written[0], Int32(255 * spatial))
            for backend in explicitBackends {
                var got = [Int32](repeating: -1, count: images * c)
                x.withUnsafeBufferPointer { px in
                    got.withUnsafeMutableBufferPointer {
                        IntegerResidual.sumPoolChannelsLast(px.baseAddress!, images: images, spatial: spatial, channels: c, into: $0.baseAddress!,
                                                            backend: backend)
                    }
                }
                XCTAssertEqual(got, written, "\(images)×\(spatial)×\(c) \(backend)")
            }
        }
    }

    func testPaddingEqualsTheDefinition() {
        // Oracle: the padded NHWC image written out pixel by pixel (inside: the NCHW pixel; the
        // frame: the channel's zero point). One channel takes the row copies, three the loops.
        var data = IntegerTestData(seed: 96)
        for (images, c, size, padding) in [(3, 1, 5, 1), (2, 1, 4, 2), (2, 3, 5, 1), (1, 1, 1, 1)] {
            let x = data.uint8s(images * c * size * size)
            let zeroPoints = data.int32s(c, in: 0...255)
            let padded = size + 2 * padding
            var expected = [UInt8](repeating: 0, count: images * padded * padded * c)
            for n in 0..<images {
                for y in 0..<padded {
                    for xx in 0..<padded {
                        for k in 0..<c {
                            let inside = (padding..<(padding + size)).contains(y) && (padding..<(padding + size)).contains(xx)
                            expected[((n * padded + y) * padded + xx) * c + k] = inside
                                ? x[((n * c + k) * size + y - padding) * size + xx - padding] : UInt8(zeroPoints[k])
                        }
                    }
                }
            }
            var got = [UInt8](repeating: 0xEE, count: expected.count)
            x.withUnsafeBufferPointer { px in
                got.withUnsafeMutableBufferPointer {
                    IntegerResidual.padChannelsLast(px.baseAddress!, images: images, channels: c, size: size, padding: padding, zeroPoints: zeroPoints,
                                                    into: $0.baseAddress!)
                }
            }
            XCTAssertEqual(got, expected, "\(images) images, \(c) channels, \(size)², padding \(padding)")
        }
    }
}
