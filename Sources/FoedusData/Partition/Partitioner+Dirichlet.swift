import FoedusKernels

extension Partitioner {
    /// For each class c (ascending), its pool indices are shuffled and proportions
    /// q ~ Dirichlet(α, …, α) over the K users are drawn, both from stream
    /// `key.derived("dirichlet").derived(c)`; user u receives the indices between cut points
    /// round(n_c · (q₀ + … + q_{u−1})) and round(n_c · (q₀ + … + q_u)), the last cut being
    /// n_c exactly, so every pool index is assigned. Each user's set is then shuffled with
    /// `key.derived("user").derived(u)`.
    static func partitionDirichlet(_ split: ServerSplit, users k: Int, alpha: Double, key: RandomKey) -> [[Int]] {
        var result = [[Int]](repeating: [], count: k)
        let concentration = [Double](repeating: alpha, count: k)
        for (c, members) in split.byClass.enumerated() where !members.isEmpty {
            var stream = RandomStream(key: key.derived("dirichlet").derived(UInt64(c)))
            var shuffled = members
            stream.shuffle(&shuffled)
            let proportions = stream.nextDirichlet(concentration)
            var cumulative = 0.0
            var start = 0
            for u in 0..<k {
                cumulative += proportions[u]
                let end = u == k - 1 ? shuffled.count : min(shuffled.count, Int((cumulative * Double(shuffled.count)).rounded()))
                if end > start { result[u] += shuffled[start..<end] }
                start = max(start, end)
            }
        }
        for u in 0..<k {
            var stream = RandomStream(key: key.derived("user").derived(UInt64(u)))
            stream.shuffle(&result[u])
        }
        return result
    }
}
