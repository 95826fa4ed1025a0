/// Escaping of user text (run ids, names, parameters) for HTML and SVG (XML).
enum Markup {
    /// `text` safe for both element content and double- or single-quoted attributes in HTML and XML.
    ///
    /// Uses only the five XML-predefined forms (`&#39;` for the apostrophe), so the result is also
    /// well-formed inside an SVG parsed as XML. Characters XML 1.0 forbids (C0 controls except
    /// tab, newline, carriage return) become U+FFFD rather than breaking the document.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// `text` cut to at most `limit` characters, ending in an ellipsis when cut.
    static func truncate(_ text: String, to limit: Int) -> String {
        guard text.count > limit, limit > 1 else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }
}
