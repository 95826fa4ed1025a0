import ArgumentParser
import FoedusTensor

@main
struct Foedus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "foedus",
        abstract: "Federated learning coordinator, runtime and simulator.",
        version: "0.1.0",
        subcommands: [Train.self, Eval.self, Bench.self, Simulate.self, Sweep.self, Server.self, Client.self, Pool.self, Launch.self, Keygen.self, Quantize.self, Runs.self, Report.self, PartitionCommand.self]
    )

    static func main() {
        MemoryTuning.apply()
        main(nil)
    }
}
