import FoedusKernels

/// The server's balanced labeled set and what remains for the users (the pool).
struct ServerSplit {
    /// Server indices, ascending.
    let server: [Int]
    /// Pool indices, ascending.
    let pool: [Int]
    /// `byClass[c]`: the pool indices of class `c`, ascending.
    let byClass: [[Int]]
    /// Every class once: the classes in the order they first appear in the pool (the reference
    /// groups the pool in a dictionary keyed by label, in insertion order), then classes absent
    /// from the pool, ascending.
    let classOrder: [Int]

    /// Draws ⌊`labeled` / classes⌋ examples of each class uniformly without replacement, each
    /// class from its own stream `key.derived(c)`.
    ///
    /// - Throws: `.invalidPartition(field: "Ns", …)` when some class holds fewer examples.
    init(labels: [Int32], classes: Int, labeled: Int, key: RandomKey) throws(FoedusDataError) {
        var members = [[Int]](repeating: [], count: classes)
        for (index, label) in labels.enumerated() { members[Int(label)].append(index) }
        let perClass = labeled / classes
        if let short = members.indices.first(where: { members[$0].count < perClass }) {
            throw .invalidPartition(field: "Ns", reason: "\(labeled) labeled examples need \(perClass) per class, "
                + "but class \(short) has only \(members[short].count)")
        }
        var onServer = [Bool](repeating: false, count: labels.count)
        if perClass > 0 {
            for c in 0..<classes {
                var stream = RandomStream(key: key.derived(UInt64(c)))
                for index in Self.sample(perClass, from: members[c], stream: &stream) { onServer[index] = true }
            }
        }
        var server: [Int] = [], pool: [Int] = []
        var byClass = [[Int]](repeating: [], count: classes)
        var order: [Int] = []
        var seen = [Bool](repeating: false, count: classes)
        for index in labels.indices {
            if onServer[index] {
                server.append(index)
                continue
            }
            let label = Int(labels[index])
            pool.append(index)
            byClass[label].append(index)
            if !seen[label] {
                seen[label] = true
                order.append(label)
            }
        }
        order += (0..<classes).filter { !seen[$0] }
        self.server = server
        self.pool = pool
        self.byClass = byClass
        self.classOrder = order
    }

    /// `count` distinct elements of `items`, uniformly: the first `count` steps of a
    /// Fisher–Yates shuffle run from the front.
    static func sample(_ count: Int, from items: [Int], stream: inout RandomStream) -> ArraySlice<Int> {
        var items = items
        for i in 0..<count {
            items.swapAt(i, i + stream.uniformInt(below: items.count - i))
        }
        return items[0..<count]
    }
}
