extension SafeTensors {
    /// Why a safetensors header was rejected (see ``FoedusNNError/badHeader(source:offset:problem:)``).
    public enum HeaderProblem: Equatable, Sendable, CustomStringConvertible {
        /// The length prefix exceeds ``SafeTensors/headerLimit``.
        case lengthBeyondLimit(length: UInt64, limit: Int)
        /// The length prefix exceeds the `available` bytes that follow it.
        case lengthBeyondFile(length: UInt64, available: Int)
        /// The header bytes are not valid UTF-8.
        case invalidUTF8
        /// The header is not well-formed JSON; the parser's explanation.
        case invalidJSON(String)
        /// The header is JSON but not an object.
        case notAnObject
        /// The entry for `tensor` is not a JSON object.
        case entryNotAnObject(tensor: String)
        /// The entry for `tensor` lacks `field`.
        case missingField(tensor: String, field: String)
        /// Field `field` of `tensor` is not of the `expected` JSON type.
        case illTypedField(tensor: String, field: String, expected: String)
        /// `"__metadata__"` is not a JSON object.
        case metadataNotAnObject
        /// Metadata value `key` is not a string.
        case metadataValueNotString(key: String)
        /// The buffer holds `count` bytes but the header describes no tensor.
        case unusedBytes(count: Int)

        public var description: String {
            switch self {
            case let .lengthBeyondLimit(length, limit):
                return "header length \(length) exceeds the limit of \(limit) bytes"
            case let .lengthBeyondFile(length, available):
                return "header length \(length) exceeds the \(available) bytes after the length prefix"
            case .invalidUTF8:
                return "header is not valid UTF-8"
            case let .invalidJSON(reason):
                return "header is not valid JSON: \(reason)"
            case .notAnObject:
                return "header is not a JSON object"
            case let .entryNotAnObject(tensor):
                return "entry '\(tensor)' is not an object"
            case let .missingField(tensor, field):
                return "tensor '\(tensor)' has no '\(field)'"
            case let .illTypedField(tensor, field, expected):
                return "tensor '\(tensor)': '\(field)' is not \(expected)"
            case .metadataNotAnObject:
                return "'\(SafeTensors.metadataKey)' is not an object"
            case let .metadataValueNotString(key):
                return "metadata value '\(key)' is not a string"
            case let .unusedBytes(count):
                return "\(count) data bytes but no tensors"
            }
        }
    }

    /// Why a tensor entry was rejected (see ``FoedusNNError/badTensor(source:tensor:problem:)``).
    /// Offsets are relative to the start of the data buffer, as in `data_offsets`.
    public enum TensorProblem: Equatable, Sendable, CustomStringConvertible {
        /// An extent of `shape` is negative.
        case negativeExtent(shape: [Int])
        /// The element or byte count of `shape` overflows `Int`.
        case shapeTooLarge(shape: [Int])
        /// `begin > end`.
        case reversedOffsets(begin: Int, end: Int)
        /// `begin..<end` is not inside the `bufferLength`-byte buffer.
        case offsetsOutOfRange(begin: Int, end: Int, bufferLength: Int)
        /// `end − begin` (`actualBytes`) differs from shape × dtype size (`expectedBytes`).
        case sizeMismatch(shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
        /// The tensor begins at `begin`, inside tensor `other`, which ends at `otherEnd`.
        case overlap(other: String, begin: Int, otherEnd: Int)
        /// Bytes `from..<to`, just before this tensor, belong to no tensor.
        case gapBefore(from: Int, to: Int)
        /// Bytes `from..<to`, just after this tensor (the last one), belong to no tensor.
        case gapAfter(from: Int, to: Int)

        public var description: String {
            switch self {
            case let .negativeExtent(shape):
                return "negative extent in shape \(shape)"
            case let .shapeTooLarge(shape):
                return "shape \(shape) is too large"
            case let .reversedOffsets(begin, end):
                return "data_offsets [\(begin), \(end)] end before they begin"
            case let .offsetsOutOfRange(begin, end, bufferLength):
                return "data_offsets [\(begin), \(end)] outside the \(bufferLength)-byte buffer"
            case let .sizeMismatch(shape, dtype, expected, actual):
                return "\(actual) bytes for shape \(shape) of \(dtype), which needs \(expected)"
            case let .overlap(other, begin, otherEnd):
                return "begins at byte \(begin), inside tensor '\(other)' which ends at byte \(otherEnd)"
            case let .gapBefore(from, to):
                return "bytes \(from)..<\(to) before it belong to no tensor"
            case let .gapAfter(from, to):
                return "bytes \(from)..<\(to) after it belong to no tensor"
            }
        }
    }
}
