import ArgumentParser
import Foedus
import FoedusKernels
import FoedusNN
import FoedusStore
import FoedusTensor
import Foundation

/// The coordinator's own cost per client update: dispatch, collection, ordered streaming
/// aggregation, checkpoint serialisation and the SQLite commit — with trivial client work, the
/// setting of the Flower figures in shared/BASELINES.md.
struct Coordinator: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure round overhead with K clients, a model of N parameters and trivial local work.")

    @Option(help: "Clients, all participating every round.") var clients = 100
    @Option(help: "Model parameters (one Float32 tensor set of this size).") var parameters = 1_000_000
    @Option(help: "Rounds (the first is warm-up).") var rounds = 6
    @Option(help: "Worker threads.") var workers = 2
    @Option(help: "Run database for the per-round commit (default: a temporary file).") var db: String?
    @Flag(help: "Print one JSON object on stdout.") var json = false

    func run() throws {
        // A ~1M-parameter two-layer shape, like a small MLP.
        let hidden = max(1, parameters / 1000)
        var global = ParameterSet([("fc1.weight", Tensor.random(.normal(mean: 0, std: 0.01), shape: [hidden, 999], key: RandomKey(seed: 1))),
                                   ("fc1.bias", Tensor.zeros([hidden])), ("fc2.weight", Tensor.zeros([1, hidden]))])
        let path = db ?? NSTemporaryDirectory() + "foedus-coordinator-\(ProcessInfo.processInfo.processIdentifier).sqlite"
        let store = try RunStore(path: path)
        let runID = "coordinator-bench-\(UUID().uuidString.prefix(8))"
        try store.createRun(RunRecord(id: runID, name: "coordinator-bench", kind: .simulate, configYAML: "", configJSON: "{}", seed: 1,
                                      codeVersion: RunSupport.codeVersion, createdAt: Date().timeIntervalSince1970, totalRounds: rounds))
        var times: [Double] = []
        for r in 1...rounds {
            let t0 = Date()
            let start = global
            var mean = WeightedMean()
            var results: [ClientResultSummary] = []
            WorkerPool.run(count: clients, workers: workers, job: { c -> ClientUpdate in
                // Trivial local work: one seeded perturbation of the global model.
                let noise = start.map { Tensor.random(.uniform(low: -1e-3, high: 1e-3), shape: $0.shape, key: RandomKey(seed: UInt64(r)).derived(UInt64(c))) }
                return ClientUpdate(client: c, parameters: start + noise, examples: 64)
            }, consume: { _, update in
                mean.add(update.parameters, weight: 1)
                results.append(ClientResultSummary(client: update.client, examples: update.examples, metrics: [:], seconds: 0))
            })
            global = mean.mean()!
            let blob = try SafeTensors.encode(global)
            try store.record(runID: runID, round: RoundSummary(round: r, participants: Array(0..<clients), metrics: [:],
                                                               startedAt: t0.timeIntervalSince1970, seconds: Date().timeIntervalSince(t0), clients: results),
                             checkpoint: Checkpoint(round: r, blob: blob))
            if r > 1 { times.append(Date().timeIntervalSince(t0)) }
        }
        if db == nil { try? FileManager.default.removeItem(atPath: path) }
        times.sort()
        let median = times[times.count / 2]
        let perUpdate = median / Double(clients) * 1000
        let count = global.scalarCount
        if json {
            try printJSON(["clients": clients, "parameters": count, "workers": workers, "rounds_timed": times.count,
                           "median_round_seconds": median, "ms_per_client_update": perUpdate, "rss_mb": Self.residentMB()])
        } else {
            Log.stderr(String(format: "K=%d, %d parameters, %d workers: median round %.3f s, %.2f ms per client update, RSS %.0f MB",
                              clients, count, workers, median, perUpdate, Self.residentMB()))
        }
    }

    static func residentMB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
}
