import ArgumentParser
import Foedus
import FoedusStore
import Foundation

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List and inspect stored runs.", subcommands: [List.self, Show.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
        @Option(help: "Run database.") var db: String?
        @Flag(help: "Print one JSON object on stdout.") var json = false

        func run() throws {
            let store = try RunStore(path: RunSupport.databasePath(db))
            let runs = try store.runs()
            if json {
                try printJSON(["runs": try runs.map { r -> [String: Any] in
                    let rounds = try store.rounds(runID: r.id)
                    return ["id": r.id, "name": r.name, "status": r.status.rawValue, "rounds": rounds.count, "total_rounds": r.totalRounds,
                            "test_accuracy": rounds.last(where: { $0.metrics["test_accuracy"] != nil })?.metrics["test_accuracy"] as Any]
                }])
                return
            }
            for r in runs {
                let rounds = try store.rounds(runID: r.id)
                let acc = rounds.last(where: { $0.metrics["test_accuracy"] != nil })?.metrics["test_accuracy"]
                print("\(r.id)  \(r.status.rawValue)  \(rounds.count)/\(r.totalRounds) rounds  " + (acc.map { String(format: "acc %.2f%%", $0 * 100) } ?? ""))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a run: config, status, per-round metrics, final weights hash.")
        @Argument(help: "Run id.") var runID: String
        @Option(help: "Run database.") var db: String?
        @Flag(help: "Print one JSON object on stdout.") var json = false

        func run() throws {
            let store = try RunStore(path: RunSupport.databasePath(db))
            let r = try store.run(id: runID)
            let rounds = try store.rounds(runID: runID)
            if json {
                let config = (try? JSONSerialization.jsonObject(with: Data(r.configJSON.utf8))) ?? [:]
                try printJSON(["id": r.id, "name": r.name, "status": r.status.rawValue, "seed": r.seed, "code_version": r.codeVersion,
                               "created_at": r.createdAt, "finished_at": r.finishedAt as Any, "total_rounds": r.totalRounds,
                               "final_sha256": r.finalSHA256 as Any, "error": r.error as Any, "config": config,
                               "rounds": rounds.map { ["round": $0.round, "participants": $0.participants, "metrics": $0.metrics, "seconds": $0.seconds] }])
                return
            }
            print("run \(r.id) (\(r.name)): \(r.status.rawValue), \(rounds.count)/\(r.totalRounds) rounds, seed \(r.seed), code \(r.codeVersion)")
            if let sha = r.finalSHA256 { print("final weights sha256 \(sha)") }
            if let e = r.error { print("error: \(e)") }
            for round in rounds {
                let m = round.metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.4f", $0.value))" }.joined(separator: " ")
                print(String(format: "round %4d  %6.1f s  ", round.round, round.seconds) + m)
            }
        }
    }
}
