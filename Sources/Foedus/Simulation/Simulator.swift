import Foundation
import FoedusData
import FoedusKernels
import FoedusNN
import FoedusQuant
import FoedusTensor

/// The federation's state between rounds: the global model and, with grouping, each group's
/// mean (where that group's users restart).
public struct FederationState: Sendable, Equatable {
    /// The last completed round (0 before the first).
    public var round: Int
    public var global: ModelState
    /// Group means after `round` (grouping only; empty otherwise).
    public var groups: [ParameterSet]
}

/// The in-process federated simulator: the round driver for SSFL and FedAvg-family methods, with
/// clients trained in parallel on a worker pool, aggregation in a fixed order (bit-identical for
/// any worker count), persistence through a ``RunRecorder`` and exact resume.
public struct Simulator: Sendable {
    public let config: SimulationConfig
    public let data: SimulationData
    public let layer: any Layer
    public let runID: String
    public let root: RandomKey
    public let strategy: any Strategy
    public let trainer: LocalTrainer
    let sampler: ClientSampler?

    public init(config: SimulationConfig, data: SimulationData, runID: String) throws {
        self.config = config
        self.data = data
        self.runID = runID
        let train = data.train
        layer = try ModelCatalog.make(config.model, classes: train.classes, inputChannels: train.channels, imageSize: train.height, width: config.modelWidth)
        root = RandomKey(seed: config.seed)
        let weighting: FedAvg.Weighting = config.aggregation == .uniform ? .uniform : .examples
        strategy = config.method == .fedprox ? FedProx(mu: config.proximalMu, weighting: weighting) : FedAvg(weighting: weighting)
        let views = DatasetViews(dataset: train, normalization: data.normalization, flip: config.horizontalFlip, strong: config.strongAugmentationSettings)
        trainer = LocalTrainer(config: config, layer: layer, views: views, proximalMu: strategy.proximalMu)
        sampler = config.method == .labeledOnly ? nil : ClientSampler(clients: config.users, perRound: config.clientsPerRound, key: root.derived("sampler"))
    }

    /// The state before round 1: the model initialised from the run's seed.
    public func initialState() -> FederationState {
        FederationState(round: 0, global: ModelState(layer, key: root.derived("init")), groups: [])
    }

    var groupCount: Int { config.method == .grouping ? config.groups : 1 }

    /// Runs one round from `state` with every participant trained in process, and returns the
    /// new state and the round's summary.
    public func runRound(_ state: FederationState) -> (FederationState, RoundSummary) {
        let plan = planRound(state)
        let diversity = config.gradientDiversityEvery > 0 && plan.round % config.gradientDiversityEvery == 0
            ? gradientDiversity(plan.tasks) : nil
        var aggregator = RoundAggregator(plan: plan, strategy: strategy)
        let trainer = self.trainer, jobs = plan.tasks.map(\.task), wireBits = plan.wireBits, wireKey = plan.wireKey
        WorkerPool.run(count: jobs.count, workers: config.workers, job: { i -> TaskResult in
            Simulator.execute(jobs[i], trainer: trainer, wireBits: wireBits, wireKey: wireKey)
        }, consume: { i, result in aggregator.add(i, result) })
        var extra: [String: Double] = [:]
        if let diversity { extra["gradient_diversity"] = diversity }
        return finishRound(state, aggregator: aggregator, extraMetrics: extra)
    }

