import ArgumentParser
import FoedusData
import FoedusKernels
import Foundation

struct PartitionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "partition", abstract: "Show how a dataset is split among the server and K users.")

    @Option(help: "Dataset.") var dataset = "fashion-mnist"
    @Option(help: "Directory holding the dataset files.") var dataDir: String?
    @Option(help: "Partitioner: ssfl, iid, dirichlet or shards.") var kind = "ssfl"
    @Option(name: .customLong("K"), help: "Users.") var users = 10
    @Option(name: .customLong("R"), help: "Non-iidness R (ssfl).") var nonIID = 0.4
    @Option(name: .customLong("Ns"), help: "Labeled examples at the server.") var labeled = 1000
    @Option(help: "Dirichlet α.") var alpha = 0.5
    @Option(help: "Shards per user.") var shards = 2
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Flag(help: "Print one JSON object on stdout.") var json = false

    func run() throws {
        let train = try DatasetCatalog.load(dataset, split: .train, dataDirectory: dataDir)
        let partitioner: Partitioner
        switch kind {
        case "ssfl": partitioner = .ssfl(labeled: labeled, users: users, nonIID: nonIID)
        case "iid": partitioner = .iid(labeled: labeled, users: users)
        case "dirichlet": partitioner = .dirichlet(labeled: labeled, users: users, alpha: alpha)
        case "shards": partitioner = .shards(labeled: labeled, users: users, shardsPerUser: shards)
        default: throw ValidationError("--kind must be ssfl, iid, dirichlet or shards")
        }
        // The same key as a simulation with this seed uses.
        let partition = try partitioner.partition(labels: train.labels, classes: train.classes, key: RandomKey(seed: seed).derived("partition"))
        func histogram(_ indices: [Int]) -> [Int] {
            var h = [Int](repeating: 0, count: train.classes)
            for i in indices { h[Int(train.labels[i])] += 1 }
            return h
        }
        let users = partition.users.map(histogram)
        let dominant = users.map { h -> Double in h.reduce(0, +) == 0 ? 0 : Double(h.max()!) / Double(h.reduce(0, +)) }
        if json {
            try printJSON(["dataset": dataset, "kind": kind, "K": self.users, "R": nonIID, "Ns": labeled, "seed": seed,
                           "server": histogram(partition.server), "users": users, "dominant_fraction": dominant,
                           "mean_dominant_fraction": dominant.reduce(0, +) / Double(max(dominant.count, 1))])
            return
        }
        print("server (\(partition.server.count) labeled): \(histogram(partition.server).map(String.init).joined(separator: " "))")
        for (u, h) in users.enumerated() {
            print(String(format: "user %3d (%5d): ", u, h.reduce(0, +)) + h.map { String(format: "%5d", $0) }.joined(separator: " ") + String(format: "   dominant %.3f", dominant[u]))
        }
        print(String(format: "mean dominant-class fraction %.4f (R + (1 − R)/classes = %.4f)", dominant.reduce(0, +) / Double(max(dominant.count, 1)), nonIID + (1 - nonIID) / Double(train.classes)))
    }
}
