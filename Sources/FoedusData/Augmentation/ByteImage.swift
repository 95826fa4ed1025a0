/// One image of unsigned bytes, channel-major (CHW, row-major within a channel), as stored in
/// a ``Dataset``: the value type the augmentation operations work on.
public struct ByteImage: Sendable, Hashable {
    /// Channels (1 for grey-scale, 3 for RGB).
    public let channels: Int
    /// Rows.
    public let height: Int
    /// Columns.
    public let width: Int
    /// `channels · height · width` bytes; pixel (c, y, x) is at `(c · height + y) · width + x`.
    public var pixels: [UInt8]

    /// - Precondition: the sizes are positive and `pixels.count == channels · height · width`.
    public init(channels: Int, height: Int, width: Int, pixels: [UInt8]) {
        precondition(channels > 0 && height > 0 && width > 0,
                     "[ByteImage] channels \(channels), height \(height), width \(width) must be positive")
        precondition(pixels.count == channels * height * width,
                     "[ByteImage] \(pixels.count) bytes for \(channels)×\(height)×\(width)")
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
    }

    /// An image of one colour: every byte `value`.
    public init(channels: Int, height: Int, width: Int, repeating value: UInt8) {
        self.init(channels: channels, height: height, width: width,
                  pixels: [UInt8](repeating: value, count: max(0, channels * height * width)))
    }

    /// Bytes per channel, `height · width`.
    public var planeSize: Int { height * width }

    /// The byte at channel `c`, row `y`, column `x`.
    /// - Precondition: the coordinates are inside the image.
    public subscript(c: Int, y: Int, x: Int) -> UInt8 {
        get { pixels[(c * height + y) * width + x] }
        set { pixels[(c * height + y) * width + x] = newValue }
    }

    /// An image of the same geometry with new bytes (no count check beyond the initialiser's).
    func with(pixels: [UInt8]) -> ByteImage {
        ByteImage(channels: channels, height: height, width: width, pixels: pixels)
    }
}
