import GRDB

extension RunStore {
    /// Throws `StoreError.unknownRun` (with close matches) unless a run with `id` is stored.
    static func requireRun(_ db: Database, _ id: String) throws {
        if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?)", arguments: [id]) != true {
            throw try unknownRunError(db, id)
        }
    }

    /// `StoreError.unknownRun` for `id`, listing the stored ids that look like it.
    static func unknownRunError(_ db: Database, _ id: String) throws -> StoreError {
        let ids = try String.fetchAll(db, sql: "SELECT id FROM runs")
        return .unknownRun(id: id, closeMatches: closeMatches(to: id, among: ids))
    }

    /// Up to `limit` ids that contain (or are contained in) `id`, or are a few edits away from it,
    /// best first.
    static func closeMatches(to id: String, among ids: [String], limit: Int = 5) -> [String] {
        let needle = Array(id.lowercased())
        let threshold = max(2, needle.count / 3)
        var scored: [(contains: Bool, distance: Int, id: String)] = []
        for candidate in ids {
            let lowered = candidate.lowercased()
            let contains = !needle.isEmpty && (lowered.contains(id.lowercased()) || id.lowercased().contains(lowered))
            let distance = editDistance(needle, Array(lowered))
            if contains || distance <= threshold {
                scored.append((contains, distance, candidate))
            }
        }
        scored.sort { lhs, rhs in
            if lhs.contains != rhs.contains { return lhs.contains }
            if lhs.distance != rhs.distance { return lhs.distance < rhs.distance }
            return lhs.id < rhs.id
        }
        return scored.prefix(limit).map(\.id)
    }

    /// Levenshtein distance (insertions, deletions, substitutions). Complexity: O(a.count × b.count).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
