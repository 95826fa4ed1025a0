import Foundation

/// Colors and line styles that stay distinguishable with color-vision deficiencies.
///
/// Categorical colors are Okabe & Ito's palette (black moved last, the low-contrast yellow
/// dropped); beyond its seven colors, series also differ by dash pattern. The sequential ramp is
/// ColorBrewer "Blues": light for low values, dark for high, readable in grayscale.
public enum Palette {
    /// The categorical colors, in order of use.
    public static let colors: [String] = [
        "#0072B2", // blue
        "#E69F00", // orange
        "#009E73", // bluish green
        "#D55E00", // vermillion
        "#CC79A7", // reddish purple
        "#56B4E9", // sky blue
        "#000000", // black
    ]

    /// SVG `stroke-dasharray` values cycled once the colors run out (`nil` is a solid line).
    public static let dashes: [String?] = [nil, "6 3", "2 2", "8 3 2 3"]

    /// The style of the `index`-th series: its color, and a dash pattern from the second cycle of colors on.
    public static func style(at index: Int) -> (color: String, dash: String?) {
        let index = max(0, index)
        return (colors[index % colors.count], dashes[(index / colors.count) % dashes.count])
    }

    private static let blues: [(Double, Double, Double)] = [
        (0xF7, 0xFB, 0xFF), (0xDE, 0xEB, 0xF7), (0xC6, 0xDB, 0xEF), (0x9E, 0xCA, 0xE1), (0x6B, 0xAE, 0xD6),
        (0x42, 0x92, 0xC6), (0x21, 0x71, 0xB5), (0x08, 0x51, 0x9C), (0x08, 0x30, 0x6B),
    ]

    /// The sequential color for `t` in 0...1 (clamped), as `#rrggbb`, linearly interpolated between the ramp's stops.
    public static func sequential(_ t: Double) -> String {
        let clamped = t.isFinite ? min(1, max(0, t)) : 0
        let position = clamped * Double(blues.count - 1)
        let index = min(blues.count - 2, Int(position))
        let weight = position - Double(index)
        let (a, b) = (blues[index], blues[index + 1])
        func channel(_ x: Double, _ y: Double) -> String {
            let value = Int((x + (y - x) * weight).rounded())
            let hex = String(value, radix: 16, uppercase: true)
            return hex.count == 1 ? "0" + hex : hex
        }
        return "#" + channel(a.0, b.0) + channel(a.1, b.1) + channel(a.2, b.2)
    }
}