    /// The work of round `state.round + 1`: who participates, in which group, from which model,
    /// with which random keys. Pure: the same state gives the same plan in every process.
    public func planRound(_ state: FederationState) -> RoundPlan {
        let r = state.round + 1
        // During the labeled warm-up the server trains alone, as in the labeled-only baseline.
        let participants = r <= config.labeledRounds ? [] : sampler?.sample(round: r) ?? []
        let groups = GroupPlan(participants: participants.count, groups: participants.isEmpty ? 1 : groupCount)
        var tasks: [(group: Int, task: LocalTask)] = []
        let roundKey = root.derived("round").derived(UInt64(r))
        let firstStep = (r - 1) * config.localSteps
        let downlinkBits: QuantizedTensor.Bits? = config.downlink == "int8" ? .int8 : (config.downlink == "int4" ? .int4 : nil)
        var downlink: [Int: [QuantizedTensor]] = [:]
        for g in 0..<groups.groupCount {
            if !data.partition.server.isEmpty {
                tasks.append((g, LocalTask(role: .server(replica: g), indices: data.partition.server, start: state.global,
                                           firstStep: firstStep, key: roundKey.derived("replica").derived(UInt64(g)))))
            }
            var userStart = state.groups.count == groups.groupCount
                ? ModelState(parameters: state.groups[g], buffers: state.global.buffers) : state.global
            if let downlinkBits, !groups.slots[g].isEmpty {
                // Users receive (and so start from) the quantized model; buffers stay float32.
                let key = roundKey.derived("downlink").derived(UInt64(g))
                let quantized = zip(userStart.parameters.names, userStart.parameters.tensors).map { name, t in
                    QuantizedTensor.quantize(t, bits: downlinkBits, key: key.derived(name))
                }
                downlink[g] = quantized
                userStart.parameters = Simulator.dequantize(quantized, like: userStart.parameters)
            }
            for slot in groups.slots[g] {
                let user = participants[slot]
                let indices = user < data.partition.users.count ? data.partition.users[user] : []
                tasks.append((g, LocalTask(role: .user(id: user), indices: indices, start: userStart,
                                           firstStep: firstStep, key: roundKey.derived("user").derived(UInt64(user)))))
            }
        }
        let wireBits: QuantizedTensor.Bits? = config.wire == "int8" ? .int8 : (config.wire == "int4" ? .int4 : nil)
        return RoundPlan(round: r, participants: participants, groupCount: groups.groupCount, tasks: tasks,
                         wireBits: wireBits, wireKey: roundKey.derived("wire"), downlink: downlink, startedAt: Date())
    }

    /// Trains one task and, for a user on a quantized wire, applies what the wire does to its
    /// update. The same function runs in the simulator's workers and in remote clients.
    public static func execute(_ task: LocalTask, trainer: LocalTrainer, wireBits: QuantizedTensor.Bits?, wireKey: RandomKey? = nil) -> TaskResult {
        let t0 = Date()
        var (update, buffers) = trainer.run(task)
        // Server replicas live at the server: only users' updates cross the wire.
        guard case .user = task.role else { return TaskResult(update: update, buffers: buffers, seconds: Date().timeIntervalSince(t0), uplinkBytes: 0) }
        var bytes = update.parameters.scalarCount * 4
        if let wireBits, let wireKey {
            (update.parameters, bytes) = shipQuantized(update.parameters, from: task.start.parameters, bits: wireBits,
                                                       key: wireKey.derived(task.key.rawValue))
        }
        return TaskResult(update: update, buffers: buffers, seconds: Date().timeIntervalSince(t0), uplinkBytes: bytes)
    }

