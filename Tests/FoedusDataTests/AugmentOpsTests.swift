import FoedusData
import FoedusKernels
import XCTest

/// The image operations on small hand-made images. Oracle: the formulas in each operation's
/// documentation worked by hand; exact byte equality.
final class AugmentOpsTests: XCTestCase {
    func grey(_ height: Int, _ width: Int, _ pixels: [UInt8]) -> ByteImage {
        ByteImage(channels: 1, height: height, width: width, pixels: pixels)
    }

    /// Seeded random bytes.
    static func noise(channels: Int, height: Int, width: Int, seed: UInt64) -> ByteImage {
        var stream = RandomStream(key: RandomKey(seed: seed))
        return ByteImage(channels: channels, height: height, width: width,
                         pixels: (0..<(channels * height * width)).map { _ in UInt8(truncatingIfNeeded: stream.nextUInt32()) })
    }

    func testPosterizeKeepsTopBits() {
        let image = grey(1, 5, [0, 15, 16, 100, 255])
        XCTAssertEqual(image.posterized(bits: 4).pixels, [0, 0, 16, 96, 240])
        XCTAssertEqual(image.posterized(bits: 1).pixels, [0, 0, 0, 0, 128])
        XCTAssertEqual(image.posterized(bits: 8), image)
        XCTAssertEqual(image.posterized(bits: 0).pixels, [0, 0, 0, 0, 0])
    }

    func testSolarizeInvertsAtOrAboveThreshold() {
        let image = grey(1, 5, [0, 127, 128, 200, 255])
        XCTAssertEqual(image.solarized(threshold: 128).pixels, [0, 127, 127, 55, 0])
        XCTAssertEqual(image.solarized(threshold: 256), image)
        XCTAssertEqual(image.solarized(threshold: 0).pixels, [255, 128, 127, 55, 0])
        // Magnitude 3: threshold 256 − ⌊768 / 10⌋ = 180.
        XCTAssertEqual(RandAugmentOp.solarize.apply(to: image, magnitude: 3).pixels, [0, 127, 128, 55, 0])
    }

    /// lo = 50, hi = 150: x ↦ ⌊(x − 50) · 255 / 100⌋; each channel on its own; a constant
    /// channel unchanged.
    func testAutoContrastStretchesEachChannel() {
        let image = ByteImage(channels: 3, height: 1, width: 3, pixels: [50, 100, 150, 7, 7, 7, 0, 1, 2])
        XCTAssertEqual(image.autoContrasted().pixels, [0, 127, 255, 7, 7, 7, 0, 127, 255])
    }

    /// 770 bytes: 300 of 10, 465 of 20, 5 of 30. step = ⌊(770 − 5) / 255⌋ = 3, start ⌊3/2⌋ = 1:
    /// 10 ↦ ⌊1/3⌋ = 0, 20 ↦ ⌊301/3⌋ = 100, 30 ↦ ⌊766/3⌋ = 255.
    /// 520 bytes: 255 × 0, 255 × 9, 10 × 200 → step 2: 0 ↦ 0, 9 ↦ ⌊256/2⌋ = 128, 200 ↦ 255.
    func testEqualizeFollowsTheCumulativeHistogram() {
        let first = grey(10, 77, [UInt8](repeating: 10, count: 300) + [UInt8](repeating: 20, count: 465) + [UInt8](repeating: 30, count: 5))
        XCTAssertEqual(first.equalized().pixels,
                       [UInt8](repeating: 0, count: 300) + [UInt8](repeating: 100, count: 465) + [UInt8](repeating: 255, count: 5))
        let second = grey(20, 26, [UInt8](repeating: 0, count: 255) + [UInt8](repeating: 9, count: 255) + [UInt8](repeating: 200, count: 10))
        XCTAssertEqual(second.equalized().pixels,
                       [UInt8](repeating: 0, count: 255) + [UInt8](repeating: 128, count: 255) + [UInt8](repeating: 255, count: 10))
        // One value, or too few pixels below the top value (step 0): unchanged.
        XCTAssertEqual(grey(2, 2, [5, 5, 5, 5]).equalized(), grey(2, 2, [5, 5, 5, 5]))
        XCTAssertEqual(grey(2, 2, [1, 2, 3, 4]).equalized(), grey(2, 2, [1, 2, 3, 4]))
    }

