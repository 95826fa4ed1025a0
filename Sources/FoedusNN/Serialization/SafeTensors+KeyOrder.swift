import Foundation

extension SafeTensors {
    /// A top-level header key and the file offset of its opening quote.
    struct HeaderKey {
        var name: String
        var offset: Int
    }

    /// The top-level keys of the JSON object in `bytes[range]`, in document order, duplicates
    /// included, or the index of the byte where the scan failed.
    ///
    /// `JSONSerialization` returns an unordered dictionary and silently keeps the last of
    /// duplicate keys; this scan recovers the order (ties between empty tensors at one offset
    /// keep their header order) and exposes duplicates. It runs only on text the parser has
    /// accepted, so it tracks just strings and nesting; it tolerates the parser's trailing
    /// commas.
    static func topLevelKeys(_ bytes: [UInt8], in range: Range<Int>) -> Result<[HeaderKey], ScanFailure> {
        var i = range.lowerBound
        let end = range.upperBound
        func skipWhitespace() {
            while i < end, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }
        // The index just past the string literal whose opening quote is at `start`.
        func stringEnd(from start: Int) -> Int? {
            var j = start + 1
            while j < end {
                switch bytes[j] {
                case UInt8(ascii: "\""): return j + 1
                case UInt8(ascii: "\\"): j += 2
                default: j += 1
                }
            }
            return nil
        }

        skipWhitespace()
        guard i < end, bytes[i] == UInt8(ascii: "{") else { return .failure(ScanFailure(offset: i)) }
        i += 1
        var keys: [HeaderKey] = []
        while true {
            skipWhitespace()
            guard i < end else { return .failure(ScanFailure(offset: i)) }
            if bytes[i] == UInt8(ascii: "}") { break }
            guard bytes[i] == UInt8(ascii: "\""), let keyEnd = stringEnd(from: i),
                  let name = decodeStringLiteral(bytes[i..<keyEnd])
            else { return .failure(ScanFailure(offset: i)) }
            keys.append(HeaderKey(name: name, offset: i))
            i = keyEnd
            skipWhitespace()
            guard i < end, bytes[i] == UInt8(ascii: ":") else { return .failure(ScanFailure(offset: i)) }
            i += 1
            // Skip the value: stop at the first `,` or `}` outside strings and nested values.
            var depth = 0
            scan: while i < end {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    guard let e = stringEnd(from: i) else { return .failure(ScanFailure(offset: i)) }
                    i = e
                    continue scan
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { break scan }
                    depth -= 1
                case UInt8(ascii: ","):
                    if depth == 0 { break scan }
                default: break
                }
                i += 1
            }
            guard i < end else { return .failure(ScanFailure(offset: i)) }
            if bytes[i] == UInt8(ascii: ",") { i += 1 }
        }
        return .success(keys)
    }

    struct ScanFailure: Error {
        var offset: Int
    }

    /// The value of a JSON string literal (quotes included in `literal`).
    private static func decodeStringLiteral(_ literal: ArraySlice<UInt8>) -> String? {
        let body = literal.dropFirst().dropLast()
        if !body.contains(UInt8(ascii: "\\")) { return String(decoding: body, as: UTF8.self) }
        return (try? JSONSerialization.jsonObject(with: Data(literal), options: [.fragmentsAllowed])) as? String
    }
}
