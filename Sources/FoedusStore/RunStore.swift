import Foundation
import GRDB

/// The SQLite store of runs, their rounds, per-client results and checkpoints.
///
/// Thread-safe: a file store is a GRDB `DatabasePool` in WAL mode (many concurrent readers, one
/// writer, readers never block the writer); the in-memory store is a serial `DatabaseQueue`.
/// Every write is a transaction, so after a crash the file holds exactly the committed writes.
/// Every method throws only `StoreError`.
public final class RunStore: Sendable {
    /// The database file, or `":memory:"` for an in-memory store.
    public let path: String
    /// How many checkpoints are kept per run (the newest ones); at least 1.
    public let checkpointsToKeep: Int
    let writer: any DatabaseWriter

    /// Opens (creating if needed, with its parent directory) the store at `path` in WAL mode and
    /// applies pending migrations.
    ///
    /// - Parameter checkpointsToKeep: checkpoints kept per run; values below 1 mean 1.
    /// - Throws: `StoreError.cannotOpen` when the file is not a Foedus store (or not SQLite) or cannot
    ///   be created; `StoreError.schemaTooNew` when a newer Foedus has migrated it.
    public convenience init(path: String, checkpointsToKeep: Int = 2) throws(StoreError) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            // Foundation's own message is generic; the underlying POSIX error says what went wrong.
            let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error
            let reason = (underlying ?? error).localizedDescription
            throw .cannotOpen(path: path, reason: "cannot create directory '\(directory.path)': \(reason)")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: Self.configuration())
        } catch {
            throw .cannotOpen(path: path, reason: Self.describe(error))
        }
        try self.init(writer: pool, path: path, checkpointsToKeep: checkpointsToKeep)
    }

    /// A fresh, empty, migrated store that lives in memory only (for tests and dry runs).
    ///
    /// - Parameter checkpointsToKeep: checkpoints kept per run; values below 1 mean 1.
    public static func inMemory(checkpointsToKeep: Int = 2) throws(StoreError) -> RunStore {
        let path = ":memory:"
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(configuration: configuration())
        } catch {
            throw .cannotOpen(path: path, reason: describe(error))
        }
        return try RunStore(writer: queue, path: path, checkpointsToKeep: checkpointsToKeep)
    }

    /// Validates that `writer` holds a Foedus store (or nothing yet) and migrates it.
    init(writer: any DatabaseWriter, path: String, checkpointsToKeep: Int) throws(StoreError) {
        self.writer = writer
        self.path = path
        self.checkpointsToKeep = max(1, checkpointsToKeep)
        try Self.prepare(writer, path: path)
    }

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.label = "FoedusStore"
        configuration.foreignKeysEnabled = true
        // Several processes (sweep members, a server and a CLI reader) may share one file.
        configuration.busyMode = .timeout(10)
        return configuration
    }

    /// Runs `body` in a read transaction (a consistent snapshot), mapping failures to `StoreError`.
    func read<T>(_ operation: @autoclosure () -> String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.read(body)
        } catch {
            throw Self.storeError(error, operation: operation())
        }
    }

    /// Runs `body` in one write transaction: it commits if `body` returns and rolls back entirely if
    /// it throws. Failures are mapped to `StoreError`.
    func write<T>(_ operation: @autoclosure () -> String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.write(body)
        } catch {
            throw Self.storeError(error, operation: operation())
        }
    }

    static func storeError(_ error: any Error, operation: String) -> StoreError {
        if let error = error as? StoreError {
            return error
        }
        return .database(operation: operation, reason: describe(error))
    }

    /// A short human-readable reason, without GRDB's SQL dump.
    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            let message = error.message ?? "SQLite error"
            return "\(message) (SQLite code \(error.extendedResultCode.rawValue))"
        }
        return String(describing: error)
    }

    /// Seconds since 1970.
    static func now() -> Double {
        Date().timeIntervalSince1970
    }
}
