import ArgumentParser
import Foedus
import FoedusStore
import FoedusZMQ
import Foundation

/// Options shared by `server` and `launch`: what the server waits for and how it defends itself.
struct ServerFlags: ParsableArguments {
    @Option(help: "Clients that must register before round 1 (default: K).") var minClients: Int?
    @Option(help: "Seconds a round waits for stragglers once a quorum has answered.") var deadline: Double = 120
    @Option(help: "Fraction of a round's users that must answer before it can close (0–1).") var quorum: Double = 0.5
    @Option(help: "Seconds to wait for clients to register.") var registrationTimeout: Double = 300
    @Option(help: "Seconds after which a round still below quorum fails the run.") var roundTimeout: Double = 3600
    @Option(help: "Flow control: at most N fit instructions outstanding at once (0: every sampled user at once).") var maxInFlight: Int = 0
    @Option(help: "CURVE: the server's secret key file (from foedus keygen); enables encryption and authentication.") var curveSecret: String?
    @Option(help: "CURVE: a client public key file, or a directory of *.key files, allowed in (repeatable).") var allow: [String] = []

    func validate() throws {
        guard (0...1).contains(quorum) else { throw ValidationError("--quorum must be in 0...1") }
        guard maxInFlight >= 0 else { throw ValidationError("--max-in-flight must be ≥ 0") }
        guard deadline > 0, roundTimeout > 0, registrationTimeout > 0 else { throw ValidationError("timeouts must be positive") }
        if curveSecret != nil && allow.isEmpty { throw ValidationError("--curve-secret needs at least one --allow client key") }
        if curveSecret == nil && !allow.isEmpty { throw ValidationError("--allow needs --curve-secret") }
    }

    func options(bind: String, config: SimulationConfig) throws -> ServerOptions {
        var curve: (keys: CurveKeyPair, allowed: [String])?
        if let curveSecret {
            let keys = try CurveKeyPair.read(curveSecret)
            guard !keys.secretKey.isEmpty else { throw TransportError.badKey(source: curveSecret, reason: "no secret-key line (pass the .key_secret file)") }
            var allowed: [String] = []
            for path in allow {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                    let files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".key") }.sorted()
                    allowed += try files.map { try CurveKeyPair.read(path + "/" + $0).publicKey }
                } else {
                    allowed.append(try CurveKeyPair.read(path).publicKey)
                }
            }
            curve = (keys, allowed)
        }
        var options = ServerOptions(bind: bind, minClients: minClients ?? config.users, registrationTimeout: registrationTimeout, roundDeadline: deadline,
                                    quorum: quorum, roundTimeout: roundTimeout, curve: curve)
        options.maxInFlight = maxInFlight
        return options
    }
}

struct Server: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a federated run over ZeroMQ to `foedus client` and `foedus pool` processes.",
        discussion: """
        The server trains its labeled replicas itself and sends users' local training to registered clients; every round is
        stored in SQLite. Started again with the same config and database after a crash (even SIGKILL), it resumes after the
        last stored round. The run id is derived from the effective config, so the same command resumes the same run.
        """)

    @Option(help: "The experiment config (simulations/*.yaml).") var config: String
    @Option(help: "Endpoint to bind: tcp://0.0.0.0:5555, tcp://127.0.0.1:*, ipc:///tmp/foedus.sock.") var bind: String = "tcp://0.0.0.0:5555"
    @Option(name: .customLong("set"), help: "Override a config field (repeatable).") var overrides: [String] = []
    @Option(help: "Run database (default: FOEDUS_DB or runs/foedus.sqlite).") var db: String?
    @Option(help: "Run id (default: the config name and its hash).") var runID: String?
    @Option(help: "Write the final global model here (safetensors).") var out: String?
    @OptionGroup var flags: ServerFlags
    @Flag(help: "Print one JSON summary on stdout.") var json = false
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        let cfg = try SimulationConfig.load(path: config, overrides: overrides)
        let store = try RunStore(path: RunSupport.databasePath(db))
        let summary = try ServerRunner.execute(config: cfg, runID: runID, store: store, options: try flags.options(bind: bind, config: cfg), quiet: quiet, out: out) { _ in }
        if json { try printJSON(summary) }
    }
}

