/// A CIFAR-10 binary batch file (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`).
///
/// The file is a sequence of 3073-byte records: one label byte (0–9), then a 32×32 image as
/// 1024 red, 1024 green and 1024 blue bytes (channel-major, rows top to bottom). There is no
/// header; the file may be gzip-compressed.
public struct CIFARBinary: Sendable, Equatable {
    /// Channels, height and width of every CIFAR image.
    public static let channels = 3, height = 32, width = 32
    /// Bytes of one image (3 × 32 × 32).
    public static let imageByteCount = 3 * 32 * 32
    /// Bytes of one record: the label byte and the image.
    public static let recordByteCount = 1 + imageByteCount
    /// Number of classes; labels lie in `0 ..< classCount`.
    public static let classCount = 10

    /// The file this was read from.
    public let path: String
    /// Images, `count × 3 × 32 × 32` bytes, row-major (the file's own order).
    public let images: [UInt8]
    /// One label per image, in `0 ..< 10`.
    public let labels: [Int32]

    /// Number of records.
    public var count: Int { labels.count }

    /// Reads and validates the CIFAR-10 binary file at `path`, plain or gzip-compressed.
    ///
    /// - Throws: ``FoedusDataError`` naming `path`: `.unreadableFile`, `.corruptGzip`,
    ///   `.badCIFARRecord` (an empty file, or a partial record at the end) or
    ///   `.labelOutOfRange` (a label byte of 10 or more, at that record's offset).
    /// - Complexity: O(file size).
    public init(contentsOf path: String) throws(FoedusDataError) {
        try self.init(decompressed: DataFile.contents(of: path), path: path)
    }

    /// Parses CIFAR-10 binary content already in memory (plain or gzip-compressed); `path` is
    /// only used to name the source in errors.
    public init(fileContent: [UInt8], path: String) throws(FoedusDataError) {
        try self.init(decompressed: Gzip.hasMagic(fileContent) ? Gzip.inflate(fileContent, path: path) : fileContent,
                      path: path)
    }

    init(decompressed content: [UInt8], path: String) throws(FoedusDataError) {
        let recordSize = Self.recordByteCount
        let remainder = content.count % recordSize
        guard content.count > 0, remainder == 0 else {
            let offset = content.count - remainder
            throw .badCIFARRecord(path: path, offset: offset, expected: recordSize, found: remainder)
        }
        let count = content.count / recordSize
        var labels = [Int32](repeating: 0, count: count)
        var images = [UInt8]()
        images.reserveCapacity(count * Self.imageByteCount)
        for record in 0..<count {
            let start = record * recordSize
            let label = content[start]
            guard Int(label) < Self.classCount else {
                throw .labelOutOfRange(path: path, offset: start, label: Int(label), valid: 0...(Self.classCount - 1))
            }
            labels[record] = Int32(label)
            images.append(contentsOf: content[(start + 1)..<(start + recordSize)])
        }
        self.path = path
        self.images = images
        self.labels = labels
    }
}
