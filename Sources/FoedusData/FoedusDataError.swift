/// Everything that can go wrong while finding, reading or validating a dataset.
///
/// Every case names the file it is about; byte offsets count from the start of the file's
/// content (after gzip decompression, for a `.gz` file, except in ``corruptGzip(path:offset:message:)``
/// where the offset is into the compressed bytes).
public enum FoedusDataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file of `dataset` was in none of the `searched` paths (every candidate path, in the
    /// order tried).
    case fileNotFound(dataset: String, file: String, searched: [String])
    /// The file exists but could not be read.
    case unreadableFile(path: String, reason: String)
    /// The first bytes are not the format's magic number (offset 0).
    case badMagic(path: String, expected: String, found: String)
    /// An IDX file whose element type (byte 2) is not unsigned byte (0x08).
    case unsupportedElementType(path: String, found: UInt8)
    /// A header field holds an impossible value.
    case invalidHeader(path: String, offset: Int, reason: String)
    /// An IDX file with the wrong number of dimensions for its role (images: 3, labels: 1).
    case unexpectedRank(path: String, expected: Int, dimensions: [Int])
    /// The content is shorter than its header says: `expected` bytes, `found` bytes.
    case truncated(path: String, expected: Int, found: Int)
    /// The content is longer than its header says: `expected` bytes, `found` bytes.
    case trailingBytes(path: String, expected: Int, found: Int)
    /// zlib rejected the gzip stream; `message` is zlib's own message where it gave one,
    /// `offset` how far into the compressed bytes it got.
    case corruptGzip(path: String, offset: Int, message: String)
    /// An images file and its labels file disagree on the number of examples.
    case countMismatch(imagesPath: String, images: Int, labelsPath: String, labels: Int)
    /// A label byte at `offset` lies outside the dataset's `valid` range (as stored in the file).
    case labelOutOfRange(path: String, offset: Int, label: Int, valid: ClosedRange<Int>)
    /// A CIFAR binary file ending in a partial record: the record at `offset` needs
    /// `expected` bytes and only `found` remain.
    case badCIFARRecord(path: String, offset: Int, expected: Int, found: Int)
    /// A dataset name that the catalog does not know.
    case unknownDataset(name: String, known: [String])
    /// A partitioner parameter or its input that cannot give a valid partition; `field` names
    /// it as the configuration does (`"K"`, `"R"`, `"Ns"`, `"alpha"`, `"shardsPerUser"`,
    /// `"classes"`, `"labels"`).
    case invalidPartition(field: String, reason: String)

    public var description: String {
        switch self {
        case let .fileNotFound(dataset, file, searched):
            let hint = dataset == "fashion-mnist"
                ? "install it with `apt-get install dataset-fashion-mnist`, or"
                : "download it from its publisher (see datasets/README.md) and"
            let places = searched.isEmpty ? "(no directory to search)" : searched.joined(separator: ", ")
            return "\(dataset): file \(file) not found; searched \(places). To fix: \(hint) "
                + "pass --data-dir DIR or set FOEDUS_DATA_DIR=DIR to a directory holding it "
                + "(plain or .gz)."
        case let .unreadableFile(path, reason):
            return "\(path): cannot read file: \(reason)"
        case let .badMagic(path, expected, found):
            return "\(path): bad magic number at byte offset 0: expected \(expected), found \(found)"
        case let .unsupportedElementType(path, found):
            return "\(path): unsupported IDX element type at byte offset 2: expected 0x08 "
                + "(unsigned byte), found \(Self.hex(found)) (\(Self.idxTypeName(found)))"
        case let .invalidHeader(path, offset, reason):
            return "\(path): invalid header at byte offset \(offset): \(reason)"
        case let .unexpectedRank(path, expected, dimensions):
            return "\(path): expected \(expected) dimension(s), found \(dimensions.count) "
                + "(\(dimensions.map(String.init).joined(separator: "×")))"
        case let .truncated(path, expected, found):
            return "\(path): truncated: expected \(expected) bytes, got \(found)"
        case let .trailingBytes(path, expected, found):
            return "\(path): \(found - expected) unexpected trailing byte(s) at byte offset "
                + "\(expected): expected \(expected) bytes, got \(found)"
        case let .corruptGzip(path, offset, message):
            return "\(path): corrupt gzip data near compressed byte offset \(offset): \(message)"
        case let .countMismatch(imagesPath, images, labelsPath, labels):
            return "\(imagesPath) holds \(images) images but \(labelsPath) holds \(labels) labels"
        case let .labelOutOfRange(path, offset, label, valid):
            return "\(path): label \(label) at byte offset \(offset) is out of range: expected "
                + "\(valid.lowerBound)...\(valid.upperBound)"
        case let .badCIFARRecord(path, offset, expected, found):
            return "\(path): partial CIFAR record at byte offset \(offset): expected \(expected) "
                + "bytes (1 label + 3072 pixels), got \(found)"
        case let .unknownDataset(name, known):
            return "unknown dataset \"\(name)\"; known datasets: \(known.joined(separator: ", "))"
        case let .invalidPartition(field, reason):
            return "invalid partition parameter \(field): \(reason)"
        }
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: false)
        return "0x" + (digits.count < 2 ? "0" + digits : digits)
    }

    static func idxTypeName(_ code: UInt8) -> String {
        switch code {
        case 0x08: "unsigned byte"
        case 0x09: "signed byte"
        case 0x0B: "int16"
        case 0x0C: "int32"
        case 0x0D: "float32"
        case 0x0E: "float64"
        default: "not an IDX type"
        }
    }
}
