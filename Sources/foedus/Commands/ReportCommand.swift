import ArgumentParser
import Foedus
import FoedusData
import FoedusReport
import FoedusStore
import Foundation

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write an HTML report (SVG plots, tables) or CSV/JSON numbers for stored runs.")

    @Argument(help: "Run ids (default: every run, or those named --name).") var runIDs: [String] = []
    @Option(help: "Select the runs whose config name is NAME (e.g. a sweep).") var name: String?
    @Option(help: "Sweep axis for the accuracy-versus-parameter plot (e.g. R).") var axis: String?
    @Option(help: "Output format: html, csv, summary-csv or json.") var format = "html"
    @Option(help: "Output file (default: stdout).") var out: String?
    @Option(help: "Report title.") var title = "Foedus report"
    @Option(help: "Run database.") var db: String?
    @Flag(help: "Skip the per-user class histograms (they reload the dataset).") var noHistograms = false

    func run() throws {
        let store = try RunStore(path: RunSupport.databasePath(db))
        var records = runIDs.isEmpty ? try store.runs().reversed() : try runIDs.map { try store.run(id: $0) }
        if let name { records = records.filter { $0.name == name } }
        guard !records.isEmpty else { throw ValidationError("no runs selected") }
        var histograms: [String: ([Int], [[Int]])] = [:]
        let runs: [ReportRun] = try records.map { r in
            let cfg = try SimulationConfig.parse(yaml: r.configYAML, source: "run \(r.id)")
            var parameters = ["R": String(cfg.nonIID), "K": String(cfg.users), "Ns": String(cfg.labeled), "C": String(cfg.clientsPerRound),
                              "T": String(cfg.localSteps), "seed": String(cfg.seed), "model": cfg.model, "objective": cfg.objective.rawValue,
                              "dataset": cfg.dataset, "partition": cfg.partitionKind]
            if cfg.method == .grouping { parameters["groups"] = String(cfg.groups) }
            var server: [Int]?, users: [[Int]]?
            if !noHistograms && format == "html" {
                let key = "\(cfg.dataset)|\(cfg.partitionKind)|\(cfg.users)|\(cfg.nonIID)|\(cfg.labeled)|\(cfg.dirichletAlpha)|\(cfg.shardsPerUser)|\(cfg.seed)"
                if histograms[key] == nil { histograms[key] = try Report.histograms(cfg) }
                (server, users) = (histograms[key]!.0, histograms[key]!.1)
            }
            let rounds = try store.rounds(runID: r.id).map { ReportRound(round: $0.round, seconds: $0.seconds, metrics: $0.metrics) }
            return ReportRun(id: r.id, name: r.name, method: cfg.method.rawValue, parameters: parameters, status: r.status.rawValue,
                             rounds: rounds, userHistograms: users, serverHistogram: server, finalSHA256: r.finalSHA256)
        }
        let text: String
        switch format {
        case "html": text = HTMLReport.render(runs: runs, title: title, sweepAxis: axis, generatedAt: ISO8601DateFormatter().string(from: Date()))
        case "csv": text = ReportTables.csv(runs: runs)
        case "summary-csv": text = ReportTables.summaryCSV(runs: runs)
        case "json": text = ReportTables.json(runs: runs)
        default: throw ValidationError("--format must be html, csv, summary-csv or json")
        }
        if let out {
            let url = URL(fileURLWithPath: out)
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url, options: .atomic)
            Log.stderr("wrote \(out)")
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    static func histograms(_ cfg: SimulationConfig) throws -> ([Int], [[Int]]) {
        let data = try SimulationData.load(cfg)
        func h(_ indices: [Int]) -> [Int] {
            var counts = [Int](repeating: 0, count: data.train.classes)
            for i in indices { counts[Int(data.train.labels[i])] += 1 }
            return counts
        }
        return (h(data.partition.server), data.partition.users.map(h))
    }
}
