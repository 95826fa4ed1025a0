import FoedusKernels

extension Partitioner {
    /// The pool (ascending) shuffled with `key.derived("iid")` and cut into K consecutive parts
    /// of ⌊|pool| / K⌋; the remainder goes to nobody. Also SSFL's R = 0 case.
    static func partitionIID(_ split: ServerSplit, users k: Int, key: RandomKey) throws(FoedusDataError) -> [[Int]] {
        let size = split.pool.count / k
        try requireNonEmptyUsers(size: size, users: k, pool: split.pool.count)
        var pool = split.pool
        var stream = RandomStream(key: key.derived("iid"))
        stream.shuffle(&pool)
        return (0..<k).map { Array(pool[($0 * size)..<(($0 + 1) * size)]) }
    }
}
