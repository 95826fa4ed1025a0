import FoedusKernels

extension Partitioner {
    /// The pool sorted by (label, index) and cut into K·s shards of ⌊|pool| / (K·s)⌋ (the
    /// remainder, at the end of the last class, to nobody); a permutation drawn with
    /// `key.derived("shards")` gives user u shards `perm[u·s ..< (u+1)·s]`, whose union is
    /// then shuffled with `key.derived("user").derived(u)`.
    ///
    /// A shard may straddle a class boundary when the shard size does not divide the class
    /// sizes, so a user holds at most 2·s classes in general and at most s when it does.
    static func partitionShards(_ split: ServerSplit, users k: Int, shardsPerUser s: Int, key: RandomKey) throws(FoedusDataError) -> [[Int]] {
        let (shardCount, overflow) = k.multipliedReportingOverflow(by: s)
        guard !overflow, shardCount <= split.pool.count else {
            throw .invalidPartition(field: "shardsPerUser", reason: "\(k) users × \(s) shards exceed the \(split.pool.count) unlabeled examples")
        }
        let shardSize = split.pool.count / shardCount
        let sorted = split.byClass.flatMap { $0 }
        var stream = RandomStream(key: key.derived("shards"))
        let order = stream.permutation(shardCount)
        return (0..<k).map { u in
            var mine: [Int] = []
            mine.reserveCapacity(s * shardSize)
            for shard in order[(u * s)..<((u + 1) * s)] {
                mine += sorted[(shard * shardSize)..<((shard + 1) * shardSize)]
            }
            var userStream = RandomStream(key: key.derived("user").derived(UInt64(u)))
            userStream.shuffle(&mine)
            return mine
        }
    }
}
