import Foundation
import FoedusKernels
import FoedusNN
import FoedusQuant
import FoedusTensor

/// One unit of local work in a round: T optimizer steps of one participant from a start model.
public struct LocalTask: Sendable {
    /// Who trains.
    public enum Role: Sendable, Equatable {
        /// Server replica `g` on the labeled set.
        case server(replica: Int)
        /// User `id` on its own (unlabeled, unless the objective is supervised) data.
        case user(id: Int)
    }

    public var role: Role
    /// Training-set indices this participant holds.
    public var indices: [Int]
    /// Where training starts.
    public var start: ModelState
    /// Global step of the first local step (drives the learning-rate schedule).
    public var firstStep: Int
    /// Root of every random draw of this task (batch order, augmentation, dropout).
    public var key: RandomKey

    public init(role: Role, indices: [Int], start: ModelState, firstStep: Int, key: RandomKey) {
        self.role = role
        self.indices = indices
        self.start = start
        self.firstStep = firstStep
        self.key = key
    }

    /// The client id recorded for this task: users keep their id, replica g becomes −(g + 1).
    public var clientID: Int {
        switch role {
        case .server(let g): return -(g + 1)
        case .user(let id): return id
        }
    }
}

/// Runs local training for the SSFL objectives: supervised cross-entropy for server replicas
/// (and for users in the supervised-FL baseline), consistency regularisation (CRL) or
/// self-training (SF) for users with unlabeled data.
public struct LocalTrainer: Sendable {
    public let layer: any Layer
    public let config: SimulationConfig
    public let views: any ViewMaker
    public let schedule: LearningRateSchedule
    public let proximalMu: Double

    public init(layer: any Layer, config: SimulationConfig, views: any ViewMaker, schedule: LearningRateSchedule, proximalMu: Double) {
        self.layer = layer
        self.config = config
        self.views = views
        self.schedule = schedule
        self.proximalMu = proximalMu
    }

    /// The trainer a run's config implies: its learning-rate schedule (cosine over rounds × T local
    /// steps with the configured warm-up, or constant) over `views` of the participant's data.
    /// Simulator workers and remote clients build it the same way, so they train identically.
    public init(config: SimulationConfig, layer: any Layer, views: any ViewMaker, proximalMu: Double) {
        let totalSteps = config.rounds * config.localSteps
        let schedule: LearningRateSchedule = config.schedule == "cosine"
            ? .cosine(totalSteps: totalSteps, warmupSteps: config.warmupRounds * config.localSteps) : .constant
        self.init(layer: layer, config: config, views: views, schedule: schedule, proximalMu: proximalMu)
    }

    /// Batches of this round: the participant's indices in a fresh seeded order, cycled if the
    /// participant holds fewer than `steps · batchSize` examples.
    func batches(_ indices: [Int], steps: Int, key: RandomKey) -> [[Int]] {
        let b = min(config.batchSize, indices.count)
        var out: [[Int]] = []
        var pass = 0
        var order: [Int] = []
        var position = 0
        while out.count < steps {
            if position + b > order.count {
                var stream = RandomStream(key: key.derived("order").derived(UInt64(pass)))
                order = stream.permutation(indices.count).map { indices[$0] }
                position = 0
                pass += 1
            }
            out.append(Array(order[position ..< position + b]))
            position += b
        }
        return out
    }

    /// The loss of one local step at parameters `p` (differentiable), the buffers the forward pass
    /// updated, the number of confident pseudo-labels and how many of them are right.
    func stepLoss(_ p: ParameterSet, buffers: ParameterSet, indices: [Int], labels: Tensor, key: RandomKey, supervised: Bool,
                  anchor: ParameterSet, arithmetic: (any LayerArithmetic)? = nil) -> (loss: Tensor, buffers: ParameterSet, masked: Double, correct: Double) {
        let trainView: View = config.weakAugmentation ? .weak : .plain
        var ctx = LayerContext(parameters: p, buffers: buffers, mode: .train, key: key.derived("dropout"), arithmetic: arithmetic)
        var l: Tensor
        var masked = 0.0, correct = 0.0
        if supervised {
            let x = views.batch(indices, view: trainView, key: key.derived("weak"))
            l = Tensor.meanCrossEntropy(logits: layer.forward(x, context: &ctx), labels: labels)
        } else {
            let weak = views.batch(indices, view: trainView, key: key.derived("weak"))
            let pseudoLogits: Tensor, studentLogits: Tensor
            switch config.objective {
            case .crl:
                // One forward over both views, as FixMatch: the weak half gives pseudo-labels.
                let strong = views.batch(indices, view: config.strongAugmentation ? .strong : trainView, key: key.derived("strong"))
                let logits = layer.forward(Tensor.concat([weak, strong], axis: 0), context: &ctx)
                pseudoLogits = logits.slice(axis: 0, 0 ..< indices.count).detached
                studentLogits = logits.slice(axis: 0, indices.count ..< 2 * indices.count)
            default:
                var evalCtx = LayerContext(parameters: p, buffers: buffers, mode: .eval, arithmetic: arithmetic)
                pseudoLogits = layer.forward(weak, context: &evalCtx).detached
                studentLogits = layer.forward(weak, context: &ctx)
            }
            let (crl, mask, pseudo) = ConsistencyLoss.loss(pseudoLogits: pseudoLogits, studentLogits: studentLogits, threshold: config.threshold)
            masked = mask.sum().item
            let truth = labels.scalars(as: Int32.self)
            correct = Double(zip(zip(pseudo, truth), mask.doubles).filter { $0.0.0 == Int($0.0.1) && $0.1 > 0 }.count)
            l = crl
        }
        if proximalMu > 0 {
            l = l + (p - anchor).dot(p - anchor) * (proximalMu / 2)
        }
        return (l, ctx.buffers, masked, correct)
    }