    /// Brightness 0.5: ⌊x/2⌋. Contrast 0.5 about the mean 100: ⌊100 + (x − 100)/2⌋.
    /// Colour 0 on pure red: luma ⌊(19595·255 + 32768) / 65536⌋ = 76 in every channel.
    /// Sharpness 0 on a centred 130 in 3×3 zeros: centre ⌊(5·130 + 6)/13⌋ = 50, border kept.
    func testEnhancementsBlendFromTheirDegenerateImage() {
        XCTAssertEqual(grey(1, 4, [0, 1, 100, 255]).adjustingBrightness(0.5).pixels, [0, 0, 50, 127])
        XCTAssertEqual(grey(1, 4, [0, 1, 100, 255]).adjustingBrightness(2).pixels, [0, 2, 200, 255])
        XCTAssertEqual(grey(1, 3, [0, 100, 200]).adjustingContrast(0.5).pixels, [50, 100, 150])
        XCTAssertEqual(ByteImage(channels: 3, height: 1, width: 1, pixels: [255, 0, 0]).adjustingColor(0).pixels, [76, 76, 76])
        let dot = grey(3, 3, [0, 0, 0, 0, 130, 0, 0, 0, 0])
        XCTAssertEqual(dot.adjustingSharpness(0).pixels, [0, 0, 0, 0, 50, 0, 0, 0, 0])
        // Factor 2 extrapolates away from the blur: 2·130 − 50 = 210.
        XCTAssertEqual(dot.adjustingSharpness(2).pixels, [0, 0, 0, 0, 210, 0, 0, 0, 0])
    }

    /// Factor 1, 0° and zero shear/translation, 8 bits, threshold 256, and colour on a grey
    /// image leave every byte unchanged; so do the magnitude-0 forms of the geometric ops and
    /// Solarize, with either sign.
    func testIdentityLikeParametersLeaveTheImageUnchanged() {
        for image in [Self.noise(channels: 1, height: 28, width: 28, seed: 1), Self.noise(channels: 3, height: 32, width: 32, seed: 2)] {
            XCTAssertEqual(image.adjustingBrightness(1), image)
            XCTAssertEqual(image.adjustingContrast(1), image)
            XCTAssertEqual(image.adjustingSharpness(1), image)
            XCTAssertEqual(image.adjustingColor(1), image)
            XCTAssertEqual(image.posterized(bits: 8), image)
            XCTAssertEqual(image.solarized(threshold: 256), image)
            XCTAssertEqual(image.rotated(degrees: 0, fill: 128), image)
            XCTAssertEqual(image.shearedX(0, fill: 128), image)
            XCTAssertEqual(image.translated(x: 0, y: 0, fill: 128), image)
            for op in [RandAugmentOp.identity, .rotate, .shearX, .shearY, .translateX, .translateY, .solarize] {
                for negated in [false, true] {
                    XCTAssertEqual(op.apply(to: image, magnitude: 0, negated: negated), image, "\(op)")
                }
            }
            XCTAssertEqual(RandAugmentOp.identity.apply(to: image, magnitude: 9), image)
        }
        let greyImage = Self.noise(channels: 1, height: 5, width: 5, seed: 3)
        XCTAssertEqual(greyImage.adjustingColor(0.14), greyImage)
    }

    /// 90° counter-clockwise on an N×N image: output (y, x) = input (x, N − 1 − y).
    func testRotateNinetyDegreesIsAnExactPermutation() {
        let image = Self.noise(channels: 3, height: 6, width: 6, seed: 4)
        let rotated = image.rotated(degrees: 90, fill: 0)
        for c in 0..<3 {
            for y in 0..<6 {
                for x in 0..<6 { XCTAssertEqual(rotated[c, y, x], image[c, x, 5 - y]) }
            }
        }
    }

