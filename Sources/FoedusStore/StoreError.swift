/// Every error FoedusStore throws: each case names what failed and carries enough context to act on.
public enum StoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The database at `path` could not be opened or prepared (not SQLite, unreadable, locked, …).
    case cannotOpen(path: String, reason: String)
    /// No run has this id; `closeMatches` are stored ids that look like it (possibly empty).
    case unknownRun(id: String, closeMatches: [String])
    /// A stored checkpoint's bytes no longer hash to the sha256 recorded when it was written.
    case corruptCheckpoint(runID: String, round: Int, expectedSHA256: String, actualSHA256: String)
    /// The database was migrated by a newer FoedusStore: it holds migrations this binary does not know.
    case schemaTooNew(path: String, unknownMigrations: [String], knownMigrations: [String])
    /// `createRun` was given an id that is already stored.
    case duplicateRun(id: String)
    /// A stored or given value (JSON text, status name, …) cannot be decoded or encoded.
    case invalidStoredValue(table: String, column: String, runID: String, reason: String)
    /// Any other SQLite or GRDB failure, with the store operation that hit it.
    case database(operation: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open run store at '\(path)': \(reason)"
        case let .unknownRun(id, closeMatches):
            if closeMatches.isEmpty {
                return "no run with id '\(id)' in the store (list the stored runs, e.g. with `foedus runs list`, to see valid ids)"
            }
            let list = closeMatches.map { "'\($0)'" }.joined(separator: ", ")
            return "no run with id '\(id)' in the store; did you mean \(list)?"
        case let .corruptCheckpoint(runID, round, expected, actual):
            return "checkpoint of run '\(runID)' round \(round) is corrupt: sha256 expected \(expected), actual \(actual)"
        case let .schemaTooNew(path, unknown, known):
            return "run store at '\(path)' was written by a newer Foedus (unknown migrations: "
                + unknown.joined(separator: ", ") + "; this binary knows: " + known.joined(separator: ", ")
                + "); upgrade Foedus to open it"
        case let .duplicateRun(id):
            return "a run with id '\(id)' already exists in the store"
        case let .invalidStoredValue(table, column, runID, reason):
            return "invalid value in \(table).\(column) for run '\(runID)': \(reason)"
        case let .database(operation, reason):
            return "run store failed to \(operation): \(reason)"
        }
    }
}
