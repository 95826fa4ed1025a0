import FoedusData
import FoedusKernels
import FoedusQuant
import Foundation
import Yams

/// A federated experiment, as written in a `simulations/*.yaml` file. Every field is documented
/// in `simulations/README.md`; unknown fields and invalid values are rejected with their path.
public struct SimulationConfig: Sendable, Equatable {
    /// How the global model is trained.
    public enum Method: String, Sendable, CaseIterable {
        /// The server trains on its labeled set alone (no users): the lower baseline.
        case labeledOnly = "labeled-only"
        /// Server and sampled users are averaged into one model each round (SSFL's FedAvg).
        case fedavg
        /// Grouping-based model averaging (SSFL §IV): groups of users, each with a server replica.
        case grouping
        /// FedAvg where clients add the proximal term μ/2‖w − w_global‖².
        case fedprox
    }

    /// What users optimise locally.
    public enum Objective: String, Sendable, CaseIterable {
        /// Consistency regularisation: pseudo-label from the weak view, CE on the strong view.
        case crl
        /// Self-training: pseudo-label from an eval-mode forward of the same weak view.
        case sf
        /// Users see labels (supervised-FL baseline).
        case supervised
    }

    public enum Aggregation: String, Sendable { case uniform, examples }

    public var name: String
    public var seed: UInt64
    // Data
    public var dataset: String
    public var dataDirectory: String?
    public var partitionKind: String
    public var users: Int
    public var nonIID: Double
    public var labeled: Int
    public var dirichletAlpha: Double
    public var shardsPerUser: Int
    // Model
    public var model: String
    public var modelWidth: Int
    // Federation
    public var method: Method
    public var objective: Objective
    public var rounds: Int
    public var clientsPerRound: Int
    public var localSteps: Int
    public var groups: Int
    public var aggregation: Aggregation
    public var proximalMu: Double
    /// How client updates travel: `fp32`, or `int8`/`int4` quantized deltas (stochastic rounding).
    public var wire: String
    /// How the start model travels to users: `fp32`, or `int8`/`int4` per-channel quantized weights
    /// (stochastic rounding); users train from the dequantized model.
    public var downlink: String
    /// Labeled warm-up: the first `labeledRounds` rounds train the server alone (users join after).
    public var labeledRounds: Int
    // Local training
    public var batchSize: Int
    public var learningRate: Double
    /// Base learning rate of users' local training (default: `learningRate`).
    public var userLearningRate: Double
    public var momentum: Double
    public var nesterov: Bool
    public var weightDecay: Double
    public var schedule: String
    public var warmupRounds: Int
    public var threshold: Double
    /// How users train locally (`training.precision`, `gradient_quantizer`, `gradient_bits`,
    /// `weight_gradient_bits`); server replicas train in float.
    public var userTraining: QuantizedTraining
    public var weakAugmentation: Bool
    public var horizontalFlip: Bool
    public var strongAugmentation: Bool
    /// Cutout side of the strong view in pixels (`nil`: the reference's ⌊width / 2⌋; 0: none).
    public var cutoutSize: Int?
    /// RandAugment operations per strong view (the reference: 2).
    public var strongOperations: Int
    /// Largest RandAugment magnitude (the reference: 9, magnitudes uniform on 1…9).
    public var strongMagnitude: Int

    /// The strong augmentation these fields describe (geometric fill 0, as the reference's PIL calls).
    public var strongAugmentationSettings: StrongAugmentation {
        StrongAugmentation(horizontalFlip: horizontalFlip, cutoutSize: cutoutSize, fill: 0,
                           operations: strongOperations, maxMagnitude: strongMagnitude)
    }

    // The strength keys appear only when they differ from the reference, so configurations
    // written before they existed keep their hash (and `foedus sweep` still finds their runs).
    private var augmentationDictionary: [String: Any] {
        var d: [String: Any] = ["weak": weakAugmentation, "flip": horizontalFlip, "strong": strongAugmentation]
        if let cutoutSize { d["cutout"] = cutoutSize }
        if strongOperations != StrongAugmentation.referenceOperations { d["ops"] = strongOperations }
        if strongMagnitude != StrongAugmentation.referenceMaxMagnitude { d["magnitude"] = strongMagnitude }
        return d
    }
    // Evaluation and running
    public var evaluateEvery: Int
    public var testLimit: Int?
    public var gradientDiversityEvery: Int
    public var workers: Int
    public var checkpointEvery: Int

