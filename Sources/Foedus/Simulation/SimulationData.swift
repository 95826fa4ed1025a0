import FoedusData
import FoedusKernels
import FoedusTensor

/// The data of a simulation: the training set split into the server's labeled set and the users'
/// local sets, and the test set.
public struct SimulationData: Sendable {
    public let train: Dataset
    public let test: Dataset
    public let partition: Partition
    public let normalization: Normalization

    public init(train: Dataset, test: Dataset, partition: Partition, normalization: Normalization) {
        self.train = train
        self.test = test
        self.partition = partition
        self.normalization = normalization
    }

    /// Loads the configured dataset and partitions it with the run's seed.
    public static func load(_ config: SimulationConfig) throws -> SimulationData {
        let train = try DatasetCatalog.load(config.dataset, split: .train, dataDirectory: config.dataDirectory)
        var test = try DatasetCatalog.load(config.dataset, split: .test, dataDirectory: config.dataDirectory)
        if let limit = config.testLimit, limit < test.count { test = test.subset(Array(0..<limit)) }
        let partitioner: Partitioner
        switch config.partitionKind {
        case "ssfl": partitioner = .ssfl(labeled: config.labeled, users: config.users, nonIID: config.nonIID)
        case "iid": partitioner = .iid(labeled: config.labeled, users: config.users)
        case "dirichlet": partitioner = .dirichlet(labeled: config.labeled, users: config.users, alpha: config.dirichletAlpha)
        default: partitioner = .shards(labeled: config.labeled, users: config.users, shardsPerUser: config.shardsPerUser)
        }
        let partition = try partitioner.partition(labels: train.labels, classes: train.classes, key: RandomKey(seed: config.seed).derived("partition"))
        if config.method != .labeledOnly, let empty = partition.users.firstIndex(where: { $0.isEmpty }) {
            throw FoedusError.dataProblem("user \(empty) receives no examples with \(config.partitionKind) partitioning of \(train.count) examples into K = \(config.users)")
        }
        if partition.server.isEmpty && config.method != .fedavg && config.method != .fedprox {
            throw FoedusError.invalidConfig(path: "data.partition.Ns", reason: "method \(config.method.rawValue) needs a labeled server set (Ns > 0)")
        }
        return SimulationData(train: train, test: test, partition: partition, normalization: try Normalization.preset(for: config.dataset))
    }
}
