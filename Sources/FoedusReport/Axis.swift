import Foundation

/// A plot axis: a data domain widened to "nice" tick values and a mapping from data to position.
///
/// Linear axes step by 1, 2 or 5 times a power of ten (0, 0.2, …, 1; 0.84, 0.86, …, 0.92).
/// Tick values are computed as `integer / 10^k`, so they equal the decimal literals exactly
/// (`0.6`, not `0.6000000000000001`).
public struct Axis: Sendable, Equatable {
    /// How data values map to positions.
    public enum Scale: Sendable, Equatable {
        /// Positions proportional to values.
        case linear
        /// Positions proportional to `log10(value)`; values must be positive.
        case logarithmic
    }

    /// Lower end of the domain (the first tick).
    public let lower: Double
    /// Upper end of the domain (the last tick).
    public let upper: Double
    /// Tick values, ascending, from `lower` to `upper`.
    public let ticks: [Double]
    /// The scale.
    public let scale: Scale
    /// Fraction digits for tick labels.
    let decimals: Int

    /// A linear axis whose ticks cover `lower...upper` with about `targetTickCount` intervals.
    ///
    /// An empty or non-finite range is widened: a single value `v` becomes `v ± 10 %` (or 0...1 for 0).
    /// - Parameter integerSteps: never step by less than 1 (for round numbers).
    /// - Complexity: O(number of ticks).
    public init(lower: Double, upper: Double, targetTickCount: Int = 5, integerSteps: Bool = false) {
        var low = Swift.min(lower, upper)
        var high = Swift.max(lower, upper)
        if !(high - low).isFinite {
            (low, high) = (0, 1)
        } else if low == high {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            (low, high) = integerSteps ? (low - Swift.max(1, pad), high + Swift.max(1, pad)) : (low - pad, high + pad)
        }
        var step = Axis.niceStep(range: high - low, targetCount: Swift.max(1, targetTickCount))
        if integerSteps && step.exponent < 0 { step = (1, 0) }
        let size = Axis.decimal(step.mantissa, exponent: step.exponent)
        // The tolerance keeps a bound that is already a multiple of the step (0.3 / 0.1 = 2.9999…) from adding a tick.
        let firstIndex = (low / size + 1e-9).rounded(.down)
        let lastIndex = (high / size - 1e-9).rounded(.up)
        // Only a range far below the values' own precision could get here; refuse to trap on it.
        let representable = abs(firstIndex) < 1e15 && abs(lastIndex) < 1e15 && lastIndex - firstIndex < 1e4
        let first = representable ? Int(firstIndex) : 0
        let last = representable ? Int(lastIndex) : 1
        if !representable { step = (1, 0) }
        ticks = (first...Swift.max(first, last)).map { Axis.decimal($0 * step.mantissa, exponent: step.exponent) }
        self.lower = ticks.first ?? low
        self.upper = ticks.last ?? high
        scale = .linear
        decimals = Swift.max(0, -step.exponent)
    }

    /// A logarithmic axis covering `lower...upper` (both > 0), from one power of ten to another.
    ///
    /// Ticks are the powers of ten, every other one beyond eight decades; spans of at most two
    /// decades also get the 2× and 5× multiples. Non-positive bounds fall back to 1...10.
    public static func logarithmic(lower: Double, upper: Double) -> Axis {
        let valid = lower > 0 && upper > 0 && lower.isFinite && upper.isFinite
        let low = valid ? Swift.min(lower, upper) : 1
        let high = valid ? Swift.max(lower, upper) : 10
        let first = Int(log10(low).rounded(.down))
        let last = Swift.max(first + 1, Int(log10(high).rounded(.up)))
        let stride = last - first > 8 ? 2 : 1
        var ticks: [Double] = []
        for exponent in Swift.stride(from: first, through: last, by: stride) {
            ticks.append(decimal(1, exponent: exponent))
            if last - first <= 2 && exponent < last {
                ticks.append(decimal(2, exponent: exponent))
                ticks.append(decimal(5, exponent: exponent))
            }
        }
        return Axis(lower: decimal(1, exponent: first), upper: decimal(1, exponent: last),
                    ticks: ticks, scale: .logarithmic, decimals: Swift.max(0, -first))
    }

    private init(lower: Double, upper: Double, ticks: [Double], scale: Scale, decimals: Int) {
        self.lower = lower
        self.upper = upper
        self.ticks = ticks
        self.scale = scale
        self.decimals = decimals
    }

    /// Nice linear tick values covering `lower...upper` with about `targetCount` intervals.
    public static func niceTicks(lower: Double, upper: Double, targetCount: Int = 5) -> [Double] {
        Axis(lower: lower, upper: upper, targetTickCount: targetCount).ticks
    }

    /// Where `value` lies in the domain: 0 at `lower`, 1 at `upper` (outside 0...1 when outside the domain).
    public func fraction(of value: Double) -> Double {
        switch scale {
        case .linear:
            return upper > lower ? (value - lower) / (upper - lower) : 0.5
        case .logarithmic:
            guard value > 0 else { return 0 }
            return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
    }

    /// The label for a tick value, e.g. `0.84`, `20`, `0.001`.
    public func label(for value: Double) -> String {
        switch scale {
        case .linear:
            return NumberFormat.fixed(value, decimals: decimals)
        case .logarithmic:
            if value >= 1e-4 && value < 1e7 {
                return NumberFormat.fixed(value, decimals: Swift.max(0, -Int((log10(value) + 1e-9).rounded(.down))))
            }
            return String(format: "%g", value)
        }
    }

    /// The step as `mantissa × 10^exponent` with mantissa 1, 2 or 5: the smallest such step not below `range / targetCount`.
    static func niceStep(range: Double, targetCount: Int) -> (mantissa: Int, exponent: Int) {
        let rough = range / Double(targetCount)
        guard rough > 0, rough.isFinite else { return (1, 0) }
        var exponent = Int(log10(rough).rounded(.down))
        let normalized = rough / decimal(1, exponent: exponent)
        // The slack absorbs rounding in `normalized` (0.2 / 0.1 may land a hair above 2).
        let slack = 1e-9
        let mantissa: Int
        if normalized <= 1 + slack { mantissa = 1 }
        else if normalized <= 2 + slack { mantissa = 2 }
        else if normalized <= 5 + slack { mantissa = 5 }
        else { mantissa = 1; exponent += 1 }
        return (mantissa, exponent)
    }

    /// `significand × 10^exponent`, correctly rounded (a division for negative exponents, since 10^-k is inexact).
    static func decimal(_ significand: Int, exponent: Int) -> Double {
        exponent >= 0
            ? Double(significand) * pow(10, Double(exponent))
            : Double(significand) / pow(10, Double(-exponent))
    }
}
