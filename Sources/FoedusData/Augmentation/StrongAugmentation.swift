import FoedusKernels

/// SSFL's strong augmentation A (reference §1.3, `RandAugmentMC(n: 2, m: 10)`): the weak
/// augmentation, then two operations drawn uniformly with replacement from
/// ``RandAugmentOp/allCases``, each applied with probability ½ at a magnitude uniform on
/// `1 ... 9`, then always a Cutout square. ``operations``, ``maxMagnitude`` and ``cutoutSize``
/// make it milder (the reference's values are the defaults).
///
/// Draws: the weak part uses `key.derived("weak")`; operation `i` uses the stream
/// `key.derived("randaugment").derived(i)`, reading in order the operation
/// (`uniformInt(below: 14)`), the magnitude (`1 + uniformInt(below: maxMagnitude)`), whether it applies
/// (`uniformInt(below: 2) == 0`) and its sign (`uniformInt(below: 2) == 1`); the Cutout uses
/// `key.derived("cutout")`.
public struct StrongAugmentation: ImageAugmentation, Hashable {
    /// Operations drawn per image in the reference (its n).
    public static let referenceOperations = 2
    /// The reference's largest magnitude (`1 ... 9`, M = 10 exclusive).
    public static let referenceMaxMagnitude = RandAugmentOp.magnitudeScale - 1

    /// Operations drawn per image (n; 0 leaves only the weak part and the Cutout).
    public var operations: Int
    /// Magnitudes are uniform on `1 ... maxMagnitude` (at most 9).
    public var maxMagnitude: Int

    /// The weak augmentation applied first.
    public var weak: WeakAugmentation
    /// Cutout side; `nil` means ⌊width / 2⌋ (16 at 32×32, 14 at 28×28, as the reference);
    /// 0 or less disables the Cutout.
    public var cutoutSize: Int?
    /// What the Cutout square is painted with.
    public var cutoutFill: CutoutFill
    /// Byte written where rotation, shear or translation has no source pixel.
    public var fill: UInt8

    /// One RandAugment step as drawn.
    public struct Step: Sendable, Hashable {
        /// The operation.
        public var operation: RandAugmentOp
        /// Its magnitude, in `1 ... maxMagnitude`.
        public var magnitude: Int
        /// Whether it is applied (probability ½).
        public var applied: Bool
        /// Whether a signed parameter is negated (probability ½; unused by unsigned operations).
        public var negated: Bool
    }

    /// - Parameters:
    ///   - horizontalFlip: the weak part's flip (the reference: on).
    ///   - cutoutSize: Cutout side, `nil` for ⌊width / 2⌋.
    ///   - cutoutFill: the Cutout paint (default: the reference's rule, see ``CutoutFill``).
    ///   - fill: the geometric operations' fill byte. PIL's default, which the reference
    ///     inherits, is 0; 128 (grey, Google's FixMatch) is the default here.
    ///   - operations: RandAugment operations per image (clamped to `0...`).
    ///   - maxMagnitude: largest magnitude drawn (clamped to `1 ... 9`).
    public init(horizontalFlip: Bool = true, cutoutSize: Int? = nil, cutoutFill: CutoutFill = .reference, fill: UInt8 = 128,
                operations: Int = StrongAugmentation.referenceOperations, maxMagnitude: Int = StrongAugmentation.referenceMaxMagnitude) {
        self.weak = WeakAugmentation(horizontalFlip: horizontalFlip)
        self.operations = max(0, operations)
        self.maxMagnitude = min(max(1, maxMagnitude), Self.referenceMaxMagnitude)
        self.cutoutSize = cutoutSize
        self.cutoutFill = cutoutFill
        self.fill = fill
    }

    /// The RandAugment steps drawn for `key` (see the type's documentation).
    public func steps(for key: RandomKey) -> [Step] {
        let base = key.derived("randaugment")
        return (0..<operations).map { i in
            var stream = RandomStream(key: base.derived(UInt64(i)))
            let operation = RandAugmentOp.allCases[stream.uniformInt(below: RandAugmentOp.allCases.count)]
            let magnitude = 1 + stream.uniformInt(below: maxMagnitude)
            let applied = stream.uniformInt(below: 2) == 0
            let negated = stream.uniformInt(below: 2) == 1
            return Step(operation: operation, magnitude: magnitude, applied: applied, negated: negated)
        }
    }

    /// The Cutout square for `key` on a `height × width` image, as the reference places it:
    /// with u, w uniform on `[0, width)`, `[0, height)` (53-bit), left = ⌊max(0, u − size/2)⌋,
    /// top = ⌊max(0, w − size/2)⌋; the square is clipped at the right and bottom edges.
    public func cutoutSquare(for key: RandomKey, height: Int, width: Int) -> (top: Int, left: Int, size: Int) {
        let size = cutoutSize ?? width / 2
        var stream = RandomStream(key: key.derived("cutout"))
        let u = Double(stream.nextUInt64() >> 11) * 0x1p-53 * Double(width)
        let w = Double(stream.nextUInt64() >> 11) * 0x1p-53 * Double(height)
        let half = Double(size) / 2
        return (Int(max(0, w - half)), Int(max(0, u - half)), size)
    }

    /// Weak, then the drawn RandAugment steps, then the Cutout.
    public func apply(_ image: ByteImage, key: RandomKey) -> ByteImage {
        var out = weak.apply(image, key: key.derived("weak"))
        for step in steps(for: key) where step.applied {
            out = step.operation.apply(to: out, magnitude: step.magnitude, negated: step.negated, fill: fill)
        }
        let square = cutoutSquare(for: key, height: out.height, width: out.width)
        guard square.size > 0 else { return out }
        return out.cuttingOut(top: square.top, left: square.left, size: square.size, fill: cutoutFill.values(for: out))
    }
}
