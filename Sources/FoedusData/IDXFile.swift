/// An IDX file (the format of MNIST, Fashion-MNIST and EMNIST) of unsigned bytes.
///
/// Layout: two zero bytes, the element type (only `0x08`, unsigned byte, is supported), the
/// number of dimensions `r`, then `r` big-endian `UInt32` extents, then exactly the product of
/// the extents in elements, row-major. The file may be gzip-compressed (detected by its magic
/// number, not its name).
public struct IDXFile: Sendable, Equatable {
    /// The IDX element-type code for unsigned bytes.
    public static let unsignedByteType: UInt8 = 0x08

    /// The file this was read from (as given; used in error messages).
    public let path: String
    /// The extents, outermost first (e.g. `[60000, 28, 28]` for MNIST training images).
    public let dimensions: [Int]
    /// The elements, row-major; `bytes.count` is the product of `dimensions`.
    public let bytes: [UInt8]

    /// Reads and validates the IDX file at `path`, plain or gzip-compressed.
    ///
    /// - Throws: ``FoedusDataError`` naming `path`: `.unreadableFile`, `.corruptGzip`,
    ///   `.badMagic`, `.unsupportedElementType`, `.invalidHeader`, `.truncated` or
    ///   `.trailingBytes` (the size must match the header exactly).
    /// - Complexity: O(file size).
    public init(contentsOf path: String) throws(FoedusDataError) {
        try self.init(decompressed: DataFile.contents(of: path), path: path)
    }

    /// Parses IDX content already in memory (plain or gzip-compressed); `path` is only used to
    /// name the source in errors.
    public init(fileContent: [UInt8], path: String) throws(FoedusDataError) {
        try self.init(decompressed: Gzip.hasMagic(fileContent) ? Gzip.inflate(fileContent, path: path) : fileContent,
                      path: path)
    }

    init(decompressed: [UInt8], path: String) throws(FoedusDataError) {
        var content = decompressed
        let header = try Self.parseHeader(content, path: path)
        let payload = header.elementCount
        let expected = header.size + payload
        if content.count < expected {
            throw .truncated(path: path, expected: expected, found: content.count)
        }
        if content.count > expected {
            throw .trailingBytes(path: path, expected: expected, found: content.count)
        }
        content.removeFirst(header.size)
        self.path = path
        self.dimensions = header.dimensions
        self.bytes = content
    }

    /// Number of elements along the first dimension (the example count).
    public var count: Int { dimensions.first ?? 0 }

    struct Header {
        var dimensions: [Int]
        var size: Int
        var elementCount: Int
    }

    static func parseHeader(_ content: [UInt8], path: String) throws(FoedusDataError) -> Header {
        guard content.count >= 4 else {
            throw .truncated(path: path, expected: 4, found: content.count)
        }
        guard content[0] == 0, content[1] == 0 else {
            throw .badMagic(path: path, expected: "0x00 0x00 0x08 <rank> (IDX, unsigned bytes)",
                            found: content[0..<4].map { FoedusDataError.hex($0) }.joined(separator: " "))
        }
        guard content[2] == unsignedByteType else {
            throw .unsupportedElementType(path: path, found: content[2])
        }
        let rank = Int(content[3])
        guard rank >= 1 else {
            throw .invalidHeader(path: path, offset: 3, reason: "rank 0 (an IDX file needs at least one dimension)")
        }
        let size = 4 + 4 * rank
        guard content.count >= size else {
            throw .truncated(path: path, expected: size, found: content.count)
        }
        var dimensions: [Int] = []
        var elementCount = 1
        for axis in 0..<rank {
            let at = 4 + 4 * axis
            let extent = Int(content[at]) << 24 | Int(content[at + 1]) << 16 | Int(content[at + 2]) << 8 | Int(content[at + 3])
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= Int.max - size else {
                throw .invalidHeader(path: path, offset: at, reason: "the extents' product overflows")
            }
            dimensions.append(extent)
            elementCount = product
        }
        return Header(dimensions: dimensions, size: size, elementCount: elementCount)
    }
}
