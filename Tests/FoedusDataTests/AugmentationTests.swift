import FoedusData
import FoedusKernels
import FoedusTensor
import XCTest

/// Weak and strong augmentation and the augmented batch. Oracles: the slow composition of the
/// documented steps (mirror, reflect-pad, crop; ops; Cutout), exact byte equality.
final class AugmentationTests: XCTestCase {
    let mnistLike = AugmentOpsTests.noise(channels: 1, height: 28, width: 28, seed: 21)
    let cifarLike = AugmentOpsTests.noise(channels: 3, height: 32, width: 32, seed: 22)

    func testDeterministicPerKeyAndDifferentAcrossKeys() {
        let weak = WeakAugmentation(), strong = StrongAugmentation()
        for image in [mnistLike, cifarLike] {
            let key = RandomKey(seed: 1).derived(3).derived(7).derived(12)
            XCTAssertEqual(weak.apply(image, key: key), weak.apply(image, key: key))
            XCTAssertEqual(strong.apply(image, key: key), strong.apply(image, key: key))
            let weakOutputs = Set((0..<20).map { weak.apply(image, key: RandomKey(seed: $0)) })
            let strongOutputs = Set((0..<20).map { strong.apply(image, key: RandomKey(seed: $0)) })
            XCTAssertGreaterThan(weakOutputs.count, 10)
            XCTAssertGreaterThan(strongOutputs.count, 15)
        }
    }

    /// The fused weak path equals mirror → reflect-pad by ⌊0.125·size⌋ → crop at the drawn
    /// corner, and every output is one of the (2·pad + 1)² · 2 windows.
    func testWeakIsAWindowOfTheMirroredReflectPaddedImage() {
        let weak = WeakAugmentation()
        for (image, pad) in [(mnistLike, 3), (cifarLike, 4)] {
            var tops = Set<Int>(), lefts = Set<Int>(), flips = Set<Bool>()
            for seed in 0..<200 {
                let key = RandomKey(seed: UInt64(seed))
                let placement = weak.placement(for: key, height: image.height, width: image.width)
                XCTAssertEqual([placement.verticalPadding, placement.horizontalPadding], [pad, pad])
                let source = placement.flipped ? image.horizontallyFlipped() : image
                let expected = source.reflectPadded(vertical: pad, horizontal: pad)
                    .cropped(top: placement.top, left: placement.left, height: image.height, width: image.width)
                XCTAssertEqual(weak.apply(image, key: key), expected)
                tops.insert(placement.top)
                lefts.insert(placement.left)
                flips.insert(placement.flipped)
            }
            XCTAssertEqual(tops, Set(0...(2 * pad)))
            XCTAssertEqual(lefts, Set(0...(2 * pad)))
            XCTAssertEqual(flips, [false, true])
        }
        // A zero-padding weak augmentation is exactly the identity or the mirror image.
        let flipOnly = WeakAugmentation(padding: 0)
        for seed in 0..<10 {
            let out = flipOnly.apply(cifarLike, key: RandomKey(seed: UInt64(seed)))
            XCTAssert(out == cifarLike || out == cifarLike.horizontallyFlipped())
        }
    }

    func testFlipOffKeepsTheSameCrops() {
        let on = WeakAugmentation(horizontalFlip: true), off = WeakAugmentation(horizontalFlip: false)
        for seed in 0..<50 {
            let key = RandomKey(seed: UInt64(seed))
            let a = on.placement(for: key, height: 28, width: 28), b = off.placement(for: key, height: 28, width: 28)
            XCTAssertFalse(b.flipped)
            XCTAssertEqual([a.top, a.left], [b.top, b.left])
        }
    }

    /// Strong = weak(key "weak") → the drawn steps → Cutout at the drawn square, recomposed
    /// from the public parts.
    func testStrongIsTheCompositionOfItsDraws() {
        let strong = StrongAugmentation(cutoutFill: .constant(77))
        for image in [mnistLike, cifarLike] {
            for seed in 0..<100 {
                let key = RandomKey(seed: UInt64(seed))
                var expected = strong.weak.apply(image, key: key.derived("weak"))
                for step in strong.steps(for: key) where step.applied {
                    expected = step.operation.apply(to: expected, magnitude: step.magnitude, negated: step.negated, fill: 128)
                }
                let square = strong.cutoutSquare(for: key, height: image.height, width: image.width)
                XCTAssertEqual(square.size, image.width / 2)
                XCTAssert(square.top >= 0 && square.top < image.height && square.left >= 0 && square.left < image.width)
                expected = expected.cuttingOut(top: square.top, left: square.left, size: square.size, fill: [UInt8](repeating: 77, count: image.channels))
                let out = strong.apply(image, key: key)
                XCTAssertEqual(out, expected)
                for c in 0..<image.channels {
                    for y in square.top..<min(image.height, square.top + square.size) {
                        for x in square.left..<min(image.width, square.left + square.size) { XCTAssertEqual(out[c, y, x], 77) }
                    }
                }
            }
        }
    }

