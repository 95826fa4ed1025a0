import Foundation
import FoedusKernels
import FoedusNN
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

    /// Runs the task and returns the trained parameters with local metrics.
    public func run(_ task: LocalTask) -> (update: ClientUpdate, buffers: ParameterSet) {
        precondition(!task.indices.isEmpty, "[LocalTrainer] participant \(task.role) has no examples")
        var model = Model(layer, state: task.start)
        var optimizer = SGD(learningRate: config.learningRate, momentum: config.momentum, nesterov: config.nesterov, weightDecay: config.weightDecay)
        let anchor = task.start.parameters
        var lossSum = 0.0, masked = 0.0, pseudoCorrect = 0.0, seen = 0
        let isServer: Bool = { if case .server = task.role { return true } else { return false } }()
        let supervised = isServer || config.objective == .supervised
        let trainView: View = config.weakAugmentation ? .weak : .plain
        for (t, indices) in batches(task.indices, steps: config.localSteps, key: task.key).enumerated() {
            optimizer.learningRate = schedule.rate(at: task.firstStep + t, base: config.learningRate)
            let stepKey = task.key.derived("step").derived(UInt64(t))
            let labels = views.labels(indices)
            var buffers = model.state.buffers
            var stepMasked = 0.0, stepCorrect = 0.0
            let (loss, grads) = valueAndGradient(of: { (p: ParameterSet) -> Tensor in
                var ctx = LayerContext(parameters: p, buffers: model.state.buffers, mode: .train, key: stepKey.derived("dropout"))
                var l: Tensor
                if supervised {
                    let x = views.batch(indices, view: trainView, key: stepKey.derived("weak"))
                    l = Tensor.meanCrossEntropy(logits: layer.forward(x, context: &ctx), labels: labels)
                } else {
                    let weak = views.batch(indices, view: trainView, key: stepKey.derived("weak"))
                    let pseudoLogits: Tensor, studentLogits: Tensor
                    switch config.objective {
                    case .crl:
                        // One forward over both views, as FixMatch: the weak half gives pseudo-labels.
                        let strong = views.batch(indices, view: config.strongAugmentation ? .strong : trainView, key: stepKey.derived("strong"))
                        let logits = layer.forward(Tensor.concat([weak, strong], axis: 0), context: &ctx)
                        pseudoLogits = logits.slice(axis: 0, 0 ..< indices.count).detached
                        studentLogits = logits.slice(axis: 0, indices.count ..< 2 * indices.count)
                    default:
                        var evalCtx = LayerContext(parameters: p, buffers: model.state.buffers, mode: .eval)
                        pseudoLogits = layer.forward(weak, context: &evalCtx).detached
                        studentLogits = layer.forward(weak, context: &ctx)
                    }
                    let (crl, mask, pseudo) = ConsistencyLoss.loss(pseudoLogits: pseudoLogits, studentLogits: studentLogits, threshold: config.threshold)
                    stepMasked = mask.sum().item
                    let truth = labels.scalars(as: Int32.self)
                    stepCorrect = Double(zip(pseudo, truth).filter { $0 == Int($1) }.count)
                    l = crl
                }
                if proximalMu > 0 {
                    l = l + (p - anchor).dot(p - anchor) * (proximalMu / 2)
                }
                buffers = ctx.buffers
                return l
            }, at: model.state.parameters)
            optimizer.step(&model.state.parameters, gradients: grads)
            model.state.buffers = buffers
            lossSum += loss.item
            masked += stepMasked
            pseudoCorrect += stepCorrect
            seen += indices.count
        }
        var metrics = ["loss": lossSum / Double(config.localSteps)]
        if !supervised {
            metrics["mask_rate"] = masked / Double(seen)
            metrics["pseudo_label_accuracy"] = pseudoCorrect / Double(seen)
        }
        return (ClientUpdate(client: task.clientID, parameters: model.state.parameters, examples: seen, metrics: metrics), model.state.buffers)
    }
}