    /// Completes a round from its aggregated updates: the new global model and group means, the
    /// round's metrics and, on evaluation rounds, test accuracy.
    public func finishRound(_ state: FederationState, aggregator: RoundAggregator, extraMetrics: [String: Double] = [:]) -> (FederationState, RoundSummary) {
        let plan = aggregator.plan
        let r = plan.round
        let dtype = state.global.parameters.tensors.first?.dtype ?? .float32
        let groupMeans = aggregator.means.map { $0.mean(dtype: dtype) ?? state.global.parameters }
        var global = state.global
        if groupMeans.count == 1 {
            global.parameters = groupMeans[0]
        } else {
            var top = WeightedMean()
            for m in groupMeans { top.add(m, weight: 1) }
            global.parameters = top.mean(dtype: dtype)!
        }
        if let replicaBuffers = aggregator.replicaBuffers { global.buffers = replicaBuffers }
        let next = FederationState(round: r, global: global, groups: config.method == .grouping ? groupMeans : [])

        var metrics = extraMetrics
        let clients = aggregator.clients
        let users = clients.filter { $0.client >= 0 }
        for key in ["loss", "mask_rate", "pseudo_label_accuracy"] {
            let values = users.compactMap { $0.metrics[key] }
            if !values.isEmpty { metrics["user_\(key)"] = values.reduce(0, +) / Double(values.count) }
        }
        let serverLosses = clients.filter { $0.client < 0 }.compactMap { $0.metrics["loss"] }
        if !serverLosses.isEmpty { metrics["server_loss"] = serverLosses.reduce(0, +) / Double(serverLosses.count) }
        metrics["uplink_bytes"] = Double(aggregator.uplinkBytes)
        let userCount = plan.tasks.filter { if case .user = $0.task.role { return true } else { return false } }.count
        let perUserDownlink = plan.downlink.values.first.map { $0.reduce(0) { $0 + $1.byteCount } } ?? state.global.parameters.scalarCount * 4
        metrics["downlink_bytes"] = Double(userCount * perUserDownlink)
        metrics["uplink_bytes_fp32"] = Double(aggregator.uplinkFP32Bytes)
        if !aggregator.missing.isEmpty { metrics["missing_updates"] = Double(aggregator.missing.count) }
        if r % config.evaluateEvery == 0 || r == config.rounds {
            let (accuracy, loss) = Evaluator.evaluate(Model(layer, state: global), on: data.test, normalization: data.normalization, workers: config.workers)
            metrics["test_accuracy"] = accuracy
            metrics["test_loss"] = loss
            // With grouping, users restart from their group's mean, so each mean is worth watching.
            if next.groups.count > 1 {
                for (g, parameters) in next.groups.enumerated() {
                    let groupModel = Model(layer, state: ModelState(parameters: parameters, buffers: global.buffers))
                    metrics["group\(g)_test_accuracy"] = Evaluator.evaluate(groupModel, on: data.test, normalization: data.normalization, workers: config.workers).accuracy
                }
            }
        }
        let summary = RoundSummary(round: r, participants: plan.participants, metrics: metrics, startedAt: plan.startedAt.timeIntervalSince1970,
                                   seconds: Date().timeIntervalSince(plan.startedAt), clients: clients)
        return (next, summary)
    }

    /// Gradient diversity (SSFL §III) of the round's members at their start models: computed inside
    /// each group (replica and users), then averaged over groups weighted by member count. Each
    /// member's gradient sums its first 4 batches (SSFL uses a full pass; 4 bounds the cost).
    public func gradientDiversity(_ tasks: [(group: Int, task: LocalTask)]) -> Double? {
        let trainer = self.trainer
        let jobs = tasks.map(\.task)
        var gradients = [Int: [ParameterSet]]()
        WorkerPool.run(count: jobs.count, workers: config.workers, job: { i in trainer.diversityGradient(jobs[i], batches: 4) },
                       consume: { i, g in gradients[tasks[i].group, default: []].append(g) })
        var weighted = 0.0, members = 0
        for (_, group) in gradients.sorted(by: { $0.key < $1.key }) where group.count > 1 {
            guard let d = GradientDiversity.compute(group, excluding: ["bn", "gn"]) else { continue }
            weighted += d * Double(group.count)
            members += group.count
        }
        return members > 0 ? weighted / Double(members) : nil
    }

    /// What the server receives from a client on a quantized wire: the update's delta from its start
    /// model, quantized per tensor with stochastic rounding (unbiased), added back to the start model.
    /// - Returns: the reconstructed parameters and the bytes that crossed the wire.
    static func shipQuantized(_ parameters: ParameterSet, from start: ParameterSet, bits: QuantizedTensor.Bits, key: RandomKey) -> (ParameterSet, Int) {
        let q = quantizeDelta(parameters, from: start, bits: bits, key: key)
        return (reconstruct(start: start, deltas: q), q.reduce(0) { $0 + $1.byteCount })
    }

    /// A client's side of the quantized uplink: `parameters − start`, per tensor, quantized with
    /// stochastic rounding keyed by `key.derived(name)`.
    public static func quantizeDelta(_ parameters: ParameterSet, from start: ParameterSet, bits: QuantizedTensor.Bits, key: RandomKey) -> [QuantizedTensor] {
        precondition(parameters.names == start.names, "[quantizeDelta] parameter names differ from the start model's")
        return zip(parameters.names, zip(parameters.tensors, start.tensors)).map { name, pair in
            QuantizedTensor.quantize(pair.0 - pair.1, bits: bits, key: key.derived(name))
        }
    }