    /// Over 4000 draws: all 14 operations and magnitudes 1…9 occur, magnitudes never 0 or 10,
    /// and the applied fraction is ½ ± 0.05 (σ = 0.008).
    func testStepDrawsFollowRandAugmentMC() {
        let strong = StrongAugmentation()
        let steps = (0..<2000).flatMap { strong.steps(for: RandomKey(seed: UInt64($0))) }
        XCTAssertEqual(Set(steps.map(\.operation)), Set(RandAugmentOp.allCases))
        XCTAssertEqual(Set(steps.map(\.magnitude)), Set(1...9))
        XCTAssertEqual(Double(steps.filter(\.applied).count) / Double(steps.count), 0.5, accuracy: 0.05)
    }

    /// A milder strong view: magnitudes stay in 1…maxMagnitude and reach it; `operations` steps are
    /// drawn; with no operations and no Cutout the strong view is the weak view exactly; the
    /// reference settings draw the same steps as the defaults (runs made before the options existed
    /// reproduce).
    func testStrengthOptions() {
        let mild = StrongAugmentation(operations: 3, maxMagnitude: 4)
        let steps = (0..<500).map { mild.steps(for: RandomKey(seed: UInt64($0))) }
        XCTAssertTrue(steps.allSatisfy { $0.count == 3 })
        XCTAssertEqual(Set(steps.joined().map(\.magnitude)), Set(1...4))
        let reference = StrongAugmentation(), explicit = StrongAugmentation(operations: 2, maxMagnitude: 9)
        for seed in 0..<50 { XCTAssertEqual(reference.steps(for: RandomKey(seed: UInt64(seed))), explicit.steps(for: RandomKey(seed: UInt64(seed)))) }
        var stream = RandomStream(key: RandomKey(seed: 12))
        let image = ByteImage(channels: 1, height: 28, width: 28,
                              pixels: (0..<(28 * 28)).map { _ in UInt8(truncatingIfNeeded: stream.nextUInt32()) })
        let bare = StrongAugmentation(horizontalFlip: false, cutoutSize: 0, operations: 0)
        for seed in 0..<20 {
            let key = RandomKey(seed: UInt64(seed))
            XCTAssertEqual(bare.apply(image, key: key), bare.weak.apply(image, key: key.derived("weak")))
            // The Cutout alone changes the image (a 14-pixel square of the fill).
            XCTAssertNotEqual(StrongAugmentation(horizontalFlip: false, operations: 0).apply(image, key: key), bare.apply(image, key: key))
        }
    }

    /// Batch: shape [B, C, H, W] float32, labels int32 [B], each image the normalised bytes of
    /// `apply(image(at: index), key.derived(index))` (the table holds the same Float expression).
    func testAugmentedBatchIsNormalisedAugmentedBytes() {
        var stream = RandomStream(key: RandomKey(seed: 8))
        let count = 10
        let pixels = (0..<(count * 3 * 32 * 32)).map { _ in UInt8(truncatingIfNeeded: stream.nextUInt32()) }
        let dataset = Dataset(name: "cifar10", images: pixels, labels: (0..<count).map { Int32($0 % 10) },
                              channels: 3, height: 32, width: 32, classes: 10)
        let key = RandomKey(seed: 4).derived("strong")
        let indices = [7, 2, 9]
        for augmentation in [StrongAugmentation() as any ImageAugmentation, WeakAugmentation()] {
            let batch = augmentation.makeBatch(indices, from: dataset, key: key, normalization: .cifar10)
            XCTAssertEqual(batch.images.shape, [3, 3, 32, 32])
            XCTAssertEqual(batch.images.dtype, .float32)
            XCTAssertEqual(batch.labels.shape, [3])
            XCTAssertEqual(batch.labels.dtype, .int32)
            XCTAssertEqual(batch.labels.scalars(as: Int32.self), [7, 2, 9])
            XCTAssertEqual(batch.indices, indices)
            let expected = indices.flatMap { index -> [Float] in
                let bytes = augmentation.apply(dataset.image(at: index), channels: 3, height: 32, width: 32, key: key.derived(UInt64(index)))
                return bytes.enumerated().map { Normalization.cifar10.normalize($1, channel: $0 / 1024) }
            }
            XCTAssertEqual(batch.images.scalars(as: Float.self), expected)
        }
    }
}