    /// The effective configuration as YAML (the file with every override applied), stored with
    /// the run so that `--resume` rebuilds exactly the same experiment.
    public var sourceYAML: String = ""

    /// Parses and validates a YAML config, applying `overrides` (`federation.rounds=50`) first.
    public static func parse(yaml: String, source: String = "<config>", overrides: [String] = []) throws -> SimulationConfig {
        let tree = try ConfigTree.applying(overrides, to: ConfigTree.parse(yaml, source: source))
        var config = try SimulationConfig(tree: tree)
        // The effective configuration (file plus overrides) is what a resumed run must reuse.
        do { config.sourceYAML = try Yams.dump(object: tree, sortKeys: true) } catch {
            throw FoedusError.malformedConfig(source: source, reason: "cannot serialise the effective configuration: \(error)")
        }
        return config
    }

    /// Loads a YAML file.
    public static func load(path: String, overrides: [String] = []) throws -> SimulationConfig {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw FoedusError.malformedConfig(source: path, reason: "cannot read the file as UTF-8 text")
        }
        return try parse(yaml: text, source: path, overrides: overrides)
    }

    init(tree values: [String: Any]) throws {
        var root = ConfigTree(values)
        name = try root.string("name", default: "simulation")
        let seedValue = try root.int("seed", default: 1, range: 0...Int.max)
        seed = UInt64(seedValue)
        var data = try root.child("data")
        dataset = try data.string("dataset", default: "fashion-mnist")
        dataDirectory = try data.optionalString("data_dir")
        var part = try data.child("partition")
        partitionKind = try part.string("kind", default: "ssfl", allowed: ["ssfl", "iid", "dirichlet", "shards"])
        users = try part.int("K", default: 10, range: 1...100_000)
        nonIID = try part.double("R", default: 0.4, range: 0...1)
        labeled = try part.int("Ns", default: 1000, range: 0...10_000_000)
        dirichletAlpha = try part.double("alpha", default: 0.5, range: 1e-6...1e6)
        shardsPerUser = try part.int("shards_per_user", default: 2, range: 1...1000)
        try part.rejectUnknown()
        try data.rejectUnknown()

        var m = try root.child("model")
        model = try m.string("name", default: "cnn-gn")
        modelWidth = try m.int("width", default: 16, range: 1...1024)
        try m.rejectUnknown()

        var fed = try root.child("federation")
        method = Method(rawValue: try fed.string("method", default: "grouping", allowed: Method.allCases.map(\.rawValue)))!
        objective = Objective(rawValue: try fed.string("objective", default: "crl", allowed: Objective.allCases.map(\.rawValue)))!
        rounds = try fed.int("rounds", default: 50, range: 1...10_000_000)
        clientsPerRound = try fed.int("clients_per_round", default: users, range: 1...users)
        localSteps = try fed.int("local_steps", default: 16, range: 1...1_000_000)
        groups = try fed.int("groups", default: 2, range: 1...clientsPerRound)
        aggregation = Aggregation(rawValue: try fed.string("aggregation", default: "uniform", allowed: ["uniform", "examples"]))!
        proximalMu = try fed.double("mu", default: method == .fedprox ? 0.01 : 0, range: 0...1e6)
        let wireValue = try fed.raw("wire") == nil ? nil : fed.string("wire", allowed: ["fp32", "int8", "int4"])
        labeledRounds = try fed.int("labeled_rounds", default: 0, range: 0...rounds)
        downlink = try fed.string("downlink", default: "fp32", allowed: ["fp32", "int8", "int4"])
        try fed.rejectUnknown()

        var t = try root.child("training")
        batchSize = try t.int("batch_size", default: 64, range: 1...65536)
        learningRate = try t.double("lr", default: 0.05, range: 1e-12...1e3)
        userLearningRate = try t.double("user_lr", default: learningRate, range: 1e-12...1e3)
        momentum = try t.double("momentum", default: 0.9, range: 0...0.999999)
        nesterov = try t.bool("nesterov", default: true)
        weightDecay = try t.double("weight_decay", default: 1e-4, range: 0...1)
        schedule = try t.string("schedule", default: "cosine", allowed: ["constant", "cosine"])
        warmupRounds = try t.int("warmup_rounds", default: 0, range: 0...rounds)
        threshold = try t.double("threshold", default: 0.95, range: 0...1)
        let precision = QuantizedTraining.Precision(rawValue: try t.string("precision", default: "fp32", allowed: QuantizedTraining.Precision.allCases.map(\.rawValue)))!
        let gradientQuantizer = GradientQuantizerKind(rawValue: try t.string("gradient_quantizer", default: "ptq", allowed: GradientQuantizerKind.allCases.map(\.rawValue)))!
        userTraining = QuantizedTraining(precision: precision, gradientQuantizer: gradientQuantizer,
                                         gradientBits: try t.int("gradient_bits", default: 8, range: 2...8),
                                         weightGradientBits: try t.int("weight_gradient_bits", default: 8, range: 2...8))
        // Clients that train quantized ship integer weights unless told otherwise.
        wire = wireValue ?? (precision == .fp32 ? "fp32" : "int8")
        var aug = try t.child("augmentation")
        weakAugmentation = try aug.bool("weak", default: true)
        horizontalFlip = try aug.bool("flip", default: false)
        strongAugmentation = try aug.bool("strong", default: true)
        cutoutSize = try aug.raw("cutout") == nil ? nil : aug.int("cutout", default: 0, range: 0...1024)
        strongOperations = try aug.int("ops", default: StrongAugmentation.referenceOperations, range: 0...16)
        strongMagnitude = try aug.int("magnitude", default: StrongAugmentation.referenceMaxMagnitude, range: 1...StrongAugmentation.referenceMaxMagnitude)
        try aug.rejectUnknown()
        try t.rejectUnknown()
        if nesterov && momentum == 0 { throw FoedusError.invalidConfig(path: "training.nesterov", reason: "needs training.momentum > 0") }

        var e = try root.child("evaluation")
        evaluateEvery = try e.int("every", default: 5, range: 1...10_000_000)
        let limit = try e.int("test_limit", default: 0, range: 0...10_000_000)
        testLimit = limit == 0 ? nil : limit
        gradientDiversityEvery = try e.int("gradient_diversity_every", default: 0, range: 0...10_000_000)
        try e.rejectUnknown()

        var r = try root.child("run")
        workers = try r.int("workers", default: 2, range: 1...256)
        checkpointEvery = try r.int("checkpoint_every", default: 1, range: 1...10_000_000)
        try r.rejectUnknown()
        try root.rejectUnknown()

        if method == .grouping && groups > clientsPerRound {
            throw FoedusError.invalidConfig(path: "federation.groups", reason: "\(groups) groups for \(clientsPerRound) clients per round")
        }
    }

    /// The configuration as a JSON-compatible dictionary (stored with the run, shown by `runs show`).
    public var dictionary: [String: Any] {
        [
            "name": name, "seed": seed,
            "data": ["dataset": dataset, "data_dir": dataDirectory as Any,
                     "partition": ["kind": partitionKind, "K": users, "R": nonIID, "Ns": labeled, "alpha": dirichletAlpha, "shards_per_user": shardsPerUser]],
            "model": ["name": model, "width": modelWidth],
            "federation": ["method": method.rawValue, "objective": objective.rawValue, "rounds": rounds, "clients_per_round": clientsPerRound,
                           "local_steps": localSteps, "groups": groups, "aggregation": aggregation.rawValue, "mu": proximalMu, "wire": wire,
                           "labeled_rounds": labeledRounds, "downlink": downlink],
            "training": ["batch_size": batchSize, "lr": learningRate, "user_lr": userLearningRate, "momentum": momentum, "nesterov": nesterov, "weight_decay": weightDecay,
                         "schedule": schedule, "warmup_rounds": warmupRounds, "threshold": threshold,
                         "precision": userTraining.precision.rawValue, "gradient_quantizer": userTraining.gradientQuantizer.rawValue,
                         "gradient_bits": userTraining.gradientBits, "weight_gradient_bits": userTraining.weightGradientBits,
                         "augmentation": augmentationDictionary],
            "evaluation": ["every": evaluateEvery, "test_limit": testLimit ?? 0, "gradient_diversity_every": gradientDiversityEvery],
            "run": ["workers": workers, "checkpoint_every": checkpointEvery],
        ]
    }
}
