import ArgumentParser
import Foedus
import FoedusData
import FoedusKernels
import FoedusNN
import FoedusStore
import Foundation

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a federated simulation from a YAML config (many clients on this machine).",
        discussion: "Every round is stored in SQLite with a checkpoint; a killed run continues with --resume RUN_ID and ends with the same model as an uninterrupted one.")

    @Argument(help: "The experiment config (simulations/*.yaml). Not needed with --resume.") var config: String?
    @Option(name: .customLong("set"), help: "Override a config field: --set data.partition.R=0.8 (repeatable).") var overrides: [String] = []
    @Option(help: "Continue the stored run RUN_ID.") var resume: String?
    @Option(help: "Worker threads (changes speed only, never results).") var workers: Int?
    @Option(help: "Run database (default: FOEDUS_DB or runs/foedus.sqlite).") var db: String?
    @Option(help: "Run id (default: the config name, time and config hash).") var runID: String?
    @Option(help: "Write the final global model here (safetensors).") var out: String?
    @Flag(help: "Print one JSON summary on stdout.") var json = false
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
        if (config == nil) == (resume == nil) { throw ValidationError("give a config file or --resume RUN_ID (not both)") }
        if let workers, workers < 1 { throw ValidationError("--workers must be positive") }
    }

    func run() throws {
        let store = try RunStore(path: RunSupport.databasePath(db))
        var cfg: SimulationConfig
        let id: String
        if let resume {
            let record = try store.run(id: resume)
            cfg = try SimulationConfig.parse(yaml: record.configYAML, source: "run \(resume)")
            id = resume
        } else {
            cfg = try SimulationConfig.load(path: config!, overrides: overrides)
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
            id = runID ?? "\(cfg.name)-\(stamp)-\(RunSupport.configHash(cfg).prefix(6))"
            try store.createRun(RunRecord(id: id, name: cfg.name, kind: .simulate, configYAML: cfg.sourceYAML, configJSON: RunSupport.canonicalJSON(cfg),
                                          seed: cfg.seed, codeVersion: RunSupport.codeVersion, status: .created, createdAt: Date().timeIntervalSince1970, totalRounds: cfg.rounds))
        }
        if let workers { cfg.workers = workers }
        let summary = try SimulationRunner.execute(config: cfg, runID: id, store: store, quiet: quiet, out: out)
        if json { try printJSON(summary) }
    }
}

/// Runs one stored simulation to the end (shared by `simulate` and `sweep`).
enum SimulationRunner {
    static func execute(config: SimulationConfig, runID: String, store: RunStore, quiet: Bool, out: String?) throws -> [String: Any] {
        let started = Date()
        let data = try SimulationData.load(config)
        let simulator = try Simulator(config: config, data: data, runID: runID)
        try store.updateStatus(runID: runID, status: .running)
        let done = try store.rounds(runID: runID).count
        if !quiet {
            Log.stderr("foedus simulate: run \(runID): \(config.method.rawValue)/\(config.objective.rawValue), \(config.model), K=\(config.users) C=\(config.clientsPerRound) R=\(config.nonIID) Ns=\(data.partition.server.count) T=\(config.localSteps), \(config.rounds) rounds, \(config.workers) workers" + (done > 0 ? ", resuming after round \(done)" : ""))
        }
        var progress = Progress(total: config.rounds, label: "round", quiet: quiet)
        var lastAccuracy: Double?
        let final: FederationState
        do {
            final = try simulator.run(recorder: store) { round in
                if let a = round.metrics["test_accuracy"] { lastAccuracy = a }
                let acc = lastAccuracy.map { String(format: "acc %.2f%%", $0 * 100) } ?? "acc —"
                let loss = round.metrics["user_loss"] ?? round.metrics["server_loss"] ?? .nan
                progress.update(round.round, String(format: "%@ loss %.4f %.1f s/round", acc, loss, round.seconds))
            }
        } catch {
            try? store.updateStatus(runID: runID, status: .failed, error: "\(error)")
            throw error
        }
        let (sha, bytes) = try RunSupport.weightsSHA256(final.global)
        try store.finish(runID: runID, finalSHA256: sha)
        if let out {
            let url = URL(fileURLWithPath: out)
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url, options: .atomic)
        }
        let rounds = try store.rounds(runID: runID)
        let accuracy = rounds.last(where: { $0.metrics["test_accuracy"] != nil })?.metrics["test_accuracy"]
        if !quiet, let accuracy { Log.stderr(String(format: "run %@ finished: test accuracy %.2f%%, final weights sha256 %@", runID, accuracy * 100, sha)) }
        return ["command": "simulate", "run_id": runID, "rounds": rounds.count, "test_accuracy": accuracy as Any,
                "final_sha256": sha, "wall_seconds": Date().timeIntervalSince(started), "method": config.method.rawValue,
                "R": config.nonIID, "seed": config.seed]
    }
}