/// Runs a stored run as a ZeroMQ server (shared by `server` and `launch`).
enum ServerRunner {
    static func defaultRunID(_ cfg: SimulationConfig) -> String { "\(cfg.name)-server-\(RunSupport.configHash(cfg).prefix(12))" }

    static func execute(config cfg: SimulationConfig, runID: String?, store: RunStore, options: ServerOptions, quiet: Bool, out: String?,
                        onListening: (String) -> Void) throws -> [String: Any] {
        let started = Date()
        let id = runID ?? defaultRunID(cfg)
        if let existing = try? store.run(id: id) {
            if existing.status == .finished {
                throw ValidationError("run \(id) has already finished (pass --run-id to start another)")
            }
            guard existing.configYAML == cfg.sourceYAML else {
                throw ValidationError("run \(id) exists with a different configuration (pass --run-id to start another)")
            }
        } else {
            try store.createRun(RunRecord(id: id, name: cfg.name, kind: .server, configYAML: cfg.sourceYAML, configJSON: RunSupport.canonicalJSON(cfg),
                                          seed: cfg.seed, codeVersion: RunSupport.codeVersion, status: .created, createdAt: Date().timeIntervalSince1970,
                                          totalRounds: cfg.rounds))
        }
        let data = try SimulationData.load(cfg)
        let simulator = try Simulator(config: cfg, data: data, runID: id)
        let server = try FederationServer(simulator: simulator, options: options, recorder: store) { line in
            if !quiet { Log.stderr("foedus server: \(line)") }
        }
        if !quiet {
            Log.stderr("foedus server: run \(id): \(cfg.method.rawValue)/\(cfg.objective.rawValue), \(cfg.model), K=\(cfg.users) C=\(cfg.clientsPerRound) T=\(cfg.localSteps), \(cfg.rounds) rounds, listening on \(server.endpoint)\(options.curve == nil ? "" : " (CURVE)")")
        }
        onListening(server.endpoint)
        try store.updateStatus(runID: id, status: .running)
        var progress = Progress(total: cfg.rounds, label: "round", quiet: quiet)
        var lastAccuracy: Double?
        let final: FederationState
        do {
            final = try server.run { round in
                if let a = round.metrics["test_accuracy"] { lastAccuracy = a }
                let acc = lastAccuracy.map { String(format: "acc %.2f%%", $0 * 100) } ?? "acc —"
                let missing = Int(round.metrics["missing_updates"] ?? 0)
                progress.update(round.round, String(format: "%@ %.1f s/round%@", acc, round.seconds, missing > 0 ? ", \(missing) missing" : ""))
            }
        } catch {
            try? store.updateStatus(runID: id, status: .failed, error: "\(error)")
            throw error
        }
        let (sha, bytes) = try RunSupport.weightsSHA256(final.global)
        try store.finish(runID: id, finalSHA256: sha)
        if let out { try Data(bytes).write(to: URL(fileURLWithPath: out), options: .atomic) }
        let rounds = try store.rounds(runID: id)
        let accuracy = rounds.last(where: { $0.metrics["test_accuracy"] != nil })?.metrics["test_accuracy"]
        let stats = server.statistics
        if !quiet, let accuracy { Log.stderr(String(format: "foedus server: run %@ finished: test accuracy %.2f%%, final weights sha256 %@", id, accuracy * 100, sha)) }
        return ["command": "server", "run_id": id, "rounds": rounds.count, "test_accuracy": accuracy as Any, "final_sha256": sha,
                "wall_seconds": Date().timeIntervalSince(started), "updates": stats.updates, "stragglers": stats.stragglers,
                "malformed": stats.malformed, "rejected": stats.rejected, "bytes_in": stats.bytesIn, "bytes_out": stats.bytesOut,
                "refused_handshakes": server.refusedHandshakes,
                "model_parameters": final.global.parameters.scalarCount]
    }
}
