/// A JSON value with object keys kept in the order given, so output is deterministic.
indirect enum JSONValue {
    case null
    case bool(Bool)
    case int(Int)
    /// Non-finite numbers have no JSON form and are written as `null`.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Pretty-printed text with two-space indents; a container whose one-line form fits in
    /// `lineLimit` characters stays on one line (a round's metrics, a histogram).
    func text(indent: Int = 0, lineLimit: Int = 100) -> String {
        let compact = self.compact
        switch self {
        case .array(let items) where !items.isEmpty && compact.count + indent > lineLimit:
            let pad = String(repeating: " ", count: indent + 2)
            return "[\n" + items.map { pad + $0.text(indent: indent + 2, lineLimit: lineLimit) }.joined(separator: ",\n")
                + "\n" + String(repeating: " ", count: indent) + "]"
        case .object(let members) where !members.isEmpty && compact.count + indent > lineLimit:
            let pad = String(repeating: " ", count: indent + 2)
            return "{\n" + members.map { pad + JSONValue.quote($0.0) + ": " + $0.1.text(indent: indent + 2, lineLimit: lineLimit) }
                .joined(separator: ",\n") + "\n" + String(repeating: " ", count: indent) + "}"
        default:
            return compact
        }
    }

    /// One-line text.
    var compact: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .number(let value): return value.isFinite ? NumberFormat.roundTrip(value) : "null"
        case .string(let value): return JSONValue.quote(value)
        case .array(let items): return "[" + items.map(\.compact).joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.map { JSONValue.quote($0.0) + ": " + $0.1.compact }.joined(separator: ", ") + "}"
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
