/// The paint of a Cutout square.
public enum CutoutFill: Sendable, Hashable {
    /// The reference's rule: grey 127 in every channel for 32-pixel-wide images, otherwise
    /// ⌊max / 2⌋ of the image's bytes (every channel).
    case reference
    /// One byte in every channel.
    case constant(UInt8)
    /// Each channel's mean, rounded half up.
    case channelMean

    /// One fill byte per channel of `image`.
    public func values(for image: ByteImage) -> [UInt8] {
        switch self {
        case .reference:
            let value = image.width == 32 ? 127 : (image.pixels.max() ?? 0) / 2
            return [UInt8](repeating: value, count: image.channels)
        case let .constant(value):
            return [UInt8](repeating: value, count: image.channels)
        case .channelMean:
            let plane = image.planeSize
            return (0..<image.channels).map { c in
                let total = image.pixels[(c * plane)..<((c + 1) * plane)].reduce(0) { $0 + Int($1) }
                return UInt8((2 * total + plane) / (2 * plane))
            }
        }
    }
}
