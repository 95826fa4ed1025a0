/// The FixMatch RandAugment pool used by SSFL's `RandAugmentMC` (reference §1.3), in the
/// reference's order.
///
/// Each operation has an integer magnitude v (the reference draws v from `1 ..< 10`) mapped to
/// its parameter as `v / 10` of a maximum plus a bias, and some take a random sign:
///
/// | op | parameter at magnitude v | sign |
/// |---|---|---|
/// | `autoContrast`, `equalize`, `identity` | none | – |
/// | `brightness`, `color`, `contrast`, `sharpness` | factor 0.05 + 0.9·v/10 (0.14 … 0.86 for v in 1…9) | – |
/// | `posterize` | ⌊4·v/10⌋ + 4 bits kept | – |
/// | `rotate` | ⌊30·v/10⌋ degrees | ± |
/// | `shearX`, `shearY` | 0.3·v/10 | ± |
/// | `solarize` | threshold 256 − ⌊256·v/10⌋ | – |
/// | `translateX`, `translateY` | ⌊0.3·v/10 · size⌋ pixels (rounded toward 0 after the sign) | ± |
///
/// Magnitude 0 makes `identity`, `rotate`, the shears, `solarize` and the translations the
/// identity; the enhancement factor is then 0.05 (not the identity: factor 1 is unreachable in
/// this pool, which only ever darkens, desaturates, flattens or blurs).
public enum RandAugmentOp: Int, CaseIterable, Sendable, Hashable {
    case autoContrast, brightness, color, contrast, equalize, identity, posterize
    case rotate, sharpness, shearX, shearY, solarize, translateX, translateY

    /// The reference's `PARAMETER_MAX`: magnitude v means v / 10 of an operation's maximum.
    public static let magnitudeScale = 10

    /// Whether the operation draws a random sign (rotation, shears, translations).
    public var isSigned: Bool {
        switch self {
        case .rotate, .shearX, .shearY, .translateX, .translateY: true
        default: false
        }
    }

    /// The enhancement factor at magnitude v: 0.05 + 0.9·v/10.
    public static func enhanceFactor(magnitude v: Int) -> Float {
        Float(Double(v) * 0.9 / Double(magnitudeScale) + 0.05)
    }

    /// Applies the operation at magnitude `magnitude`, negating signed parameters when
    /// `negated`; `fill` is the byte written where a geometric operation has no source pixel.
    /// The image keeps its geometry.
    public func apply(to image: ByteImage, magnitude v: Int, negated: Bool = false, fill: UInt8 = 128) -> ByteImage {
        let sign: Double = negated ? -1 : 1
        let scale = Double(Self.magnitudeScale)
        switch self {
        case .autoContrast: return image.autoContrasted()
        case .brightness: return image.adjustingBrightness(Self.enhanceFactor(magnitude: v))
        case .color: return image.adjustingColor(Self.enhanceFactor(magnitude: v))
        case .contrast: return image.adjustingContrast(Self.enhanceFactor(magnitude: v))
        case .equalize: return image.equalized()
        case .identity: return image
        case .posterize: return image.posterized(bits: 4 * v / Self.magnitudeScale + 4)
        case .rotate: return image.rotated(degrees: sign * Double(30 * v / Self.magnitudeScale), fill: fill)
        case .sharpness: return image.adjustingSharpness(Self.enhanceFactor(magnitude: v))
        case .shearX: return image.shearedX(sign * Double(v) * 0.3 / scale, fill: fill)
        case .shearY: return image.shearedY(sign * Double(v) * 0.3 / scale, fill: fill)
        case .solarize: return image.solarized(threshold: 256 - 256 * v / Self.magnitudeScale)
        case .translateX:
            return image.translated(x: Int(sign * Double(v) * 0.3 / scale * Double(image.width)), y: 0, fill: fill)
        case .translateY:
            return image.translated(x: 0, y: Int(sign * Double(v) * 0.3 / scale * Double(image.height)), fill: fill)
        }
    }
}