    func isSupervised(_ task: LocalTask) -> Bool {
        if case .server = task.role { return true }
        return config.objective == .supervised
    }

    /// Runs the task and returns the trained parameters with local metrics.
    public func run(_ task: LocalTask) -> (update: ClientUpdate, buffers: ParameterSet) {
        precondition(!task.indices.isEmpty, "[LocalTrainer] participant \(task.role) has no examples")
        var model = Model(layer, state: task.start)
        let supervised = isSupervised(task)
        let baseRate: Double = { if case .server = task.role { return config.learningRate } else { return config.userLearningRate } }()
        var optimizer = SGD(learningRate: baseRate, momentum: config.momentum, nesterov: config.nesterov, weightDecay: config.weightDecay)
        let anchor = task.start.parameters
        // Users train with the configured precision (QAT/FQT); server replicas in float.
        let arithmetic: (any LayerArithmetic)? = { if case .user = task.role { return config.userTraining.arithmetic() } else { return nil } }()
        var lossSum = 0.0, masked = 0.0, correct = 0.0, seen = 0
        for (t, indices) in batches(task.indices, steps: config.localSteps, key: task.key).enumerated() {
            optimizer.learningRate = schedule.rate(at: task.firstStep + t, base: baseRate)
            let stepKey = task.key.derived("step").derived(UInt64(t))
            let labels = views.labels(indices)
            var buffers = model.state.buffers
            var stepMasked = 0.0, stepCorrect = 0.0
            let (loss, grads) = valueAndGradient(of: { (p: ParameterSet) -> Tensor in
                let r = stepLoss(p, buffers: model.state.buffers, indices: indices, labels: labels, key: stepKey, supervised: supervised, anchor: anchor,
                                 arithmetic: arithmetic)
                buffers = r.buffers
                stepMasked = r.masked
                stepCorrect = r.correct
                return r.loss
            }, at: model.state.parameters)
            optimizer.step(&model.state.parameters, gradients: grads)
            model.state.buffers = buffers
            lossSum += loss.item
            masked += stepMasked
            correct += stepCorrect
            seen += indices.count
        }
        var metrics = ["loss": lossSum / Double(config.localSteps)]
        if !supervised {
            metrics["mask_rate"] = masked / Double(seen)
            // Accuracy of the confident pseudo-labels against the (hidden) true labels.
            if masked > 0 { metrics["pseudo_label_accuracy"] = correct / masked }
        }
        return (ClientUpdate(client: task.clientID, parameters: model.state.parameters, examples: seen, metrics: metrics), model.state.buffers)
    }

    /// The task's loss gradient at its start model, summed over its first `batches` batches, with
    /// no optimizer step: the per-client gradient of the gradient-diversity measurement.
    public func diversityGradient(_ task: LocalTask, batches count: Int) -> ParameterSet {
        let supervised = isSupervised(task)
        var total: ParameterSet?
        for (t, indices) in batches(task.indices, steps: count, key: task.key.derived("diversity")).enumerated() {
            let labels = views.labels(indices)
            let g = gradient(of: { (p: ParameterSet) -> Tensor in
                stepLoss(p, buffers: task.start.buffers, indices: indices, labels: labels, key: task.key.derived("diversity-step").derived(UInt64(t)),
                         supervised: supervised, anchor: task.start.parameters).loss
            }, at: task.start.parameters)
            total = total.map { $0 + g } ?? g
        }
        return total!
    }
}
