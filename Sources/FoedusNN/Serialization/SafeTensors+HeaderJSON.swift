import FoedusTensor

extension SafeTensors {
    /// One tensor's header entry: where its bytes are and how to read them.
    struct HeaderEntry: Equatable {
        var name: String
        var dtype: DType
        var shape: [Int]
        /// Byte range in the data buffer.
        var begin: Int
        var end: Int
    }

    /// The compact JSON header (no padding): metadata first, then `entries` in order.
    static func headerJSON(_ entries: [HeaderEntry], metadata: [String: String]) -> [UInt8] {
        var json: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separate() {
            if !first { json.append(UInt8(ascii: ",")) }
            first = false
        }
        if !metadata.isEmpty {
            separate()
            appendJSONString(metadataKey, to: &json)
            json.append(contentsOf: Array(":{".utf8))
            // Byte order, not String's Unicode ordering, so the output cannot depend on the
            // platform's collation.
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, key) in keys.enumerated() {
                if i > 0 { json.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &json)
                json.append(UInt8(ascii: ":"))
                appendJSONString(metadata[key]!, to: &json)
            }
            json.append(UInt8(ascii: "}"))
        }
        for entry in entries {
            separate()
            appendJSONString(entry.name, to: &json)
            json.append(contentsOf: Array(#":{"dtype":"#.utf8))
            appendJSONString(formatName(of: entry.dtype), to: &json)
            json.append(contentsOf: Array(#","shape":["#.utf8))
            json.append(contentsOf: Array(entry.shape.map(String.init).joined(separator: ",").utf8))
            json.append(contentsOf: Array(#"],"data_offsets":["#.utf8))
            json.append(contentsOf: Array("\(entry.begin),\(entry.end)]}".utf8))
        }
        json.append(UInt8(ascii: "}"))
        return json
    }

    /// Appends `string` as a JSON string literal: quotes, backslashes and control characters
    /// escaped, everything else as raw UTF-8.
    static func appendJSONString(_ string: String, to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): json.append(contentsOf: Array(#"\""#.utf8))
            case UInt8(ascii: "\\"): json.append(contentsOf: Array(#"\\"#.utf8))
            case UInt8(ascii: "\n"): json.append(contentsOf: Array(#"\n"#.utf8))
            case UInt8(ascii: "\r"): json.append(contentsOf: Array(#"\r"#.utf8))
            case UInt8(ascii: "\t"): json.append(contentsOf: Array(#"\t"#.utf8))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                json.append(contentsOf: Array(#"\u00"#.utf8))
                json.append(hex[Int(byte >> 4)])
                json.append(hex[Int(byte & 0xF)])
            default: json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }
}
