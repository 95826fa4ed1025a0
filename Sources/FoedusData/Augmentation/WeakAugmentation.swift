import FoedusKernels

/// SSFL's weak augmentation α (reference §1.3): a random horizontal flip with probability ½,
/// then a random crop of the original size from the image reflect-padded by ⌊0.125 · size⌋
/// (3 px at 28, 4 px at 32).
///
/// The reference flips every dataset, digits and letters included (trap 5 of §1.7);
/// `horizontalFlip: false` turns the flip off (usual for MNIST-like data), leaving the crop
/// draws unchanged.
public struct WeakAugmentation: ImageAugmentation, Hashable {
    /// Whether the image is mirrored with probability ½.
    public var horizontalFlip: Bool
    /// Reflect padding on every side; `nil` means ⌊0.125 · height⌋ rows and ⌊0.125 · width⌋
    /// columns. Clamped to `size − 1` (reflection cannot reach further).
    public var padding: Int?

    /// Where a draw puts the crop: mirror first when `flipped`, then take the window whose
    /// top-left corner is (`top`, `left`) in the padded image.
    public struct Placement: Sendable, Hashable {
        /// Whether the image is mirrored.
        public var flipped: Bool
        /// Window row in the padded image, in `0 ... 2 · verticalPadding`.
        public var top: Int
        /// Window column in the padded image, in `0 ... 2 · horizontalPadding`.
        public var left: Int
        /// Rows of padding above and below.
        public var verticalPadding: Int
        /// Columns of padding left and right.
        public var horizontalPadding: Int
    }

    /// - Parameters:
    ///   - horizontalFlip: mirror with probability ½ (the reference: always on).
    ///   - padding: pixels of reflect padding per side, `nil` for ⌊0.125 · size⌋.
    public init(horizontalFlip: Bool = true, padding: Int? = nil) {
        self.horizontalFlip = horizontalFlip
        self.padding = padding
    }

    /// The draw for `key` on an image of this size: stream `RandomStream(key:)` gives, in
    /// order, the flip bit (`uniformInt(below: 2) == 1`, drawn even when flipping is off), the
    /// window row and the window column (each uniform on `0 ... 2 · padding`).
    public func placement(for key: RandomKey, height: Int, width: Int) -> Placement {
        let vertical = max(0, min(height - 1, padding ?? height / 8))
        let horizontal = max(0, min(width - 1, padding ?? width / 8))
        var stream = RandomStream(key: key)
        let flipBit = stream.uniformInt(below: 2) == 1
        let top = stream.uniformInt(below: 2 * vertical + 1)
        let left = stream.uniformInt(below: 2 * horizontal + 1)
        return Placement(flipped: horizontalFlip && flipBit, top: top, left: left,
                         verticalPadding: vertical, horizontalPadding: horizontal)
    }

    /// The flipped-then-cropped image for `key` (see ``placement(for:height:width:)``).
    public func apply(_ image: ByteImage, key: RandomKey) -> ByteImage {
        apply(image, placement: placement(for: key, height: image.height, width: image.width))
    }

    /// The image mirrored if `placement.flipped`, reflect-padded and cropped at the placement,
    /// in one pass: output (c, y, x) = input (c, r(y + top − pv, H), m(r(x + left − ph, W))),
    /// r the reflection of ``ByteImage/reflectPadded(vertical:horizontal:)`` and m the mirror
    /// x ↦ W − 1 − x when flipped.
    public func apply(_ image: ByteImage, placement: Placement) -> ByteImage {
        let width = image.width, height = image.height
        let columns = (0..<width).map { x in
            let source = ByteImage.reflect(x + placement.left - placement.horizontalPadding, width)
            return placement.flipped ? width - 1 - source : source
        }
        let rows = (0..<height).map { ByteImage.reflect($0 + placement.top - placement.verticalPadding, height) }
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        var target = 0
        for c in 0..<image.channels {
            for y in 0..<height {
                let row = (c * height + rows[y]) * width
                for x in 0..<width {
                    out[target] = image.pixels[row + columns[x]]
                    target += 1
                }
            }
        }
        return image.with(pixels: out)
    }
}
