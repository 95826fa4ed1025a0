import FoedusKernels

extension Partitioner {
    /// The SSFL partition (reference §1.2, `getNonIIDdata`), for `nonIID` R in `(0, 1]`.
    ///
    /// 1. The pool is grouped by class, classes in first-appearance order (`classOrder`).
    /// 2. `nBase` base partitions: `classes` when K is a multiple of `classes` (the reference's
    ///    hard-coded 10 for 10-class data), otherwise K (as its SVHN recipe does). Each has
    ///    length L = ⌊|pool| / nBase⌋.
    /// 3. Base partition p is dominated by class `classOrder[p mod classes]` and takes the next
    ///    ⌊L·R⌋ unused pool indices of it, ascending (fewer if fewer are left: several base
    ///    partitions share a class when nBase > classes).
    /// 4. All unused indices (class by class in `classOrder`, ascending within a class) are
    ///    shuffled with `key.derived("leftovers")` (the reference's `Random(2020)`) and dealt in
    ///    order, partition 0 first, topping every partition up to exactly L. The fewer than
    ///    nBase indices left over are assigned to nobody.
    /// 5. Each base partition p is shuffled with `key.derived("base").derived(p)`.
    /// 6. K > nBase: base p is shuffled again (`key.derived("slice").derived(p)`) and cut into
    ///    K / nBase slices of ⌊L / (K / nBase)⌋; slice j goes to user p + nBase·j (the
    ///    remainder, < K / nBase per base, to nobody).
    static func partitionSSFL(_ split: ServerSplit, users k: Int, nonIID r: Double, key: RandomKey) throws(FoedusDataError) -> [[Int]] {
        let classes = split.byClass.count
        let baseCount = k % classes == 0 ? classes : k
        let length = split.pool.count / baseCount
        let slices = k / baseCount
        try requireNonEmptyUsers(size: length / slices, users: k, pool: split.pool.count)
        // Double, then floor: the same arithmetic as the reference's int(L * R).
        let dominantTake = Int((Double(length) * r).rounded(.down))

        var next = [Int](repeating: 0, count: classes)
        var bases: [[Int]] = []
        bases.reserveCapacity(baseCount)
        for p in 0..<baseCount {
            let c = split.classOrder[p % classes]
            let members = split.byClass[c]
            let take = min(dominantTake, members.count - next[c])
            var base = Array(members[next[c]..<(next[c] + take)])
            base.reserveCapacity(length)
            bases.append(base)
            next[c] += take
        }

        var leftovers: [Int] = []
        leftovers.reserveCapacity(split.pool.count - bases.reduce(0) { $0 + $1.count })
        for c in split.classOrder { leftovers += split.byClass[c][next[c]...] }
        var leftoverStream = RandomStream(key: key.derived("leftovers"))
        leftoverStream.shuffle(&leftovers)
        var cursor = 0
        for p in 0..<baseCount {
            let need = length - bases[p].count
            bases[p] += leftovers[cursor..<(cursor + need)]
            cursor += need
            var stream = RandomStream(key: key.derived("base").derived(UInt64(p)))
            stream.shuffle(&bases[p])
        }
        guard slices > 1 else { return bases }

        let sliceLength = length / slices
        var result = [[Int]](repeating: [], count: k)
        for p in 0..<baseCount {
            var base = bases[p]
            var stream = RandomStream(key: key.derived("slice").derived(UInt64(p)))
            stream.shuffle(&base)
            for j in 0..<slices {
                result[p + baseCount * j] = Array(base[(j * sliceLength)..<((j + 1) * sliceLength)])
            }
        }
        return result
    }
}
