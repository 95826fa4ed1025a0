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
    let root: RandomKey
    let strategy: any Strategy
    let trainer: LocalTrainer
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
        let totalSteps = config.rounds * config.localSteps
        let schedule: LearningRateSchedule = config.schedule == "cosine"
            ? .cosine(totalSteps: totalSteps, warmupSteps: config.warmupRounds * config.localSteps) : .constant
        let views = DatasetViews(dataset: train, normalization: data.normalization, flip: config.horizontalFlip)
        trainer = LocalTrainer(layer: layer, config: config, views: views, schedule: schedule, proximalMu: strategy.proximalMu)
        sampler = config.method == .labeledOnly ? nil : ClientSampler(clients: config.users, perRound: config.clientsPerRound, key: root.derived("sampler"))
    }

    /// The state before round 1: the model initialised from the run's seed.
    public func initialState() -> FederationState {
        FederationState(round: 0, global: ModelState(layer, key: root.derived("init")), groups: [])
    }

    var groupCount: Int { config.method == .grouping ? config.groups : 1 }

    /// Runs one round from `state` and returns the new state and the round's summary.
    public func runRound(_ state: FederationState) -> (FederationState, RoundSummary) {
        let r = state.round + 1
        let started = Date()
        let participants = sampler?.sample(round: r) ?? []
        let plan = GroupPlan(participants: participants.count, groups: participants.isEmpty ? 1 : groupCount)
        var tasks: [(group: Int, task: LocalTask)] = []
        let roundKey = root.derived("round").derived(UInt64(r))
        let firstStep = (r - 1) * config.localSteps
        for g in 0..<plan.groupCount {
            if !data.partition.server.isEmpty {
                tasks.append((g, LocalTask(role: .server(replica: g), indices: data.partition.server, start: state.global,
                                           firstStep: firstStep, key: roundKey.derived("replica").derived(UInt64(g)))))
            }
            let userStart = state.groups.count == plan.groupCount
                ? ModelState(parameters: state.groups[g], buffers: state.global.buffers) : state.global
            for slot in plan.slots[g] {
                let user = participants[slot]
                tasks.append((g, LocalTask(role: .user(id: user), indices: data.partition.users[user], start: userStart,
                                           firstStep: firstStep, key: roundKey.derived("user").derived(UInt64(user)))))
            }
        }
        let diversity = config.gradientDiversityEvery > 0 && r % config.gradientDiversityEvery == 0
            ? gradientDiversity(tasks) : nil
        var means = [WeightedMean](repeating: WeightedMean(), count: plan.groupCount)
        var clients: [ClientResultSummary] = []
        var replicaBuffers: ParameterSet?
        let trainer = self.trainer, strategy = self.strategy
        let jobs = tasks.map(\.task)
        let wire: QuantizedTensor.Bits? = config.wire == "int8" ? .int8 : (config.wire == "int4" ? .int4 : nil)
        var uplinkBytes = 0, uplinkFP32Bytes = 0
        WorkerPool.run(count: tasks.count, workers: config.workers, job: { i -> (ClientUpdate, ParameterSet, Double, Int) in
            let t0 = Date()
            var (update, buffers) = trainer.run(jobs[i])
            // Server replicas live at the server: only users' updates cross the wire.
            guard case .user = jobs[i].role else { return (update, buffers, Date().timeIntervalSince(t0), 0) }
            var bytes = update.parameters.scalarCount * 4
            if let wire {
                (update.parameters, bytes) = Simulator.shipQuantized(update.parameters, from: jobs[i].start.parameters, bits: wire,
                                                                      key: roundKey.derived("wire").derived(jobs[i].key.rawValue))
            }
            return (update, buffers, Date().timeIntervalSince(t0), bytes)
        }, consume: { i, result in
            let (update, buffers, seconds, bytes) = result
            if update.client >= 0 {
                uplinkBytes += bytes
                uplinkFP32Bytes += update.parameters.scalarCount * 4
            }
            means[tasks[i].group].add(update.parameters, weight: strategy.weight(of: update))
            if replicaBuffers == nil, case .server = tasks[i].task.role { replicaBuffers = buffers }
            clients.append(ClientResultSummary(client: update.client, examples: update.examples, metrics: update.metrics, seconds: seconds))
        })
        let dtype = state.global.parameters.tensors.first?.dtype ?? .float32
        let groupMeans = means.map { $0.mean(dtype: dtype) ?? state.global.parameters }
        var global = state.global
        if groupMeans.count == 1 {
            global.parameters = groupMeans[0]
        } else {
            var top = WeightedMean()
            for m in groupMeans { top.add(m, weight: 1) }
            global.parameters = top.mean(dtype: dtype)!
        }
        if let replicaBuffers { global.buffers = replicaBuffers }
        let next = FederationState(round: r, global: global, groups: config.method == .grouping ? groupMeans : [])

        var metrics: [String: Double] = [:]
        let users = clients.filter { $0.client >= 0 }
        for key in ["loss", "mask_rate", "pseudo_label_accuracy"] {
            let values = users.compactMap { $0.metrics[key] }
            if !values.isEmpty { metrics["user_\(key)"] = values.reduce(0, +) / Double(values.count) }
        }
        let serverLosses = clients.filter { $0.client < 0 }.compactMap { $0.metrics["loss"] }
        if !serverLosses.isEmpty { metrics["server_loss"] = serverLosses.reduce(0, +) / Double(serverLosses.count) }
        if let diversity { metrics["gradient_diversity"] = diversity }
        metrics["uplink_bytes"] = Double(uplinkBytes)
        metrics["uplink_bytes_fp32"] = Double(uplinkFP32Bytes)
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
        let summary = RoundSummary(round: r, participants: participants, metrics: metrics, startedAt: started.timeIntervalSince1970,
                                   seconds: Date().timeIntervalSince(started), clients: clients)
        return (next, summary)
    }

    /// Gradient diversity (SSFL §III) of the round's members at their start models: computed inside
    /// each group (replica and users), then averaged over groups weighted by member count. Each
    /// member's gradient sums its first 4 batches (SSFL uses a full pass; 4 bounds the cost).
    func gradientDiversity(_ tasks: [(group: Int, task: LocalTask)]) -> Double? {
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
        precondition(parameters.names == start.names, "[shipQuantized] parameter names differ from the start model's")
        var bytes = 0
        var received: [Tensor] = []
        for (name, (p, s)) in zip(parameters.names, zip(parameters.tensors, start.tensors)) {
            let q = QuantizedTensor.quantize(p - s, bits: bits, key: key.derived(name))
            bytes += q.byteCount
            received.append(s + q.dequantized().cast(to: s.dtype))
        }
        return (parameters.replacingTensors(received), bytes)
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
