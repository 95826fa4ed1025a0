import FoedusKernels

/// How a training set is split between the server's labeled set and `users` local sets.
///
/// Every partitioner first draws the server's balanced labeled set (``labeled`` examples,
/// ⌊`labeled` / classes⌋ of each class, uniformly at random), then splits the remaining
/// examples (the *pool*) among the users. The server set depends only on the key, `labeled`
/// and the labels, so it is the same for every partitioner. All randomness comes from the
/// ``RandomKey`` given to ``partition(labels:classes:key:)``: the result is a pure function of
/// the partitioner, the labels and the key.
public enum Partitioner: Sendable, Hashable {
    /// The SSFL recipe (reference §1.2, `getNonIIDdata`), non-iid level `nonIID` = R in `[0, 1]`:
    /// every base partition takes ⌊L·R⌋ examples of its dominant class and is filled up to L
    /// with shuffled leftovers; see ``partitionSSFL(_:labeled:users:nonIID:classes:key:)``.
    /// R = 0 is the same as ``iid(labeled:users:)``.
    case ssfl(labeled: Int, users: Int, nonIID: Double)
    /// A uniformly random split of the pool into `users` equal parts (⌊pool / K⌋ each).
    case iid(labeled: Int = 0, users: Int)
    /// Per class, proportions over users drawn from a symmetric Dirichlet(`alpha`): small
    /// `alpha` concentrates each class on few users, large `alpha` approaches iid. User sizes
    /// differ and may be 0.
    case dirichlet(labeled: Int = 0, users: Int, alpha: Double)
    /// McMahan et al.'s pathological split: the pool sorted by label is cut into
    /// `users · shardsPerUser` equal shards and each user receives `shardsPerUser` random ones.
    case shards(labeled: Int = 0, users: Int, shardsPerUser: Int)

    /// The server's labeled-set size N_s as given (the server receives
    /// ⌊N_s / classes⌋ · classes examples).
    public var labeled: Int {
        switch self {
        case let .ssfl(labeled, _, _), let .iid(labeled, _), let .dirichlet(labeled, _, _), let .shards(labeled, _, _):
            labeled
        }
    }

    /// The number of users K.
    public var users: Int {
        switch self {
        case let .ssfl(_, users, _), let .iid(_, users), let .dirichlet(_, users, _), let .shards(_, users, _):
            users
        }
    }

    /// Splits a training set with these `labels` (classes `0 ..< classes`).
    ///
    /// - Throws: ``FoedusDataError/invalidPartition(field:reason:)`` naming the offending field:
    ///   `"classes"` (< 1), `"labels"` (a label outside `0 ..< classes`), `"K"` (< 1, or too many
    ///   users for the pool to give each at least one example; Dirichlet excepted), `"R"` (not
    ///   in `[0, 1]`), `"Ns"` (negative, or more per class than some class holds), `"alpha"`
    ///   (not positive and finite), `"shardsPerUser"` (< 1, or more shards than pool examples).
    /// - Complexity: O(`labels.count` + K · classes) expected.
    public func partition(labels: [Int32], classes: Int, key: RandomKey) throws(FoedusDataError) -> Partition {
        try validate(labels: labels, classes: classes)
        let split = try ServerSplit(labels: labels, classes: classes, labeled: labeled, key: key.derived("server"))
        let users: [[Int]]
        switch self {
        case let .ssfl(_, k, r) where r == 0:
            users = try Self.partitionIID(split, users: k, key: key)
        case let .ssfl(_, k, r):
            users = try Self.partitionSSFL(split, users: k, nonIID: r, key: key)
        case let .iid(_, k):
            users = try Self.partitionIID(split, users: k, key: key)
        case let .dirichlet(_, k, alpha):
            users = Self.partitionDirichlet(split, users: k, alpha: alpha, key: key)
        case let .shards(_, k, s):
            users = try Self.partitionShards(split, users: k, shardsPerUser: s, key: key)
        }
        return Partition(server: split.server, users: users)
    }

    /// ``partition(labels:classes:key:)`` of `dataset`'s labels and class count.
    public func partition(_ dataset: Dataset, key: RandomKey) throws(FoedusDataError) -> Partition {
        try partition(labels: dataset.labels, classes: dataset.classes, key: key)
    }
}

extension Partitioner: CustomStringConvertible {
    /// E.g. `ssfl(Ns: 1000, K: 10, R: 0.4)`.
    public var description: String {
        switch self {
        case let .ssfl(ns, k, r): "ssfl(Ns: \(ns), K: \(k), R: \(r))"
        case let .iid(ns, k): "iid(Ns: \(ns), K: \(k))"
        case let .dirichlet(ns, k, alpha): "dirichlet(Ns: \(ns), K: \(k), alpha: \(alpha))"
        case let .shards(ns, k, s): "shards(Ns: \(ns), K: \(k), shardsPerUser: \(s))"
        }
    }
}
