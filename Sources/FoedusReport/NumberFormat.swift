import Foundation

/// Locale-independent number formatting for the report.
enum NumberFormat {
    /// `value` with exactly `decimals` fraction digits; never prints a negative zero.
    static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return nonFinite(value) }
        let text = String(format: "%.\(max(0, decimals))f", value)
        if text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) {
            return String(text.dropFirst())
        }
        return text
    }

    /// An SVG coordinate: one decimal, trailing `.0` dropped.
    static func coordinate(_ value: Double) -> String {
        let text = fixed(value.isFinite ? value : 0, decimals: 1)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    /// The shortest text that parses back to exactly `value` (Swift's `description`), e.g. `0.1`, `1e-05`.
    static func roundTrip(_ value: Double) -> String {
        value.isFinite ? value.description : nonFinite(value)
    }

    /// A fraction in 0...1 shown as a percentage with one decimal (no `%` sign), or an em dash when absent.
    static func percent(_ fraction: Double?) -> String {
        guard let fraction, fraction.isFinite else { return "—" }
        return fixed(fraction * 100, decimals: 1)
    }

    /// A duration such as `42.5 s`, `3 min 07 s`, `2 h 05 min`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "—" }
        if seconds < 60 { return fixed(seconds, decimals: 1) + " s" }
        let whole = Int(seconds.rounded())
        if whole < 3600 {
            return "\(whole / 60) min " + twoDigits(whole % 60) + " s"
        }
        return "\(whole / 3600) h " + twoDigits((whole % 3600) / 60) + " min"
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    private static func nonFinite(_ value: Double) -> String {
        value.isNaN ? "NaN" : (value > 0 ? "inf" : "-inf")
    }
}
