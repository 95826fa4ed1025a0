import Foundation
import FoedusNN
import FoedusQuant
import FoedusTensor

/// One round's work, decided before anyone trains: participants, their groups, start models and
/// random keys. The in-process simulator and the ZeroMQ server execute the same plan.
public struct RoundPlan: Sendable {
    /// 1-based round number.
    public let round: Int
    /// Sampled user ids, in sampling order.
    public let participants: [Int]
    public let groupCount: Int
    /// Every task of the round in aggregation order: per group, its server replica then its users.
    public let tasks: [(group: Int, task: LocalTask)]
    /// Bits of users' quantized uplink, or nil for float32.
    public let wireBits: QuantizedTensor.Bits?
    /// Root of the stochastic rounding keys of the quantized uplink.
    public let wireKey: RandomKey
    /// With a quantized downlink: per group, the users' start parameters as they travel (their
    /// tasks start from exactly these, dequantized).
    public let downlink: [Int: [QuantizedTensor]]
    public let startedAt: Date
}

/// What executing one task produced.
public struct TaskResult: Sendable {
    public var update: ClientUpdate
    /// Normalisation buffers after training (server replicas' are kept for evaluation).
    public var buffers: ParameterSet
    public var seconds: Double
    /// Bytes the update occupied on the uplink (0 for server replicas).
    public var uplinkBytes: Int

    public init(update: ClientUpdate, buffers: ParameterSet, seconds: Double, uplinkBytes: Int) {
        self.update = update
        self.buffers = buffers
        self.seconds = seconds
        self.uplinkBytes = uplinkBytes
    }
}

/// Folds a round's task results into per-group means **in task order**, so the result is
/// bit-identical whoever executed the tasks and whatever order they finished in. Tasks that
/// produced nothing (stragglers, dropped clients) are skipped with ``skip(_:)``.
public struct RoundAggregator: Sendable {
    public let plan: RoundPlan
    let strategy: any Strategy
    public private(set) var means: [WeightedMean]
    public private(set) var clients: [ClientResultSummary] = []
    public private(set) var replicaBuffers: ParameterSet?
    public private(set) var uplinkBytes = 0
    public private(set) var uplinkFP32Bytes = 0
    /// Client ids of tasks skipped for want of a result.
    public private(set) var missing: [Int] = []
    /// The next task index to fold.
    public private(set) var next = 0

    public init(plan: RoundPlan, strategy: any Strategy) {
        self.plan = plan
        self.strategy = strategy
        means = [WeightedMean](repeating: WeightedMean(), count: plan.groupCount)
    }

    /// Folds the result of task `index`.
    /// - Precondition: `index` is the next task (results are folded in task order).
    public mutating func add(_ index: Int, _ result: TaskResult) {
        precondition(index == next, "[RoundAggregator] task \(index) folded out of order (expected \(next))")
        let update = result.update
        if update.client >= 0 {
            uplinkBytes += result.uplinkBytes
            uplinkFP32Bytes += update.parameters.scalarCount * 4
        }
        means[plan.tasks[index].group].add(update.parameters, weight: strategy.weight(of: update))
        if replicaBuffers == nil, case .server = plan.tasks[index].task.role { replicaBuffers = result.buffers }
        clients.append(ClientResultSummary(client: update.client, examples: update.examples, metrics: update.metrics, seconds: result.seconds))
        next += 1
    }

    /// Skips task `index`, whose client did not answer in time.
    public mutating func skip(_ index: Int) {
        precondition(index == next, "[RoundAggregator] task \(index) skipped out of order (expected \(next))")
        missing.append(plan.tasks[index].task.clientID)
        next += 1
    }
}
