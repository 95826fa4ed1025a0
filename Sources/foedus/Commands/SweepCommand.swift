import ArgumentParser
import Foedus
import FoedusStore
import Foundation

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a grid of simulations: every combination of the --grid values and seeds.",
        discussion: """
        Grid keys are dotted config paths or the shorthands R, K, Ns, C, T, method, objective, model, groups, rounds.
        Each member's run id is derived from its effective config, so a repeated sweep skips finished members and
        resumes unfinished ones.
        Example: foedus sweep simulations/fmnist-r-sweep.yaml --grid R=0,0.4,0.8,1.0 --grid method=labeled-only,fedavg,grouping --seeds 1,2
        """)

    @Argument(help: "The base config.") var config: String
    @Option(help: "key=v1,v2,… (repeatable).") var grid: [String] = []
    @Option(help: "Seeds, comma-separated (default: the config's seed).") var seeds: String?
    @Option(name: .customLong("set"), help: "Override applied to every member (repeatable).") var overrides: [String] = []
    @Option(help: "Worker threads per run.") var workers: Int?
    @Option(help: "Run database.") var db: String?
    @Flag(help: "List the members and their state without running anything.") var dryRun = false
    @Flag(help: "Print one JSON summary on stdout.") var json = false
    @Flag(help: "No progress output.") var quiet = false

    static let shorthands = ["R": "data.partition.R", "K": "data.partition.K", "Ns": "data.partition.Ns", "C": "federation.clients_per_round",
                             "T": "federation.local_steps", "method": "federation.method", "objective": "federation.objective",
                             "model": "model.name", "groups": "federation.groups", "rounds": "federation.rounds", "seed": "seed"]

    /// Every combination of grid values (first key varies slowest) times seeds, as override lists.
    func members() throws -> [[String]] {
        var combos: [[String]] = [[]]
        for g in grid {
            guard let eq = g.firstIndex(of: "="), eq != g.startIndex else { throw ValidationError("--grid '\(g)': expected key=v1,v2") }
            let key = String(g[..<eq]), path = Sweep.shorthands[key] ?? key
            let values = g[g.index(after: eq)...].split(separator: ",").map(String.init)
            guard !values.isEmpty else { throw ValidationError("--grid '\(g)': no values") }
            combos = combos.flatMap { c in values.map { c + ["\(path)=\($0)"] } }
        }
        if let seeds {
            let list = seeds.split(separator: ",").map(String.init)
            guard list.allSatisfy({ UInt64($0) != nil }) else { throw ValidationError("--seeds must be comma-separated integers") }
            combos = combos.flatMap { c in list.map { c + ["seed=\($0)"] } }
        }
        return combos.map { overrides + $0 }
    }

    func run() throws {
        let store = try RunStore(path: RunSupport.databasePath(db))
        let members = try members()
        var results: [[String: Any]] = []
        for (i, memberOverrides) in members.enumerated() {
            var cfg = try SimulationConfig.load(path: config, overrides: memberOverrides)
            let id = "\(cfg.name)-\(RunSupport.configHash(cfg).prefix(12))"
            let existing = try? store.run(id: id)
            let label = memberOverrides.suffix(memberOverrides.count - overrides.count).joined(separator: " ")
            if existing?.status == .finished {
                if !quiet { Log.stderr("[\(i + 1)/\(members.count)] \(id) (\(label)): finished, skipped") }
                results.append(["run_id": id, "overrides": label, "state": "skipped"])
                continue
            }
            if dryRun {
                Log.stderr("[\(i + 1)/\(members.count)] \(id) (\(label)): \(existing.map { "\($0.status.rawValue), would resume" } ?? "would start")")
                results.append(["run_id": id, "overrides": label, "state": existing == nil ? "pending" : "resumable"])
                continue
            }
            if existing == nil {
                try store.createRun(RunRecord(id: id, name: cfg.name, kind: .sweepMember, configYAML: cfg.sourceYAML, configJSON: RunSupport.canonicalJSON(cfg),
                                              seed: cfg.seed, codeVersion: RunSupport.codeVersion, status: .created,
                                              createdAt: Date().timeIntervalSince1970, totalRounds: cfg.rounds))
            }
            if let workers { cfg.workers = workers }
            if !quiet { Log.stderr("[\(i + 1)/\(members.count)] \(id) (\(label))") }
            var summary = try SimulationRunner.execute(config: cfg, runID: id, store: store, quiet: quiet, out: nil)
            summary["overrides"] = label
            summary["state"] = "ran"
            results.append(summary)
        }
        if json { try printJSON(["command": "sweep", "config": config, "members": results]) }
    }
}