    /// Shear 1 on 3×3: output (x, y) samples input column ⌊x + ½ + (y + ½)⌋ = x + y + 1 of the
    /// same row, fill beyond column 2. Translation by +1 column: content moves left.
    func testShearAndTranslateSampleTheStatedPixels() {
        let image = grey(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(image.shearedX(1, fill: 0).pixels, [2, 3, 0, 6, 0, 0, 0, 0, 0])
        XCTAssertEqual(image.shearedY(1, fill: 0).pixels, [4, 8, 0, 7, 0, 0, 0, 0, 0])
        XCTAssertEqual(image.translated(x: 1, y: 0, fill: 0).pixels, [2, 3, 0, 5, 6, 0, 8, 9, 0])
        XCTAssertEqual(image.translated(x: 0, y: -1, fill: 77).pixels, [77, 77, 77, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(image.translated(x: 5, y: 0, fill: 9).pixels, [UInt8](repeating: 9, count: 9))
        // translateX at magnitude 5 on width 28: ⌊0.15 · 28⌋ = 4 columns.
        let wide = Self.noise(channels: 1, height: 28, width: 28, seed: 5)
        XCTAssertEqual(RandAugmentOp.translateX.apply(to: wide, magnitude: 5, fill: 3), wide.translated(x: 4, y: 0, fill: 3))
        XCTAssertEqual(RandAugmentOp.translateX.apply(to: wide, magnitude: 5, negated: true, fill: 3), wide.translated(x: -4, y: 0, fill: 3))
    }

    func testFlipAndReflectPadding() {
        let image = grey(2, 3, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(image.horizontallyFlipped().pixels, [3, 2, 1, 6, 5, 4])
        // numpy.pad([1, 2, 3], 2, mode="reflect") = [3, 2, 1, 2, 3, 2, 1].
        XCTAssertEqual(grey(1, 3, [1, 2, 3]).reflectPadded(vertical: 0, horizontal: 2).pixels, [3, 2, 1, 2, 3, 2, 1])
        XCTAssertEqual(image.reflectPadded(vertical: 1, horizontal: 1).pixels,
                       [5, 4, 5, 6, 5,
                        2, 1, 2, 3, 2,
                        5, 4, 5, 6, 5,
                        2, 1, 2, 3, 2])
        XCTAssertEqual(image.cropped(top: 1, left: 1, height: 1, width: 2).pixels, [5, 6])
    }

    /// The square's pixels take the fill, every other pixel keeps its value; clipped at the
    /// borders (also for negative corners).
    func testCutoutPaintsExactlyTheClippedSquare() {
        let image = ByteImage(channels: 2, height: 6, width: 6, repeating: 200)
        for (top, left, size, painted) in [(1, 2, 3, 9), (4, -1, 3, 4), (-2, -2, 3, 1), (0, 0, 6, 36), (5, 5, 16, 1), (2, 2, 0, 0), (6, 0, 3, 0)] {
            let out = image.cuttingOut(top: top, left: left, size: size, fill: [127, 3])
            for c in 0..<2 {
                var count = 0
                for y in 0..<6 {
                    for x in 0..<6 {
                        let inside = y >= top && y < top + size && x >= left && x < left + size
                        XCTAssertEqual(out[c, y, x], inside ? [127, 3][c] : 200)
                        if inside { count += 1 }
                    }
                }
                XCTAssertEqual(count, painted, "square (\(top), \(left)) of \(size)")
            }
        }
    }

    func testCutoutFillRules() {
        let small = grey(2, 2, [10, 20, 31, 3])
        XCTAssertEqual(CutoutFill.reference.values(for: small), [15])
        XCTAssertEqual(CutoutFill.reference.values(for: ByteImage(channels: 3, height: 32, width: 32, repeating: 9)), [127, 127, 127])
        XCTAssertEqual(CutoutFill.channelMean.values(for: small), [16])
        XCTAssertEqual(CutoutFill.constant(4).values(for: small), [4])
    }

    /// Every operation at every magnitude 0…10, both signs, on 1- and 3-channel images with
    /// extreme and random content: no trap, same geometry.
    func testEveryOperationKeepsGeometryOnExtremeImages() {
        let images = [
            ByteImage(channels: 1, height: 28, width: 28, repeating: 0), ByteImage(channels: 1, height: 28, width: 28, repeating: 255),
            Self.noise(channels: 1, height: 28, width: 28, seed: 6), ByteImage(channels: 3, height: 32, width: 32, repeating: 255),
            Self.noise(channels: 3, height: 32, width: 32, seed: 7), Self.noise(channels: 3, height: 5, width: 2, seed: 8),
        ]
        for image in images {
            for op in RandAugmentOp.allCases {
                for magnitude in 0...10 {
                    for negated in [false, true] {
                        let out = op.apply(to: image, magnitude: magnitude, negated: negated, fill: 128)
                        XCTAssertEqual([out.channels, out.height, out.width, out.pixels.count],
                                       [image.channels, image.height, image.width, image.pixels.count], "\(op) \(magnitude)")
                    }
                }
            }
        }
    }
}
