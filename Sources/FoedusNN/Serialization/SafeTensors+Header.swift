import Foundation
import FoedusTensor

extension SafeTensors {
    /// A validated header: its entries in header order, metadata, and where the buffer starts.
    struct Header {
        var entries: [HeaderEntry]
        var metadata: [String: String]
        /// File offset of the data buffer (8 + header length).
        var dataStart: Int
    }

    /// Reads the length prefix and the JSON header of `bytes`, validating every field's type;
    /// byte ranges are checked later, against each other, by ``checkLayout(_:dataStart:fileLength:source:)``.
    static func parseHeader(_ bytes: [UInt8], source: String) throws -> Header {
        guard bytes.count >= 8 else {
            throw FoedusNNError.truncated(source: source, expectedBytes: 8, actualBytes: bytes.count)
        }
        var length: UInt64 = 0
        for k in 0..<8 { length |= UInt64(bytes[k]) << (8 * k) }
        guard length <= UInt64(headerLimit) else {
            throw FoedusNNError.badHeader(source: source, offset: 0, problem: .lengthBeyondLimit(length: length, limit: headerLimit))
        }
        guard length <= UInt64(bytes.count - 8) else {
            throw FoedusNNError.badHeader(source: source, offset: 0, problem: .lengthBeyondFile(length: length, available: bytes.count - 8))
        }
        let dataStart = 8 + Int(length)
        let range = 8..<dataStart
        if let bad = firstInvalidUTF8(bytes, in: range) {
            throw FoedusNNError.badHeader(source: source, offset: bad, problem: .invalidUTF8)
        }

        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes[range]), options: [.fragmentsAllowed])
        } catch {
            let (message, index) = parserMessage(error)
            throw FoedusNNError.badHeader(source: source, offset: index.map { 8 + $0 }, problem: .invalidJSON(message))
        }
        guard let object = object as? [String: Any] else {
            throw FoedusNNError.badHeader(source: source, offset: 8, problem: .notAnObject)
        }
        let keys: [HeaderKey]
        switch topLevelKeys(bytes, in: range) {
        case let .success(found): keys = found
        case let .failure(failure):
            throw FoedusNNError.badHeader(source: source, offset: failure.offset, problem: .invalidJSON("unexpected byte in the top-level object"))
        }

        var seen = Set<String>()
        var header = Header(entries: [], metadata: [:], dataStart: dataStart)
        for key in keys {
            guard seen.insert(key.name).inserted else {
                throw FoedusNNError.duplicateName(source: source, name: key.name)
            }
            guard let value = object[key.name] else {
                throw FoedusNNError.badHeader(source: source, offset: key.offset, problem: .invalidJSON("key '\(key.name)' could not be decoded"))
            }
            if key.name == metadataKey {
                header.metadata = try parseMetadata(value, offset: key.offset, source: source)
            } else {
                header.entries.append(try parseEntry(key.name, value, offset: key.offset,
                                                     bufferLength: bytes.count - dataStart, source: source))
            }
        }
        return header
    }

    /// One tensor entry; `offset` is the file offset of its key, for error messages.
    private static func parseEntry(_ name: String, _ value: Any, offset: Int, bufferLength: Int, source: String) throws -> HeaderEntry {
        func headerError(_ problem: HeaderProblem) -> FoedusNNError {
            .badHeader(source: source, offset: offset, problem: problem)
        }
        func tensorError(_ problem: TensorProblem) -> FoedusNNError {
            .badTensor(source: source, tensor: name, problem: problem)
        }
        guard let fields = value as? [String: Any] else { throw headerError(.entryNotAnObject(tensor: name)) }
        func field(_ key: String) throws -> Any {
            guard let v = fields[key] else { throw headerError(.missingField(tensor: name, field: key)) }
            return v
        }
        guard let dtypeName = try field("dtype") as? String else {
            throw headerError(.illTypedField(tensor: name, field: "dtype", expected: "a string"))
        }
        guard let shape = integers(try field("shape")) else {
            throw headerError(.illTypedField(tensor: name, field: "shape", expected: "an array of integers"))
        }
        guard let offsets = integers(try field("data_offsets")), offsets.count == 2 else {
            throw headerError(.illTypedField(tensor: name, field: "data_offsets", expected: "an array of two integers"))
        }
        guard let dtype = dtype(formatName: dtypeName) else {
            throw FoedusNNError.unsupportedDType(source: source, tensor: name, dtype: dtypeName)
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw tensorError(.negativeExtent(shape: shape)) }
        guard let byteCount = byteCount(shape: shape, dtype: dtype) else { throw tensorError(.shapeTooLarge(shape: shape)) }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, end >= 0 else {
            throw tensorError(.offsetsOutOfRange(begin: begin, end: end, bufferLength: bufferLength))
        }
        guard begin <= end else { throw tensorError(.reversedOffsets(begin: begin, end: end)) }
        guard end - begin == byteCount else {
            throw tensorError(.sizeMismatch(shape: shape, dtype: dtypeName, expectedBytes: byteCount, actualBytes: end - begin))
        }
        return HeaderEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    private static func parseMetadata(_ value: Any, offset: Int, source: String) throws -> [String: String] {
        guard let object = value as? [String: Any] else {
            throw FoedusNNError.badHeader(source: source, offset: offset, problem: .metadataNotAnObject)
        }
        var metadata: [String: String] = [:]
        // Sorted so that, of several bad values, the same one is reported every time.
        for key in object.keys.sorted() {
            guard let string = object[key] as? String else {
                throw FoedusNNError.badHeader(source: source, offset: offset, problem: .metadataValueNotString(key: key))
            }
            metadata[key] = string
        }
        return metadata
    }

    /// The byte size of a tensor, or nil when it (or any partial product of the extents, which
    /// ``Tensor`` computes for counts and strides) overflows `Int`.
    static func byteCount(shape: [Int], dtype: DType) -> Int? {
        var product = 1
        for extent in shape where extent != 0 {
            let (p, overflow) = product.multipliedReportingOverflow(by: extent)
            if overflow { return nil }
            product = p
        }
        let count = shape.contains(0) ? 0 : product
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        return overflow ? nil : bytes
    }

    /// The elements of a JSON array of integers; nil for anything else (booleans and numbers
    /// with a fraction or exponent, such as `1.0`, included).
    private static func integers(_ value: Any) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var out: [Int] = []
        out.reserveCapacity(array.count)
        for element in array {
            guard let number = element as? NSNumber else { return nil }
            switch String(cString: number.objCType) {
            case "c", "C", "B", "f", "d": return nil
            default: break
            }
            guard let int = element as? Int else { return nil }
            out.append(int)
        }
        return out
    }

    /// The file offset of the first byte in `range` that is not part of valid UTF-8, if any.
    private static func firstInvalidUTF8(_ bytes: [UInt8], in range: Range<Int>) -> Int? {
        var iterator = bytes[range].makeIterator()
        var decoder = UTF8()
        var position = range.lowerBound
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar): position += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return position
            }
        }
    }

    /// The parser's explanation and, when it names one, the byte index it points at.
    private static func parserMessage(_ error: Error) -> (String, Int?) {
        let ns = error as NSError
        let message = (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
        // corelibs and Darwin Foundation say "... around character 123." or "... around line 1, column 5."
        guard let marker = message.range(of: "character ") else { return (message, nil) }
        let digits = message[marker.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return (message, Int(digits))
    }
}
