/// A labelled image dataset held in memory as bytes.
///
/// Images are `count × channels × height × width` unsigned bytes, row-major (NCHW), so image
/// `i` is the contiguous range `i * imageByteCount ..< (i + 1) * imageByteCount`. Labels are
/// class indices in `0 ..< classes`.
public struct Dataset: Sendable, Equatable {
    /// The catalog name (e.g. `"fashion-mnist"`), kept by ``subset(_:)``.
    public let name: String
    /// All images, NCHW row-major bytes.
    public let images: [UInt8]
    /// One class index per image, each in `0 ..< classes`.
    public let labels: [Int32]
    /// Channels per image (1 for grey-scale, 3 for RGB).
    public let channels: Int
    /// Rows per image.
    public let height: Int
    /// Columns per image.
    public let width: Int
    /// Number of classes (labels lie in `0 ..< classes`).
    public let classes: Int

    /// Creates a dataset from its bytes and labels.
    ///
    /// - Precondition: `channels`, `height`, `width` and `classes` are positive;
    ///   `images.count == labels.count * channels * height * width`; every label is in
    ///   `0 ..< classes`. (Readers validate file content with typed errors before calling this.)
    /// - Complexity: O(`labels.count`) for the label check.
    public init(name: String, images: [UInt8], labels: [Int32], channels: Int, height: Int, width: Int, classes: Int) {
        precondition(channels > 0 && height > 0 && width > 0 && classes > 0,
                     "[Dataset.init] \(name): channels \(channels), height \(height), width \(width), classes \(classes) must be positive")
        precondition(images.count == labels.count * channels * height * width,
                     "[Dataset.init] \(name): \(images.count) image bytes for \(labels.count) labels of \(channels)×\(height)×\(width)")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classes },
                     "[Dataset.init] \(name): a label lies outside 0..<\(classes)")
        self.init(unchecked: name, images: images, labels: labels, channels: channels, height: height, width: width, classes: classes)
    }

    init(unchecked name: String, images: [UInt8], labels: [Int32], channels: Int, height: Int, width: Int, classes: Int) {
        self.name = name
        self.images = images
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
        self.classes = classes
    }

    /// Number of examples.
    public var count: Int { labels.count }

    /// Bytes per image: `channels * height * width`.
    public var imageByteCount: Int { channels * height * width }

    /// The shape of one image, `[channels, height, width]`.
    public var imageShape: [Int] { [channels, height, width] }

    /// The bytes of image `index` (CHW row-major).
    /// - Precondition: `0 <= index < count`.
    public func image(at index: Int) -> ArraySlice<UInt8> {
        precondition(index >= 0 && index < count, "[Dataset.image(at:)] index \(index) outside 0..<\(count)")
        return images[(index * imageByteCount)..<((index + 1) * imageByteCount)]
    }

    /// The class index of example `index`.
    /// - Precondition: `0 <= index < count`.
    public func label(at index: Int) -> Int {
        precondition(index >= 0 && index < count, "[Dataset.label(at:)] index \(index) outside 0..<\(count)")
        return Int(labels[index])
    }
}
