extension Partitioner {
    /// Checks the parameters that do not depend on the pool (those that do are checked where
    /// the pool is known).
    func validate(labels: [Int32], classes: Int) throws(FoedusDataError) {
        guard classes >= 1 else {
            throw .invalidPartition(field: "classes", reason: "must be at least 1, got \(classes)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= classes }) {
            throw .invalidPartition(field: "labels", reason: "label \(labels[bad]) of example \(bad) is outside 0..<\(classes)")
        }
        guard users >= 1 else {
            throw .invalidPartition(field: "K", reason: "must be at least 1 user, got \(users)")
        }
        guard labeled >= 0 else {
            throw .invalidPartition(field: "Ns", reason: "must not be negative, got \(labeled)")
        }
        switch self {
        case let .ssfl(_, _, r):
            guard r >= 0 && r <= 1 else {
                throw .invalidPartition(field: "R", reason: "must lie in [0, 1], got \(r)")
            }
        case let .dirichlet(_, _, alpha):
            guard alpha > 0 && alpha.isFinite else {
                throw .invalidPartition(field: "alpha", reason: "must be positive and finite, got \(alpha)")
            }
        case let .shards(_, _, s):
            guard s >= 1 else {
                throw .invalidPartition(field: "shardsPerUser", reason: "must be at least 1, got \(s)")
            }
        case .iid:
            break
        }
    }

    /// Throws unless `size`, the per-user share of a pool, gives every user an example.
    static func requireNonEmptyUsers(size: Int, users: Int, pool: Int) throws(FoedusDataError) {
        guard size >= 1 else {
            throw .invalidPartition(field: "K", reason: "\(users) users cannot each receive an example from the \(pool) unlabeled examples")
        }
    }
}