    /// Quantized parameters back in the dtypes (and names) of `template`: what a receiver of a
    /// quantized downlink trains from.
    public static func dequantize(_ quantized: [QuantizedTensor], like template: ParameterSet) -> ParameterSet {
        precondition(quantized.count == template.count, "[dequantize] \(quantized.count) tensors for \(template.count)")
        return template.replacingTensors(zip(quantized, template.tensors).map { $0.dequantized().cast(to: $1.dtype) })
    }

    /// The server's side of the quantized uplink: start + dequantized delta, tensor by tensor.
    public static func reconstruct(start: ParameterSet, deltas: [QuantizedTensor]) -> ParameterSet {
        precondition(deltas.count == start.count, "[reconstruct] \(deltas.count) deltas for \(start.count) tensors")
        return start.replacingTensors(zip(start.tensors, deltas).map { s, q in s + q.dequantized().cast(to: s.dtype) })
    }

    /// Runs (or resumes) the whole simulation, recording every round and a checkpoint after every
    /// `checkpointEvery` rounds.
    /// - Parameter onRound: called after each round is recorded (progress display).
    public func run(recorder: (any RunRecorder)?, onRound: (RoundSummary) -> Void = { _ in }) throws -> FederationState {
        var state = initialState()
        if let recorder, let checkpoint = try recorder.latestCheckpoint(runID: runID) {
            state = try restore(checkpoint)
        }
        while state.round < config.rounds {
            let (next, summary) = runRound(state)
            state = next
            let save = state.round % config.checkpointEvery == 0 || state.round == config.rounds
            try recorder?.record(runID: runID, round: summary, checkpoint: save ? try checkpoint(state) : nil)
            onRound(summary)
        }
        return state
    }

    /// Serialises `state` (global parameters and buffers, group means) as safetensors.
    public func checkpoint(_ state: FederationState) throws -> Checkpoint {
        var all = ParameterSet()
        for (n, t) in state.global.parameters.pairs { all.append("global.param." + n, t) }
        for (n, t) in state.global.buffers.pairs { all.append("global.buffer." + n, t) }
        for (g, set) in state.groups.enumerated() { for (n, t) in set.pairs { all.append("group.\(g)." + n, t) } }
        let blob = try SafeTensors.encode(all, metadata: ["round": String(state.round), "groups": String(state.groups.count), "run": runID])
        return Checkpoint(round: state.round, blob: blob)
    }

    /// Restores a state saved by ``checkpoint(_:)``, checking it against this run's model.
    public func restore(_ checkpoint: Checkpoint) throws -> FederationState {
        let decoded: (tensors: ParameterSet, metadata: [String: String])
        do { decoded = try SafeTensors.decode(checkpoint.blob, source: "checkpoint of round \(checkpoint.round)") } catch {
            throw FoedusError.badCheckpoint(runID: runID, round: checkpoint.round, reason: "\(error)")
        }
        let template = initialState().global
        func take(_ prefix: String, _ names: [String]) throws -> [Tensor] {
            try names.map { n in
                guard let t = decoded.tensors[prefix + n] else { throw FoedusError.badCheckpoint(runID: runID, round: checkpoint.round, reason: "missing \(prefix + n)") }
                return t
            }
        }
        do {
            var global = template
            global.parameters = template.parameters.replacingTensors(try take("global.param.", template.parameters.names))
            global.buffers = template.buffers.replacingTensors(try take("global.buffer.", template.buffers.names))
            global = try template.loading(global.stateDict)
            let groupCount = Int(decoded.metadata["groups"] ?? "0") ?? 0
            let groups = try (0..<groupCount).map { g in template.parameters.replacingTensors(try take("group.\(g).", template.parameters.names)) }
            return FederationState(round: checkpoint.round, global: global, groups: groups)
        } catch let error as FoedusError {
            throw error
        } catch {
            throw FoedusError.badCheckpoint(runID: runID, round: checkpoint.round, reason: "\(error)")
        }
    }
}
