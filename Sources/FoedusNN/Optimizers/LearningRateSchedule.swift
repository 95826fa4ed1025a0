import Foundation

/// A learning rate as a function of the step (0-based), stepped once per optimizer step.
public enum LearningRateSchedule: Sendable, Hashable {
    /// The base rate throughout.
    case constant
    /// Multiplies by `gamma` every `stepSize` steps.
    case step(stepSize: Int, gamma: Double)
    /// Linear warm-up from `base/warmupSteps` to `base` over `warmupSteps` steps, then cosine decay
    /// to `minimum` at `totalSteps`.
    case cosine(totalSteps: Int, warmupSteps: Int = 0, minimum: Double = 0)

    /// The rate at `step` for base rate `base`.
    public func rate(at step: Int, base: Double) -> Double {
        switch self {
        case .constant:
            return base
        case let .step(stepSize, gamma):
            return base * Foundation.pow(gamma, Double(step / Swift.max(stepSize, 1)))
        case let .cosine(total, warmup, minimum):
            if step < warmup { return base * Double(step + 1) / Double(warmup) }
            let span = Swift.max(total - warmup, 1)
            let progress = Swift.min(Double(step - warmup) / Double(span), 1)
            return minimum + (base - minimum) * 0.5 * (1 + Foundation.cos(Double.pi * progress))
        }
    }
}
